"""API keys: their table, listed without revoked keys, and the key check as
one compiled query (janus.repos.compiled), run when a bearer starts with
the keys' prefix: the key, its owner and the owner's admin level now."""
from __future__ import annotations

import peewee as pw

from janus.models import Admin, ApiKey, User
from janus.repos.base import Repository
from janus.repos.compiled import HotQuery, Slots
from janus.repos.tokens import credential_owner


class ApiKeyRepository(Repository):
    model = ApiKey

    def select(self, *fields) -> pw.ModelSelect:
        """Keys not revoked (a revoked key is gone from every list and answers 404)."""
        return ApiKey.select(*fields).where(ApiKey.revoked_at.is_null())


api_keys = ApiKeyRepository()

_KEY_FIELDS = tuple(ApiKey._meta.sorted_fields)
_USER_FIELDS = tuple(User._meta.sorted_fields)


def _key_query(slots: Slots) -> pw.Select:
    return (ApiKey.select(*_KEY_FIELDS, *_USER_FIELDS, Admin.admin_level)
            .join(User, on=(ApiKey.owner == User.id))
            .join(Admin, pw.JOIN.LEFT_OUTER, on=(Admin.user == User.id))
            .where(ApiKey.key_hash == slots.text("key_hash")).limit(1))


_KEY = HotQuery(_key_query)


def key_owner(key_hash: str) -> tuple[ApiKey, User, str | None] | None:
    """The key with this hash, its owner and their admin level, in one query."""
    return credential_owner(_KEY, ApiKey, _KEY_FIELDS, "owner", {"key_hash": key_hash})
