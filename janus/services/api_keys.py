"""API keys: machines' credentials, each acting as its owner narrowed to
its scopes (janus.scopes).

A key is ``jns_`` and 43 random characters, handed out once; the table
keeps its SHA-256 and its first characters (the prefix lists show). Every
request re-reads the owner's current state: a deactivated or deleted owner
kills the key (401), a demoted one narrows it at once. Creating and
revoking write an audit row in the same transaction.
"""
from __future__ import annotations

import dataclasses
import secrets

from janus.access import Actor, Client, changeable_row
from janus.audit import record_change
from janus.db import database
from janus.errors import Unauthorized, ValidationError
from janus.models import ApiKey, User, utcnow
from janus.repos.api_keys import api_keys, key_owner
from janus.repos.base import naive_utc
from janus.schemas.api_keys import ApiKeyCreateIn
from janus.scopes import SCOPES, allowed, effective_level
from janus.services.auth import LAST_USED_RESOLUTION, token_hash

KEY_PREFIX = "jns_"
# The characters a list shows: the prefix and 8 of the random part.
SHOWN = len(KEY_PREFIX) + 8


@dataclasses.dataclass(frozen=True)
class IssuedKey:
    """A new key: ``plain`` is shown to its owner once, never stored."""

    plain: str
    row: ApiKey


def is_key(bearer: str) -> bool:
    return bearer.startswith(KEY_PREFIX)


def create(actor: Actor, body: ApiKeyCreateIn) -> IssuedKey:
    """A key for ``actor``'s own account, with scopes its level allows now."""
    scopes = sorted(set(body.scopes), key=SCOPES.index)
    refused = set(scopes) - allowed(scopes, actor.level)
    if refused:
        raise ValidationError.at("$.scopes", f"your account cannot grant {sorted(refused)}")
    expires_at = None if body.expires_at is None else naive_utc(body.expires_at)
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise ValidationError.at("$.expires_at", "must be in the future")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    with database.atomic():
        row = api_keys.create(owner=actor.user, name=body.name, prefix=plain[:SHOWN],
                              key_hash=token_hash(plain), scopes=scopes, created_at=now,
                              expires_at=expires_at)
        record_change(actor.user, "api_key.created", "api_key", row.id,
                      {"name": row.name, "prefix": row.prefix, "scopes": scopes,
                       "expires_at": expires_at})
    return IssuedKey(plain, row)


def revoke(actor: Actor, key_id: int) -> ApiKey:
    """Revoke a key: its owner's, or anyone's for a superadmin (404 for a key
    the actor cannot see, 403 for a moderator's try at another user's).
    The API's route and the console's action both call this."""
    with database.atomic():
        row = changeable_row(api_keys, ApiKey.owner, actor, key_id)
        ApiKey.update(revoked_at=utcnow()).where(ApiKey.id == row.id).execute()
        record_change(actor.user, "api_key.revoked", "api_key", row.id,
                      {"name": row.name, "prefix": row.prefix, "owner_id": row.owner_id})
    return row


def live_keys(user: User) -> list[ApiKey]:
    """The keys of ``user`` that still work (a reset keeps them), oldest first."""
    return list(api_keys.select().where(
        (ApiKey.owner == user.id)
        & (ApiKey.expires_at.is_null() | (ApiKey.expires_at > utcnow())))
        .order_by(ApiKey.created_at, ApiKey.id))


def resolve_key(plain: str, client: Client | None = None) -> Actor | None:
    """The actor an API key stands for, narrowed to its scopes; None when no
    key has this value (the caller may try it as a login token);
    Unauthorized when it is revoked or expired or its owner deactivated."""
    found = key_owner(token_hash(plain))
    if found is None:
        return None
    key, user, level = found
    now = utcnow()
    if key.revoked_at is not None:
        raise Unauthorized("invalid or revoked API key")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("API key expired")
    if not user.is_active:
        raise Unauthorized("account is deactivated")
    client = client or Client()
    if (key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION
            or key.last_used_ip != client.ip):
        ApiKey.update(last_used_at=now, last_used_ip=client.ip).where(
            ApiKey.id == key.id).execute()
    scopes = allowed(key.scopes, level)
    return Actor(user, effective_level(scopes, level), None, client, key=key, scopes=scopes)
