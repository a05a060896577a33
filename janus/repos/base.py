"""Generic CRUD over one model, with typed errors and keyset pagination.

Domain repositories (``janus.repos.users`` ...) subclass ``Repository`` and add
their own queries. Every query helper returns a composable peewee query, so
callers can narrow it further (for example to one owner) before paging.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from datetime import UTC, datetime

import peewee as pw

from janus.errors import Conflict, NotFound, ValidationError
from janus.models import MAX_ID, BaseModel

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclasses.dataclass
class Page:
    items: list
    next_cursor: str | None
    total: int | None = None  # with ?count=true


def integrity_error(exc: pw.IntegrityError, name: str):
    """Turn a database constraint failure into a typed error.

    SQLite says which constraint in the message; psycopg2 gives a SQLSTATE.
    """
    text = str(exc).lower()
    pgcode = getattr(getattr(exc, "orig", None), "pgcode", None) or getattr(exc, "pgcode", None)
    if pgcode == "23505" or "unique" in text:
        return Conflict(f"{name} already exists", details={"constraint": "unique"})
    if pgcode == "23503" or "foreign key" in text:
        return ValidationError("a referenced object does not exist",
                               details=[{"path": "$", "message": "dangling reference"}])
    return ValidationError(f"{name} violates a constraint",
                           details=[{"path": "$", "message": str(exc).splitlines()[0]}])


def naive_utc(when: datetime) -> datetime:
    """Columns hold naive UTC; an aware datetime is converted, not mis-stored."""
    if when.tzinfo is not None:
        return when.astimezone(UTC).replace(tzinfo=None)
    return when


# Keyset cursors: base64url of JSON [version, sort, last value, last id].
# The sort rides along so a cursor cannot silently continue another order;
# version 1 (before ?sort=) was a bare [time, id] and is refused by name.
CURSOR_VERSION = 2
EARLIER_CURSOR = "cursor from an earlier version: start again from the first page"
_MAX_CURSOR_TEXT = 1024  # longer than any sortable column holds


@dataclasses.dataclass(frozen=True)
class Order:
    """A keyset order: ``column`` then id, both descending or both ascending;
    ``key`` is how ``?sort=`` names it ("-created_at", "email")."""

    key: str
    column: pw.Field

    @property
    def descending(self) -> bool:
        return self.key.startswith("-")


def encode_cursor(sort: str, value, row_id: int) -> str:
    """The cursor after the row ``row_id`` whose value is ``value`` in the
    order ``sort`` names (``Order.key``)."""
    shown = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([CURSOR_VERSION, sort, shown, row_id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_value(column: pw.Field, value):
    """The cursor's last value as ``column`` holds it, or ValueError: a
    value the column could not hold would be a database error, not a 422."""
    if isinstance(column, pw.DateTimeField):
        if not isinstance(value, str):
            raise ValueError
        return naive_utc(datetime.fromisoformat(value))
    if isinstance(column, pw.IntegerField):  # BigIntegerField too
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
            raise ValueError
        return value
    if not isinstance(value, str) or len(value) > _MAX_CURSOR_TEXT or "\0" in value:
        raise ValueError
    value.encode("utf-8")  # a lone surrogate: UnicodeEncodeError
    return value


def decode_cursor(cursor: str, order: Order) -> tuple:
    """(last value, last id) of a cursor issued for ``order`` (422 otherwise)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ValidationError.at("$.cursor", "not a cursor this service issued") from None
    if isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[0], str):
        raise ValidationError.at("$.cursor", EARLIER_CURSOR)
    if not (isinstance(decoded, list) and len(decoded) == 4 and decoded[0] == CURSOR_VERSION
            and isinstance(decoded[1], str)):
        raise ValidationError.at("$.cursor", "not a cursor this service issued")
    _, key, value, row_id = decoded
    if key != order.key:
        raise ValidationError.at(
            "$.cursor", f"this cursor continues sort={key}, not sort={order.key}: send the "
            "same sort, or start again from the first page (no cursor)")
    try:
        if not is_row_id(row_id):
            raise ValueError
        return _cursor_value(order.column, value), row_id
    except (ValueError, TypeError, UnicodeEncodeError, OverflowError):
        raise ValidationError.at("$.cursor", "not a cursor this service issued") from None


def is_row_id(value) -> bool:
    """Ids run from 1 to MAX_ID (janus.models): anything else cannot name a
    row (and SQLite would raise OverflowError beyond 64 bits, PostgreSQL
    "bigint out of range")."""
    return not isinstance(value, bool) and isinstance(value, int) and 0 < value <= MAX_ID


def page_of(rows: list, limit: int, order: Order, position) -> Page:
    """A page of ``rows`` fetched with one row more than ``limit``: that extra
    row, if any, says there is a next page, whose cursor is the last kept
    row's ``position(row)`` (its value in ``order`` and its id)."""
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, encode_cursor(order.key, *position(rows[-1])))


