"""Compiled reads: how a repository runs its hot reads (the token check,
GET by id and list pages).

Peewee rebuilds a query's SQL on every call: building the token query's SQL
costs ~330 µs, running it ~20 µs. Each hot query is written once as an ORM
query -- from the list's declaration (janus.lists) and the one visibility
rule (``janus.access.visible``) -- but built with stand-in values. Peewee's
SQL and parameter list are kept per database and query shape (which
filters, admin or owner, cursor or not), and each stand-in's place in that
list says where a request's value goes: the SQL is peewee's own, never
written by hand. On PostgreSQL each is also a prepared statement per
connection (janus.repos.prepared), but a text search's (``?q=``: its
pattern decides the plan). The queries: janus.repos.tokens (the
token check) and janus.lists.reads (every list and GET by id).
"""
from __future__ import annotations

import weakref
from datetime import datetime, timedelta

import msgspec
import peewee as pw

from janus.db import database
from janus.repos import prepared

# Stand-ins that cannot be mistaken for a query's own constants: ids and
# page sizes stay far below 2**62, no filter is written with U+E000, and no
# query of Janus names the year 1234.
_INT_STAND_IN = 1 << 62
_TEXT_STAND_IN = "\ue000{}\ue000"
_TIME_STAND_IN = datetime(1234, 5, 6)


class Slots:
    """Stand-in values for a query's parameters while peewee builds its SQL.
    Each is unique; text ones survive the filters' normalisation (strip,
    lower, upper, cut), so they pass through the repositories' helpers."""

    def __init__(self):
        self.names: dict = {}
        self.plan_per_value = False

    def _add(self, value, name: str):
        self.names[(type(value), value)] = name
        return value

    def integer(self, name: str) -> int:
        return self._add(_INT_STAND_IN + len(self.names), name)

    def text(self, name: str, plan_per_value: bool = False) -> str:
        """``plan_per_value``: the value decides the best plan (a LIKE
        pattern's selectivity), so the query is not a prepared statement,
        whose generic plan PostgreSQL soon reuses for every value."""
        self.plan_per_value = self.plan_per_value or plan_per_value
        return self._add(_TEXT_STAND_IN.format(len(self.names)), name)

    def moment(self, name: str) -> datetime:
        # Increasing, so a ``since`` stand-in is earlier than an ``until`` one.
        return self._add(_TIME_STAND_IN + timedelta(days=len(self.names)), name)


def _sqlite_time(field: pw.DateTimeField):
    """SQLite returns times as text. ``fromisoformat`` reads what Janus
    writes ~5x faster than peewee's strptime loop, which stays the fallback."""
    def convert(value):
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        return field.python_value(value)
    return convert


def _sqlite_json(field: pw.JSONField):
    """SQLite returns JSON as text. msgspec reads it ~4x faster than
    json.loads, to the same values; json.loads (peewee's reader) stays the
    fallback for what msgspec refuses (NaN, 1e400, lone surrogates)."""
    def convert(value):
        if isinstance(value, str):
            try:
                return msgspec.json.decode(value)
            except msgspec.MsgspecError:
                pass
        return field.python_value(value)
    return convert


def _converter(node, sqlite: bool):
    """What peewee would do to a column's raw value, where the driver's value
    is not already it: times (SQLite), booleans (SQLite 0/1), JSON (SQLite;
    psycopg2 decodes jsonb itself, janus.db.read_jsonb, and peewee's reader
    there is the identity)."""
    field = node.unwrap()
    if isinstance(field, pw.DateTimeField):
        return _sqlite_time(field) if sqlite else None
    if isinstance(field, pw.JSONField):
        return _sqlite_json(field) if sqlite else None
    if isinstance(field, pw.BooleanField):
        return field.python_value
    return None


# Python's sqlite3 (3.11 to 3.13 alike) lets go of the GIL for every column of
# every row it reads: under gunicorn's threads each is a chance for another
# thread to cut in (docs/benchmarks.md, "One column per row"). On SQLite a
# row's integer and text columns (JSON is text there) come back as one
# json_array, which msgspec reads to the same values. SQLite writes a REAL
# there with 15 digits, so floats, blobs and expressions keep their own columns.
_PACKABLE = frozenset({"AUTO", "BIGAUTO", "INT", "BIGINT", "SMALLINT", "BOOL", "CHAR",
                       "VARCHAR", "TEXT", "JSON", "DATETIME", "DATE", "TIME", "UUID"})
