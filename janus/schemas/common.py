"""Shapes shared by every resource: list queries and pagination."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

from janus.models import MAX_ID, MAX_INTEGER
from janus.repos.base import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT, description="Page size")]
# Every id a client sends, in a path, a query or a body: the range of the id
# columns on both backends (janus.models.MAX_ID), so a larger one is a 422,
# never a database error. An id in range that names nothing is a 404.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# A count or size stored in an ``integer`` column (width, height).
Positive = Annotated[int, msgspec.Meta(ge=1, le=MAX_INTEGER)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
# A page's ``total`` (every list's page Struct): a count only when asked for.
Total = Annotated[int | None, msgspec.Meta(
    description="With ?count=true: how many rows the filters match (that you may "
    "see), whatever the cursor; otherwise null.")]


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body and query: unknown fields are rejected."""


class ListQuery(Request):
    limit: Limit = DEFAULT_LIMIT
    cursor: str | None = msgspec.field(default=None)
    since: datetime | None = None
    until: datetime | None = None


def provided(body: msgspec.Struct) -> dict:
    """The fields a PATCH body actually carries (UNSET ones are absent)."""
    return {name: getattr(body, name) for name in body.__struct_fields__
            if getattr(body, name) is not msgspec.UNSET}


_combine = datetime.combine


def utc(value: datetime | None) -> datetime | None:
    """Naive-UTC database time -> aware UTC, which msgspec renders with Z.
    ``combine`` is ``value.replace(tzinfo=UTC)`` (fold included) at a sixth of
    its cost: replace parses its keywords by name, and a list page makes
    two of these per row."""
    return None if value is None else _combine(value, value.time(), UTC)
