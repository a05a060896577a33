"""What GET /<list>/export reads: every row a list query matches, in keyset
batches of its compiled page query (janus.lists.reads), so the export has
the list's filters, order and access by construction and holds one batch in
memory at a time.

Each batch is its own short read on a pooled connection, taken and given
back around it (``batches``): a slow client holds no connection between
batches, and on SQLite no read keeps a transaction open (WAL readers never
block the writer anyway). The batches are not one snapshot; keyset order
still gives each row at most once, and every row that exists for the whole
export exactly once.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

import msgspec

from janus.access import Actor
from janus.db import database
from janus.lists.reads import Resource
from janus.schemas.common import Request

FORMATS = ("csv", "ndjson")
BATCH_ROWS = 1000
# The list query's fields an export does not take: it streams every page
# (and a total would cost a count for nothing).
PAGING = frozenset({"limit", "cursor", "count"})
Format = Annotated[Literal[FORMATS], msgspec.Meta(
    description="csv (a header row, then one row per item) or ndjson (one JSON object "
                "per line, as in the list's items).")]


def export_struct(name: str, list_query: type, renamed: dict[str, str]) -> type:
    """The export's query: the list's own query Struct without its paging,
    plus ``format`` (the attribute ``output``). A list filter named like the
    output format is sent under another name: ``renamed`` {field: name}."""
    fields = [("output", Format, msgspec.field(default="ndjson", name="format"))]
    for field in msgspec.structs.fields(list_query):
        if field.name in PAGING:
            continue
        default = field.default if field.default is not msgspec.NODEFAULT else None
        if field.name in renamed:
            default = msgspec.field(default=default, name=renamed[field.name])
        fields.append((field.name, field.type, default))
    return msgspec.defstruct(name, fields, bases=(Request,), kw_only=True,
                             module=list_query.__module__)


def list_query_of(query, list_query: type, *, cursor: str | None):
    """One batch's list query: the export's filters, ``BATCH_ROWS`` rows from
    ``cursor``. (Built, not decoded: the batch may exceed the page limit.)"""
    values = {name: getattr(query, name) for name in query.__struct_fields__
              if name != "output"}
    return list_query(**values, limit=BATCH_ROWS, cursor=cursor)


def export_rows(resource: Resource, list_query: type, actor: Actor, query) -> Iterator[list]:
    """The batches of response Structs ``actor`` may read that ``query``
    matches, in the list's order (its ?sort=). The first batch is read at once (a refusal --
    403, 422 -- is raised here, before anything is sent); the rest as the
    iterator is consumed, each on a connection of its own.

    The one place an export's query is built: a list's sort and search
    reach it through ``resource.page`` and the list query's fields."""
    first = resource.page(actor, list_query_of(query, list_query, cursor=None))
    return _batches(resource, list_query, actor, query, first)


def _batches(resource, list_query, actor, query, page) -> Iterator[list]:
    yield page.items
    while page.next_cursor is not None:
        with database.connection_context():
            page = resource.page(actor, list_query_of(query, list_query,
                                                      cursor=page.next_cursor))
        yield page.items