_decode = msgspec.json.decode


def _packable(node) -> bool:
    # A bare column only: an alias stays its own column, where ORDER BY may name it.
    return isinstance(node, pw.Field) and getattr(node, "field_type", None) in _PACKABLE


def _packed(query: pw.Select) -> tuple[pw.Select, tuple | None]:
    """The query reading its packable columns as one json_array, then the
    others; and where each of the query's own columns is in that (None: the
    same places)."""
    columns = list(query._returning)
    packed = [i for i, node in enumerate(columns) if _packable(node)]
    if len(packed) < 2 or not isinstance(query, pw.Select):
        return query, None
    rest = [i for i in range(len(columns)) if i not in packed]
    query = query.select(pw.fn.json_array(*(columns[i] for i in packed)),
                         *(columns[i] for i in rest))
    source = packed + rest
    places = tuple(source.index(i) for i in range(len(columns)))
    return query, None if places == tuple(range(len(columns))) else places


class Compiled:
    """One query's SQL for one database and shape, and where its values go."""

    def __init__(self, query: pw.Select, slots: Slots, db: pw.Database):
        sqlite = isinstance(db, pw.SqliteDatabase)
        self.converters = tuple((i, convert) for i, node in enumerate(query._returning)
                                if (convert := _converter(node, sqlite)) is not None)
        self.packed, self.places = False, None
        if sqlite:
            packed, self.places = _packed(query)
            self.packed = packed is not query
            query = packed
        self.sql, params = query.sql()  # the stand-ins and constants, in order
        # (True, name): a request value goes there; (False, value): a constant.
        order = []
        for value in params:
            name = slots.names.get((type(value), value)) if _hashable(value) else None
            order.append((True, name) if name is not None else (False, value))
        self.params = tuple(order)
        lost = set(slots.names.values()) - {name for is_slot, name in order if is_slot}
        if lost:  # a helper changed a stand-in: its value would never reach the SQL
            raise RuntimeError(f"stand-ins lost while compiling: {sorted(lost)}")
        # PostgreSQL: prepared once per connection (janus.repos.prepared),
        # unless JANUS_PG_PREPARE=0 (create_app sets ``janus_prepare``).
        self.prepared = (prepared.Prepared.of(self.sql, params)
                         if isinstance(db, pw.PostgresqlDatabase)
                         and getattr(db, "janus_prepare", True) and not slots.plan_per_value
                         else None)

    def rows(self, values: dict) -> list[list]:
        params = [values[x] if is_slot else x for is_slot, x in self.params]
        cursor = (database.execute_sql(self.sql, params) if self.prepared is None
                  else prepared.cursor(self.prepared, self.sql, params))
        if not self.packed:
            rows = [list(row) for row in cursor.fetchall()]
        elif self.places is None:
            rows = [_decode(row[0]) + list(row[1:]) for row in cursor.fetchall()]
        else:
            places = self.places
            rows = [[read[k] for k in places]
                    for read in (_decode(row[0]) + list(row[1:]) for row in cursor.fetchall())]
        if self.converters:  # none on PostgreSQL for most queries
            for row in rows:
                for i, convert in self.converters:
                    row[i] = convert(row[i])
        return rows


def _hashable(value) -> bool:
    return isinstance(value, (int, str, datetime))


class HotQuery:
    """``build(slots, *shape)`` is the query's ORM form for one shape; it is
    compiled on first use per database (each test app may bring a new one)."""

    def __init__(self, build):
        self.build = build
        self._compiled = weakref.WeakKeyDictionary()  # database -> {shape: Compiled}

    def compiled(self, shape: tuple) -> Compiled:
        db = database.obj
        per_database = self._compiled.get(db)
        if per_database is None:
            per_database = self._compiled.setdefault(db, {})
        found = per_database.get(shape)
        if found is None:
            slots = Slots()
            found = per_database[shape] = Compiled(self.build(slots, *shape), slots, db)
        return found

    def rows(self, shape: tuple, values: dict) -> list[list]:
        return self.compiled(shape).rows(values)
