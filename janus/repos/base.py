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


def encode_cursor(when: datetime, row_id: int) -> str:
    raw = json.dumps([when.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, row_id = json.loads(raw)
        if not is_row_id(row_id):
            raise ValueError
        return naive_utc(datetime.fromisoformat(when)), row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError,
            OverflowError):
        raise ValidationError.at("$.cursor", "not a cursor this service issued") from None


def is_row_id(value) -> bool:
    """Ids run from 1 to MAX_ID (janus.models): anything else cannot name a
    row (and SQLite would raise OverflowError beyond 64 bits, PostgreSQL
    "bigint out of range")."""
    return not isinstance(value, bool) and isinstance(value, int) and 0 < value <= MAX_ID


def page_of(rows: list, limit: int, position) -> Page:
    """A page of ``rows`` fetched with one row more than ``limit``: that extra
    row, if any, says there is a next page, whose cursor is the last kept
    row's ``position(row)`` (its ordering time and id)."""
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, encode_cursor(*position(rows[-1])))


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

    def keyset(self, query: pw.ModelSelect, fetch: int,
               after: tuple[datetime, int] | None = None) -> pw.ModelSelect:
        """``query`` newest first, keyed on (ordering time, id), from just after
        the position ``after`` (a decoded cursor), ``fetch`` rows at most.
        The row-value comparison is an index range on (time, id) (the
        models' keyset indexes); ``t < ? OR (t = ? AND id < ?)`` is not."""
        when_field, id_field = self.order_field, self.model.id
        if after is not None:
            when, row_id = after
            query = query.where(pw.Tuple(when_field, id_field) < pw.Tuple(when, row_id))
        return query.order_by(when_field.desc(), id_field.desc()).limit(fetch)

    def page(self, query: pw.ModelSelect | None = None, *, limit: int = DEFAULT_LIMIT,
             cursor: str | None = None) -> Page:
        """Newest first, keyed on (ordering time, id): page N costs what page 1 does."""
        query = self.select() if query is None else query
        after = decode_cursor(cursor) if cursor else None
        rows = list(self.keyset(query, limit + 1, after))
        when_name = self.order_field.name
        return page_of(rows, limit, lambda row: (getattr(row, when_name), row.id))

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
