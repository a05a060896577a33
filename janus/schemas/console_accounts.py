"""The console's form for an account a superadmin makes: no password, the
user chooses one through the mailed link (janus.services.account_links)."""
from __future__ import annotations

from janus.schemas.common import Request
from janus.schemas.users import Email, Username


class UserInviteIn(Request):
    email: Email
    username: Username
