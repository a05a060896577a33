"""One Jinja2 environment for every console page: autoescape on for every
template (``|safe`` is never applied to data), undefined names an error, and
the context every page shares (who is signed in, the CSRF token, the
navigation, the flash message)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
from bottle import request, response

from janus.web.console import csrf, session

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML = "text/html; charset=utf-8"
# (label, path): the header's navigation, in order.
NAV = (("Dashboard", "/console"), ("Users", "/console/users"), ("Images", "/console/images"),
       ("Audit log", "/console/audit"), ("Security", "/console/security"),
       ("Failed mails", "/console/mail"))

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,  # every template, whatever its name
    undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)


def url(path: str, **params) -> str:
    """``path`` with a url-encoded query of the params that are not None or ""."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return quote(path, safe="/") + (f"?{query}" if query else "")


def page_links(path: str, form: dict[str, str], next_cursor: str | None) -> dict:
    """A keyset page's links, keeping its filters: the next page's, and the
    first page's when this one is not the first."""
    unpaged = {key: value for key, value in form.items() if key != "cursor"}
    return {"next_url": next_cursor and url(path, **unpaged, cursor=next_cursor),
            "first_url": url(path, **unpaged) if "cursor" in form else None}


def when(value) -> str:
    """A stored time (naive UTC) as text; "—" for none."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"


environment.globals["url"] = url
environment.filters["when"] = when
environment.globals["NAV"] = NAV


def render(template: str, *, status: int = 200, **context) -> str:
    """The page as text, with the shared context; sets the status and type."""
    visit = session.current()
    response.status = status
    response.content_type = HTML
    page = environment.get_template(template)
    return page.render(actor=visit.actor, csrf_token=csrf.session_token(),
                       current_path=request.path,
                       flash=session.pop_flash() if visit.actor else None, **context)
