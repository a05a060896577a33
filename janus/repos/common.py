"""Small checks and query pieces shared by the domain repositories.

Query helpers take the query to narrow (``None``: the repository's whole
table) and return a new one, so they chain:
``logs.by_level("error", logs.by_user(7))``.
"""
from __future__ import annotations

from datetime import datetime

import peewee as pw

from janus.errors import ValidationError
from janus.models import User
from janus.repos.base import DEFAULT_LIMIT, MAX_LIMIT, naive_utc

# JSON values a key/value lookup accepts. Containers are refused: SQLite
# compares them as text, so {"a": 1, "b": 2} and {"b": 2, "a": 1} would
# differ there but not on PostgreSQL.
JSON_SCALARS = (str, int, float, bool)


def text(value, path: str) -> str:
    """A non-blank string, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.at(path, "must be a non-empty string")
    return value.strip()


def positive_int(value, path: str, maximum: int = 2**31 - 1) -> int:
    # The maximum keeps values inside the column type: PostgreSQL would
    # otherwise fail with a DataError instead of a 422.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValidationError.at(path, f"must be an integer from 1 to {maximum}")
    return value


def when(value, path: str) -> datetime | None:
    """A datetime as the naive UTC the columns hold (aware ones converted)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError.at(path, "must be a datetime")
    return naive_utc(value)


def ref_id(value, model, path: str) -> int | None:
    """The id of a ``model`` instance or of a plain id; None stays None."""
    if value is None or isinstance(value, model):
        return None if value is None else value.id
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ValidationError.at(path, f"must be a {model.__name__.lower()} id")
    return value


def user_id(user, path: str = "$.user_id") -> int | None:
    return ref_id(user, User, path)


def json_path(key) -> tuple:
    """``"exif.Make"`` -> ("exif", "Make"); a tuple/list is taken as is
    (for keys that contain dots)."""
    keys = tuple(key.split(".")) if isinstance(key, str) else tuple(key or ())
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ValidationError.at("$.key", "must name a metadata key")
    return keys


def json_equals(field: pw.JSONField, key, value) -> pw.Expression:
    """``field[key...] == value`` using peewee's portable JSON path lookup:
    ``->`` with a JSON-encoded value on SQLite, ``#>`` on jsonb on PostgreSQL.
    Types matter: "1" does not match 1, and true does not match 1."""
    if not isinstance(value, JSON_SCALARS) or value != value or value in (float("inf"), float("-inf")):
        raise ValidationError.at("$.value", "must be a string, finite number or boolean")
    return field.path(*json_path(key)) == value


class HistoryMixin:
    """Lookups for tables with a nullable ``user`` and a JSON metadata column."""

    metadata_field: str = ""

    def by_user(self, user, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """Rows about ``user`` (a User or id); ``None``: rows about nobody."""
        query = self.select() if query is None else query
        uid = user_id(user)
        return query.where(self.model.user.is_null() if uid is None else self.model.user == uid)

    def by_metadata(self, key, value, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(json_equals(getattr(self.model, self.metadata_field), key, value))

    def recent(self, limit: int | None = None, since: datetime | None = None,
               query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """Newest first; at most ``limit`` rows (50 when neither bound is
        given) and/or those at or after ``since``. For HTTP lists use
        ``page()``, which replaces this ordering and limit with its own."""
        query = self.select() if query is None else query
        query = self.since(query, when(since, "$.since"))
        if limit is None and since is None:
            limit = DEFAULT_LIMIT
        if limit is not None:
            query = query.limit(positive_int(limit, "$.limit", MAX_LIMIT))
        return query.order_by(self.order_field.desc(), self.model.id.desc())
