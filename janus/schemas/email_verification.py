"""Email verification (and registration under it): request and response bodies."""
from __future__ import annotations

from datetime import datetime

import msgspec

from janus.schemas.common import Request
from janus.schemas.password_reset import ResetToken
from janus.schemas.users import Email


class VerifyEmailIn(Request):
    token: ResetToken


class VerifyEmailResendIn(Request):
    email: Email


class Accepted(msgspec.Struct):
    """The same answer whatever the address: registration under
    JANUS_REQUIRE_EMAIL_VERIFICATION, and a resent link."""

    message: str


class EmailVerified(msgspec.Struct):
    email: str
    email_verified_at: datetime
