"""API key scopes: what a key may do, per domain and verb.

Each authenticated route declares one scope in its spec (janus.web.registry)
or refuses keys. A key acts as its owner narrowed twice: to its scopes (the
route's scope must be among them), and to an admin level no higher than its
``admin:*`` scopes allow (``effective_level``). Both are read from the
owner's current rights on every request, so a demotion narrows a key at once.
"""
from __future__ import annotations

from janus.access import LEVEL_RANK

DOMAINS = ("users", "images", "analytics", "logs", "security")
VERBS = ("read", "write")
# admin:read lets a key read as its owner's admin level (moderator and up);
# admin:write lets it change as a superadmin. Without them a key acts as a plain user.
ADMIN_READ, ADMIN_WRITE = "admin:read", "admin:write"
ADMIN_SCOPES = {ADMIN_READ: "moderator", ADMIN_WRITE: "superadmin"}
SCOPES = (*(f"{domain}:{verb}" for domain in DOMAINS for verb in VERBS), ADMIN_READ, ADMIN_WRITE)
DESCRIPTIONS = {
    **{f"{domain}:read": f"Read {domain} routes (GET)." for domain in DOMAINS},
    **{f"{domain}:write": f"Create, change and delete on {domain} routes." for domain in DOMAINS},
    ADMIN_READ: "Act with the owner's admin level for reading (moderator and up): "
                "see every user's objects.",
    ADMIN_WRITE: "Act with the owner's superadmin level: change other users' objects, "
                 "roles and accounts (superadmins only).",
}


def allowed(scopes, level: str | None) -> frozenset:
    """The scopes an owner at ``level`` may hold: an ``admin:*`` scope
    needs at least the level it names."""
    return frozenset(scope for scope in scopes if scope not in ADMIN_SCOPES or (
        level is not None and LEVEL_RANK[level] >= LEVEL_RANK[ADMIN_SCOPES[scope]]))


def effective_level(scopes: frozenset, level: str | None) -> str | None:
    """The admin level a key with ``scopes`` acts at, for an owner at
    ``level`` now: never above the owner's, nor above what its scopes allow."""
    if level is None:
        return None
    if ADMIN_WRITE in scopes:
        return level
    if ADMIN_READ in scopes:
        return "moderator"
    return None
