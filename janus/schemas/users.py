"""Users, admins and authentication: request and response bodies."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from janus import password_policy
from janus.models import ADMIN_LEVELS, ROLES
from janus.schemas.common import Id, Request, Total

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\w.-]+$")]
# The length bounds of the user rule; the rest of janus.password_policy (the
# admin rule, zxcvbn, the account's own names) is checked where the password
# is set, and refused with a 422 on the same field.
Password = Annotated[str, msgspec.Meta(min_length=password_policy.USER.min_length,
                                       max_length=password_policy.MAX_LENGTH)]
PasswordHash = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Role = Literal[ROLES]
AdminLevel = Literal[ADMIN_LEVELS]


class UserOut(msgspec.Struct):
    id: int
    email: str
    username: str
    role: Role
    admin_level: AdminLevel | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    email_verified: bool


class UserPage(msgspec.Struct):
    items: list[UserOut]
    next_cursor: str | None
    total: Total


class RegisterIn(Request):
    email: Email
    username: Username
    password: Password


class UserCreateIn(Request):
    email: Email
    username: Username
    password: Password
    is_active: bool = True
    role: Role = "user"
    admin_level: AdminLevel | None = None


class UserImportIn(Request):
    """An account whose password is already hashed (the seed loader's demo
    accounts). Never a route body: a client never sends a hash."""

    email: Email
    username: Username
    password_hash: PasswordHash
    is_active: bool = True


class UserPatchIn(Request):
    email: Email | UnsetType = UNSET
    username: Username | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    admin_level: AdminLevel | UnsetType = UNSET


class ActivityOut(msgspec.Struct):
    user_id: int
    logs: dict[str, int]
    security: dict[str, int]


class LoginIn(Request):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=254,
                                       description="Email or username")]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class TokenOut(msgspec.Struct):
    token: str
    token_type: Literal["bearer"]
    expires_at: datetime
    user: UserOut


class PasswordIn(Request):
    current_password: Annotated[str, msgspec.Meta(max_length=1024)]
    new_password: Password


class PasswordOut(msgspec.Struct):
    revoked_tokens: int


class AdminOut(msgspec.Struct):
    id: int
    user_id: int
    username: str
    email: str
    admin_level: AdminLevel
    granted_by_id: int | None
    created_at: datetime


class AdminPage(msgspec.Struct):
    items: list[AdminOut]
    next_cursor: str | None
    total: Total


class AdminCreateIn(Request):
    user_id: Id
    admin_level: AdminLevel = "moderator"


class AdminPatchIn(Request):
    admin_level: AdminLevel
