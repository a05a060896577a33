"""The console's cookies and the state of one console request.

- ``janus_console``: the session (janus.services.console_sessions), set at
  sign-in, cleared at sign-out;
- ``janus_console_login``: a random value set by the sign-in form, the key of
  that form's CSRF token (there is no session yet);
- ``janus_console_flash``: the message of the last action, shown once.

All are ``HttpOnly``, ``SameSite=Strict``, ``Path=/console``, and ``Secure``
when ``JANUS_COOKIE_SECURE`` is true (behind TLS).
"""
from __future__ import annotations

import base64
import dataclasses
import json

from bottle import request, response

from janus.access import Actor
from janus.config import Config
from janus.errors import Unauthorized
from janus.services import console_sessions
from janus.web.plugins import request_client

SESSION_COOKIE = "janus_console"
LOGIN_COOKIE = "janus_console_login"
FLASH_COOKIE = "janus_console_flash"
PATH = "/console"
_STATE = "janus.console"


@dataclasses.dataclass
class Visit:
    """What one console request knows: who is signed in (or None) and the
    session's cookie value (the key of its forms' CSRF tokens)."""

    actor: Actor | None = None
    secret: str = ""


def config() -> Config:
    return request.app.config["janus.config"]


def set_cookie(name: str, value: str, max_age: int | None = None) -> None:
    options = {} if max_age is None else {"max_age": max_age}
    response.set_cookie(name, value, path=PATH, httponly=True, samesite="strict",
                        secure=config().cookie_secure, **options)


def clear_cookie(name: str) -> None:
    response.delete_cookie(name, path=PATH, httponly=True, samesite="strict",
                           secure=config().cookie_secure)


def cookie(name: str, max_length: int = 256) -> str:
    """A cookie's value, "" when absent, longer than ``max_length`` or not plain ASCII."""
    value = request.get_cookie(name) or ""
    return value if value.isascii() and len(value) <= max_length else ""


def visit() -> Visit:
    """This request's Visit, resolved from the session cookie once."""
    state = request.environ.get(_STATE)
    if state is None:
        state = Visit()
        plain = cookie(SESSION_COOKIE)
        if plain:
            try:
                state = Visit(console_sessions.resolve(plain, request_client()), plain)
            except Unauthorized:
                state = Visit()
        request.environ[_STATE] = state
    if state.actor is not None:
        request.environ["janus.user_id"] = state.actor.id  # for the access log
    return state


def current() -> Visit:
    """This request's Visit if already resolved, else an anonymous one (error
    pages must not reach for the database)."""
    return request.environ.get(_STATE) or Visit()


def signed_in(actor: Actor, plain: str) -> None:
    request.environ[_STATE] = Visit(actor, plain)


# A flash message is cut at FLASH_CHARS characters; its cookie (base64 of
# UTF-8 JSON, at most 4 bytes a character) then stays under FLASH_COOKIE_LENGTH,
# which pop_flash accepts (the 256 of other cookies dropped longer messages).
FLASH_CHARS = 400
FLASH_COOKIE_LENGTH = 4 * (4 * FLASH_CHARS + 64) // 3 + 4


def flash(message: str, kind: str = "success") -> None:
    """Show ``message`` on the next page (the POST-redirect-GET of an action)."""
    data = json.dumps({"message": message[:FLASH_CHARS], "kind": kind},
                      ensure_ascii=False).encode()
    set_cookie(FLASH_COOKIE, base64.urlsafe_b64encode(data).decode())


def pop_flash() -> dict | None:
    raw = cookie(FLASH_COOKIE, FLASH_COOKIE_LENGTH)
    if not raw:
        return None
    clear_cookie(FLASH_COOKIE)
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None
    kind = data.get("kind") if data.get("kind") in ("success", "error") else "success"
    return {"message": data["message"], "kind": kind}
