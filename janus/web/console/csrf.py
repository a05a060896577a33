"""CSRF tokens of the console's forms, keyed with a cookie value.

A form's token is an HMAC of its purpose keyed with a secret only the
browser's cookie holds: the session's value once signed in, the sign-in
form's own random cookie before. A page on another site can neither read
those cookies nor compute the token, and no server-side key is needed (so
every worker and host agrees). The stored session hash is never used.
Every POST must carry a valid ``csrf_token``, or it gets a 403 page and
changes nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from bottle import request

from janus.errors import Forbidden
from janus.web.console import session

FIELD = "csrf_token"
SESSION_PURPOSE = "session-forms"
LOGIN_PURPOSE = "sign-in-form"


def token(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), f"janus-console:{purpose}".encode(),
                    hashlib.sha256).hexdigest()


def matches(secret: str, purpose: str, given: str) -> bool:
    if not secret or not given or not given.isascii():
        return False
    return hmac.compare_digest(token(secret, purpose), given)


def given_token() -> str:
    return request.forms.get(FIELD) or ""


def session_token() -> str:
    """The token of this session's forms ("" when signed out)."""
    secret = session.current().secret
    return token(secret, SESSION_PURPOSE) if secret else ""


def require_session_token() -> None:
    if not matches(session.visit().secret, SESSION_PURPOSE, given_token()):
        raise Forbidden("the form's security token is missing or wrong; "
                        "reload the page and try again")


def login_token() -> str:
    """The sign-in form's token, setting its key cookie when there is none."""
    secret = session.cookie(session.LOGIN_COOKIE)
    if len(secret) < 32:
        secret = secrets.token_urlsafe(32)
        session.set_cookie(session.LOGIN_COOKIE, secret)
    return token(secret, LOGIN_PURPOSE)


def require_login_token() -> None:
    if not matches(session.cookie(session.LOGIN_COOKIE), LOGIN_PURPOSE, given_token()):
        raise Forbidden("the sign-in form's security token is missing or wrong; "
                        "reload the page and try again")
