"""The console's redirects (POST-redirect-GET, sign-in and out, the way to
the sign-in page) are relative, or built from JANUS_PUBLIC_URL: never from
the request's Host or X-Forwarded-* headers, which the client writes. Every
guarded route's redirect is checked in test_access_matrix.py."""
from __future__ import annotations

import pytest

from janus.web.app import create_app
from janus.web.console.session import SESSION_COOKIE
from tests.api.helpers import PASSWORD
from tests.console.helpers import LOGIN, ConsoleClient, browser, csrf_of

HOSTILE = {"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_HOST": "evil.example",
           "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_PORT": "8443"}


@pytest.mark.parametrize("public_url, prefix", [
    (None, ""),
    ("https://janus.example", "https://janus.example"),
    ("https://example.org/janus/", "https://example.org/janus"),
])
def test_sign_in_and_out_redirect_without_trusting_the_host(make_config, superadmin,
                                                           public_url, prefix):
    env = {} if public_url is None else {"JANUS_PUBLIC_URL": public_url}
    app = create_app(make_config(**env))
    # Cookies are kept per host: this browser is evil.example throughout.
    client = ConsoleClient(browser(app, **HOSTILE))

    res = client.get("/console/users")
    assert (res.status_int, res.headers["Location"]) == (303, prefix + LOGIN)

    form = client.get(LOGIN)
    res = client.post(LOGIN, {"login": superadmin.user.username, "password": PASSWORD},
                      csrf=csrf_of(form))
    assert (res.status_int, res.headers["Location"]) == (303, prefix + "/console")
    assert client.cookie(SESSION_COOKIE)  # the cookie goes with the redirect

    res = client.get(LOGIN)  # signed in already
    assert (res.status_int, res.headers["Location"]) == (303, prefix + "/console")

    client.csrf = csrf_of(client.get("/console"))
    res = client.post("/console/logout")
    assert (res.status_int, res.headers["Location"]) == (303, prefix + LOGIN)
    assert not client.cookie(SESSION_COOKIE)