class Repository:
    model: type[BaseModel] = BaseModel

    @property
    def name(self) -> str:
        return self.model.__name__

    @property
    def order_field(self) -> pw.Field:
        return getattr(self.model, self.model.ordering_field)

    # -- reading -----------------------------------------------------------
    def select(self, *fields) -> pw.ModelSelect:
        return self.model.select(*fields)

    def get_by_id(self, row_id, query: pw.ModelSelect | None = None) -> BaseModel:
        """The row, or NotFound. ``query`` narrows what is visible."""
        if not is_row_id(row_id):
            raise NotFound(f"{self.name} {row_id} not found")
        query = self.select() if query is None else query
        row = query.where(self.model.id == row_id).first()
        if row is None:
            raise NotFound(f"{self.name} {row_id} not found")
        return row

    def since(self, query, when: datetime | None = None, until: datetime | None = None):
        """Rows whose ordering time lies in [when, until)."""
        if when is not None:
            query = query.where(self.order_field >= naive_utc(when))
        if until is not None:
            query = query.where(self.order_field < naive_utc(until))
        return query

    @property
    def newest_first(self) -> Order:
        """The default order: ordering time, newest first."""
        return Order("-" + self.order_field.name, self.order_field)

    def keyset(self, query: pw.ModelSelect, fetch: int, after: tuple | None = None,
               order: Order | None = None) -> pw.ModelSelect:
        """``query`` in ``order`` (default newest first), keyed on (column, id),
        from just after the position ``after`` (a decoded cursor), ``fetch``
        rows at most. The row-value comparison is an index range on (column,
        id) (migrations 006 and 015); ``c < ? OR (c = ? AND id < ?)`` is not."""
        order = order or self.newest_first
        keys = pw.Tuple(order.column, self.model.id)
        if after is not None:
            query = query.where(keys < pw.Tuple(*after) if order.descending
                                else keys > pw.Tuple(*after))
        if order.descending:
            return query.order_by(order.column.desc(), self.model.id.desc()).limit(fetch)
        return query.order_by(order.column.asc(), self.model.id.asc()).limit(fetch)

    def page(self, query: pw.ModelSelect | None = None, *, limit: int = DEFAULT_LIMIT,
             cursor: str | None = None, order: Order | None = None,
             count: bool = False) -> Page:
        """One keyset page in ``order`` (default newest first): page N costs what
        page 1 does. ``count``: also the number of rows ``query`` matches."""
        query = self.select() if query is None else query
        order = order or self.newest_first
        after = decode_cursor(cursor, order) if cursor else None
        rows = list(self.keyset(query, limit + 1, after, order))
        name = order.column.name
        page = page_of(rows, limit, order, lambda row: (getattr(row, name), row.id))
        if count:
            page.total = query.order_by().count()
        return page

    # -- writing -----------------------------------------------------------
    # Values arrive validated by the request Structs (janus.schemas); what is
    # left here is normalisation (``_normalise``) and turning constraint
    # failures into typed errors.
    def _normalise(self, fields: dict) -> dict:
        return fields

    def _prepare(self, fields: dict) -> dict:
        """Aware times become the naive UTC the columns hold; then the domain's
        own normalisation."""
        for name, value in fields.items():
            if isinstance(value, datetime):
                fields[name] = naive_utc(value)
        return self._normalise(fields)

    def constraint_error(self, exc: pw.IntegrityError):
        """The typed error for a constraint this repository's table refused."""
        return integrity_error(exc, self.name)

    # No savepoint of their own: a failed write ends the caller's transaction,
    # which the service rolls back as a whole.
    def create(self, **fields) -> BaseModel:
        try:
            return self.model.create(**self._prepare(fields))
        except pw.IntegrityError as exc:
            raise self.constraint_error(exc) from None

    def _resolve(self, obj_or_id) -> BaseModel:
        return obj_or_id if isinstance(obj_or_id, self.model) else self.get_by_id(obj_or_id)

    def apply(self, obj: BaseModel, fields: dict) -> dict:
        """Set ``fields`` on ``obj`` (unsaved); return {name: [old, new]} for real changes."""
        fields = self._prepare(dict(fields))
        changes = {}
        for name, value in fields.items():
            old = getattr(obj, self.model._meta.fields[name].name)
            if isinstance(self.model._meta.fields[name], pw.ForeignKeyField):
                old = getattr(obj, name + "_id")
                value = value.id if isinstance(value, pw.Model) else value
            if old != value:
                changes[name] = [old, value]
                setattr(obj, name, value)
        return changes

    def update(self, obj_or_id, **fields) -> BaseModel:
        obj = self._resolve(obj_or_id)
        self.update_with_changes(obj, fields)
        return obj

    def update_with_changes(self, obj: BaseModel, fields: dict) -> dict:
        """Update and return what changed, for the audit trail."""
        changes = self.apply(obj, fields)
        if changes:
            try:
                # Only the changed columns: a concurrent change to another
                # column of the row is not overwritten with a stale value.
                meta = self.model._meta
                only = [meta.fields[name] for name in changes]
                if "updated_at" in meta.fields:
                    only.append(meta.fields["updated_at"])
                obj.save(only=only)
            except pw.IntegrityError as exc:
                # Put the refused values back: the caller's object matches the row.
                for name, (old, _new) in changes.items():
                    setattr(obj, name, old)
                raise self.constraint_error(exc) from None
        return changes

    def delete(self, obj_or_id) -> None:
        self._resolve(obj_or_id).delete_instance()
