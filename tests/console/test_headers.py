"""Every /console response carries the security headers, whatever it is: a
page, a redirect, a 403/404/405 page, a static file; errors are HTML pages,
never JSON or a traceback. The JSON API keeps its own errors."""
from __future__ import annotations

import pytest

from janus.web.console.headers import CSP, HEADERS

CASES = [
    # (who, method, path, status)
    ("as_superadmin", "GET", "/console", 200),
    ("anonymous", "GET", "/console", 303),
    ("anonymous", "GET", "/console/login", 200),
    ("anonymous", "POST", "/console/login", 403),  # no CSRF token
    ("anonymous", "GET", "/console/static/console.css", 200),
    ("anonymous", "GET", "/console/static/nope.css", 404),
    ("anonymous", "GET", "/console/no-such-page", 404),
    ("as_superadmin", "GET", "/console/no-such-page", 404),
    ("anonymous", "DELETE", "/console", 405),
    ("as_user", "GET", "/console", 403),
    ("as_moderator", "POST", "/console/logout", 303),
]


@pytest.mark.parametrize("who, method, path, status", CASES,
                         ids=[f"{c[0]} {c[1]} {c[2]}" for c in CASES])
def test_security_headers_on_every_console_response(app, request, who, method, path, status):
    client = request.getfixturevalue(who)
    if method == "POST" and who != "anonymous":
        res = client.post(path)
    else:
        res = client.app.request(path, method=method, status="*")
    assert res.status_int == status, res.text
    for name, value in HEADERS.items():
        assert res.headers[name] == value, name
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    if status >= 400:
        assert res.content_type == "text/html", res.headers
        assert "<h1>" in res.text and "Traceback" not in res.text


def test_pages_are_not_cached_but_the_stylesheet_is(anonymous):
    assert anonymous.get("/console/login").headers["Cache-Control"] == "no-store"
    css = anonymous.get("/console/static/console.css")
    assert css.content_type == "text/css" and "max-age" in css.headers["Cache-Control"]


def test_every_page_names_an_icon_the_policy_allows(anonymous):
    page = anonymous.get("/console/login").text
    assert '<link rel="icon" type="image/svg+xml" href="/console/static/favicon.svg">' in page
    icon = anonymous.get("/console/static/favicon.svg")
    assert icon.status_int == 200 and icon.content_type == "image/svg+xml"
    assert icon.body.startswith(b"<svg") and b"<script" not in icon.body


def test_the_json_api_keeps_json_errors(client):
    res = client.get("/no-such-route", status=404)
    assert res.content_type == "application/json"
    assert "Content-Security-Policy" not in res.headers or \
        res.headers["Content-Security-Policy"] != CSP


def test_no_inline_script_or_style_in_pages(as_superadmin):
    for path in ("/console", "/console/login", "/console/nope"):
        text = as_superadmin.get(path).text
        assert "<script>" not in text and "style=" not in text and " on" + "click" not in text
