"""Who may see and change what.

- A user sees and changes their own objects; another user's object answers
  404, exactly as if it did not exist.
- Admins (moderator and up) read everything.
- Changing another user's objects, roles or accounts takes a superadmin; a
  moderator who can see the object gets 403.
"""
from __future__ import annotations

from bottle import request

from janus.errors import Forbidden
from janus.repos.admins import LEVEL_RANK, admins


def admin_level(user) -> str | None:
    """The user's admin level, looked up once per request."""
    cache = request.environ.setdefault("janus.admin_levels", {})
    if user.id not in cache:
        cache[user.id] = admins.level_of(user) if user.role == "admin" else None
    return cache[user.id]


def is_admin(user) -> bool:
    return admin_level(user) is not None


def is_superadmin(user) -> bool:
    return admin_level(user) == "superadmin"


def require_level(user, level: str) -> None:
    current = admin_level(user)
    if current is None or LEVEL_RANK[current] < LEVEL_RANK[level]:
        raise Forbidden(f"requires the {level} admin level")


def visible(query, owner_field, user):
    """Narrow ``query`` to what ``user`` may read."""
    return query if is_admin(user) else query.where(owner_field == user.id)


def require_owner_or_superadmin(owner_id: int | None, user) -> None:
    """Writes: the owner, or a superadmin. Call after a visibility check."""
    if owner_id != user.id and not is_superadmin(user):
        raise Forbidden("only the owner or a superadmin may change this")
