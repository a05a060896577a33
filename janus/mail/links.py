"""The token of a mailed link, kept out of the outbox.

A mail is a row written in the transaction of its change and sent later, so
a link's token would sit in the database, in clear, until delivery (and for
good in a failed mail). Instead the row holds a placeholder naming a random
nonce, and the token is HMAC-SHA256(JANUS_SECRET_KEY, nonce): the service
derives it when it writes the hash (password_resets, email_verifications)
and again when it sends the mail. The database alone gives neither the
token nor a way to it. A mail sent after the key changed carries a token
that matches no hash: the link is refused and its owner asks again.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# 16 random bytes, base64url: 22 characters.
_PLACEHOLDER = re.compile(r"\{\{link-token:([A-Za-z0-9_-]{22})\}\}")
_CONTEXT = b"janus mailed link token\x00"


def _derive(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, _CONTEXT + nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_token(key: bytes | None) -> tuple[str, str]:
    """(the token, the placeholder the mail's body holds in its stead)."""
    if not key:
        raise RuntimeError("a mailed link needs JANUS_SECRET_KEY (create_app resolves it)")
    nonce = secrets.token_urlsafe(16)
    return _derive(key, nonce), "{{link-token:" + nonce + "}}"


def render(body: str, key: bytes | None) -> str:
    """The body as sent: each placeholder replaced by its token."""
    if _PLACEHOLDER.search(body) is None:
        return body
    if not key:
        raise RuntimeError("the mail holds a link and the sender has no JANUS_SECRET_KEY")
    return _PLACEHOLDER.sub(lambda match: _derive(key, match.group(1)), body)
