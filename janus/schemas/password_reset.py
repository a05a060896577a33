"""Password reset: request and response bodies."""
from __future__ import annotations

from typing import Annotated

import msgspec

from janus.schemas.common import Request
from janus.schemas.users import Email, Password

# The mailed token: token_urlsafe(32) is 43 characters; room to spare, no more.
ResetToken = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class PasswordResetIn(Request):
    email: Email


class PasswordResetAccepted(msgspec.Struct):
    """The same answer whether or not the address belongs to an account."""

    message: str


class PasswordResetConfirmIn(Request):
    token: ResetToken
    password: Password


class PasswordResetDone(msgspec.Struct):
    # Login tokens ended (console sessions end too).
    revoked_tokens: int
