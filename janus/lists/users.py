"""GET /users and GET /admins, and the console's user list: their one
declaration each."""
from __future__ import annotations

from typing import Literal

from janus.lists import Filter, Listing
from janus.lists.views import View, is_set
from janus.models import ADMIN_LEVELS, Admin, User
from janus.repos.admins import admins
from janus.repos.users import normalise_email, users
from janus.schemas.common import ListQuery
from janus.schemas.users import AdminLevel, AdminOut, Role, UserOut

USERS = Listing(
    users,
    Filter("email", User.email, str, "Email address (unique, compared case-insensitively).",
           normalise=normalise_email),
    Filter("username", User.username, str, "User name (unique; letters, digits, _ . -)."),
    Filter("role", User.role, Role, "user or admin.", label="Role"),
    # Two values: each its own compiled shape rather than a parameter.
    Filter("is_active", User.is_active, bool,
           "False for a deactivated account, which cannot log in.", shape=True, label="Active"),
    owner=User.id,  # a user sees themselves
    sort=("email", "username"), search=(User.email, User.username))
UserQuery = USERS.query_struct("UserQuery", ListQuery)
# admin_level: a listed user's (janus.repos.users.with_level); given otherwise.
USER_VIEW = View(UserOut, User, admin_level=(Admin.admin_level, None),
                 email_verified=(User.email_verified_at, is_set))


class UserSearch(UserQuery, kw_only=True):
    """The console's user list: the API's filters and search, plus the
    admin level ("none": plain users)."""
    admin_level: Literal[(*ADMIN_LEVELS, "none")] | None = None


ADMINS = Listing(
    admins,
    Filter("admin_level", Admin.admin_level, AdminLevel,
           "Admin rights: moderator (read everything, moderate) or superadmin (also manage "
           "admins); null for a plain user."),
    owner=None,  # moderators and up
    sort=("admin_level",), search=(User.username, User.email))  # the admin's user
AdminQuery = ADMINS.query_struct("AdminQuery", ListQuery)
ADMIN_VIEW = View(AdminOut, Admin, username=(User.username, None, "user.username"),
                  email=(User.email, None, "user.email"))
