"""Who may see and change what. The one owner of these rules: routes, the
seed loader and the operator tools all pass an ``Actor`` to the services,
and the services ask this module.

- A user sees and changes their own objects; another user's object answers
  404, exactly as if it did not exist.
- Admins (moderator and up) read everything.
- Changing another user's objects, roles or accounts takes a superadmin; a
  moderator who can see the object gets 403.
"""
from __future__ import annotations

import dataclasses

from janus.errors import Forbidden
from janus.models import ADMIN_LEVELS, ApiKey, AuthToken, User

LEVEL_RANK = {level: rank for rank, level in enumerate(ADMIN_LEVELS)}


@dataclasses.dataclass(frozen=True)
class Client:
    """Where a request came from, for security events. ``own_address``: the
    address is this client's alone, not a proxy's that other clients share
    (janus.web.addresses.client_address); only such an address can become a
    known one, which the account-wide lockout spares (janus.services.lockout)."""

    ip: str | None = None
    user_agent: str | None = None
    own_address: bool = False


@dataclasses.dataclass
class Actor:
    """Who is acting: the user, their admin level (loaded with the token in
    one query) and, for API callers, the bearer token in use. The operator
    CLI (janus.operator) acts as a system actor: no user (audit rows and
    ``granted_by`` are NULL), level superadmin."""

    user: User | None
    level: str | None = None  # None, "moderator" or "superadmin"
    token: AuthToken | None = None
    client: Client = Client()
    # An API key's request (janus.services.api_keys): the key, and the scopes
    # it holds now (what its owner's current level still allows).
    key: ApiKey | None = None
    scopes: frozenset = frozenset()

    @property
    def id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def is_admin(self) -> bool:
        return self.level is not None

    @property
    def is_superadmin(self) -> bool:
        return self.level == "superadmin"

    def has_level(self, level: str) -> bool:
        return self.level is not None and LEVEL_RANK[self.level] >= LEVEL_RANK[level]


def require_level(actor: Actor, level: str) -> None:
    if not actor.has_level(level):
        raise Forbidden(f"requires the {level} admin level")


def visible(query, owner_field, actor: Actor):
    """Narrow ``query`` to what ``actor`` may read."""
    return query if actor.is_admin else query.where(owner_field == actor.id)


def require_owner_or_superadmin(owner_id: int | None, actor: Actor) -> None:
    """Writes: the owner, or a superadmin. Call after a visibility check."""
    if owner_id != actor.id and not actor.is_superadmin:
        raise Forbidden("only the owner or a superadmin may change this")


def visible_row(repo, owner_field, actor: Actor, row_id: int):
    """The row if ``actor`` may read it; NotFound otherwise, as if it did not exist."""
    return repo.get_by_id(row_id, visible(repo.select(), owner_field, actor))


def changeable_row(repo, owner_field, actor: Actor, row_id: int):
    """A visible row (else 404) that ``actor`` owns or may change as a superadmin (else 403)."""
    row = visible_row(repo, owner_field, actor, row_id)
    require_owner_or_superadmin(getattr(row, owner_field.column_name), actor)
    return row
