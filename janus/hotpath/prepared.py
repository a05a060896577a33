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

import peewee as pw

from janus.db import database

log = logging.getLogger("janus.hotpath")
_names = itertools.count(1)
_held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> {name}
_PLACEHOLDER = re.compile(r"%s")


class Prepared:
    """One statement's PREPARE and EXECUTE texts; ``usable`` turns False if
    PostgreSQL refuses to prepare it (the plain SQL is sent from then on)."""

    def __init__(self, sql: str, n_params: int):
        self.name = f"janus_hot_{next(_names)}"
        numbers = itertools.count(1)
        self.prepare = (f"PREPARE {self.name} AS "
                        + _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql))
        self.execute = (f"EXECUTE {self.name}({', '.join(['%s'] * n_params)})"
                        if n_params else f"EXECUTE {self.name}")
        self.usable = True

    @classmethod
    def of(cls, sql: str, n_params: int) -> Prepared | None:
        """None where the SQL holds a ``%`` other than its placeholders."""
        if sql.count("%") != n_params or sql.count("%s") != n_params:
            return None
        return cls(sql, n_params)


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
