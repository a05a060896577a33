"""PostgreSQL server-side prepared statements for the compiled hot queries.

PostgreSQL parses and plans every statement it is sent: for the token query
that is ~100 us of the server's CPU, more than running it. psycopg2 has no
prepared statements of its own, so a hot query is sent once per connection
as ``PREPARE janus_hot_<n> AS <its SQL with $1..$n>`` and then run as
``EXECUTE janus_hot_<n>(%s, ...)``. A prepared statement outlives a rolled
back transaction and goes with its connection, so which connection holds
which statement is kept beside the connection (weakly: a closed and
reopened connection starts empty).

Not for a pooler in transaction mode (PgBouncer's default), where the next
statement may reach another server connection: set ``JANUS_PG_PREPARE=0``.
"""
from __future__ import annotations

import itertools
import logging
import re
import weakref
from datetime import datetime

import peewee as pw

from janus.db import database

log = logging.getLogger("janus.repos.prepared")
_names = itertools.count(1)
_held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> {name}
_PLACEHOLDER = re.compile(r"%s")
# Each parameter's type, declared from its Python value: left to PostgreSQL,
# ``user_id = $1`` would make $1 an ``integer`` and an id beyond 32 bits,
# which the plain query merely finds no row for, a 500. Declared ``bigint``,
# the comparison is cross-type and still an index condition.
_TYPES = ((bool, "boolean"), (int, "bigint"), (str, "text"), (datetime, "timestamp"),
          (float, "double precision"))


class Prepared:
    """One statement's PREPARE and EXECUTE texts; ``usable`` turns False if
    PostgreSQL refuses to prepare it (the plain SQL is sent from then on)."""

    def __init__(self, sql: str, types: list[str]):
        self.name = f"janus_hot_{next(_names)}"
        numbers = itertools.count(1)
        declared = f"({', '.join(types)})" if types else ""
        self.prepare = (f"PREPARE {self.name}{declared} AS "
                        + _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql))
        self.execute = (f"EXECUTE {self.name}({', '.join(['%s'] * len(types))})"
                        if types else f"EXECUTE {self.name}")
        self.usable = True

    @classmethod
    def of(cls, sql: str, values: list) -> Prepared | None:
        """``values``: one example of each parameter (a stand-in or the
        constant), whose Python type gives the parameter's SQL type. None
        where the SQL holds a ``%`` other than its placeholders, or a value
        has no type here."""
        if sql.count("%") != len(values) or sql.count("%s") != len(values):
            return None
        types = [next((name for kind, name in _TYPES if isinstance(value, kind)), None)
                 for value in values]
        if None in types:
            return None
        return cls(sql, types)


def cursor(statement: Prepared, sql: str, params: list):
    """Run ``sql`` with ``params`` as the prepared ``statement`` (prepared on
    this connection first if need be). Inside a transaction a statement
    not yet prepared is sent plain: a refused PREPARE would abort it."""
    if statement.usable:
        held = _held.setdefault(database.connection(), set())
        if statement.name in held:
            return database.execute_sql(statement.execute, params)
        if not database.in_transaction():
            try:
                database.execute_sql(statement.prepare)
            except pw.DatabaseError as exc:
                statement.usable = False
                log.warning("not preparing a hot query (%s): %s", statement.name, exc)
            else:
                held.add(statement.name)
                return database.execute_sql(statement.execute, params)
    return database.execute_sql(sql, params)
