"""PostgreSQL runs the compiled hot queries as prepared statements
(janus.repos.prepared): prepared once per connection, then EXECUTEd with
each request's values; sent plain where preparing is not possible or wise."""
from __future__ import annotations

import logging

import pytest

from janus.config import Config
from janus.db import database
from janus.models import Log
from janus.repos import prepared
from janus.repos.compiled import HotQuery
from janus.repos.logs import logs
from tests.helpers import T0


class Sent(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []

    def emit(self, record):
        if isinstance(record.msg, tuple):
            self.sql.append(record.msg[0])


@pytest.fixture
def sent():
    logger, handler = logging.getLogger("peewee"), Sent()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.sql
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def rows(db, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no parse-and-plan round trip to save")
    return [logs.record(action, "m").id for action in ("a", "b", "a")]


def by_action():
    return HotQuery(lambda slots: Log.select(Log.id).where(Log.action == slots.text("action"))
                    .order_by(Log.id))


def kinds(sql: list[str]) -> list[str]:
    return [text.split(" ", 1)[0] for text in sql]


def test_prepared_once_per_connection_then_executed(rows, sent):
    hot = by_action()
    answers = [hot.rows((), {"action": action}) for action in ("a", "b", "a", "none")]
    assert answers == [[[rows[0]], [rows[2]]], [[rows[1]]], [[rows[0]], [rows[2]]], []]
    assert kinds(sent) == ["PREPARE", "EXECUTE", "EXECUTE", "EXECUTE", "EXECUTE"]
    # A new connection holds no prepared statement: it prepares again.
    database.close()
    database.close_all()
    sent.clear()
    assert hot.rows((), {"action": "b"}) == [[rows[1]]]
    assert kinds(sent) == ["PREPARE", "EXECUTE"]


def test_inside_a_transaction_an_unprepared_query_is_sent_plain(rows, sent):
    hot = by_action()
    with database.atomic():
        assert hot.rows((), {"action": "b"}) == [[rows[1]]]
    assert "PREPARE" not in kinds(sent) and "EXECUTE" not in kinds(sent)
    assert hot.rows((), {"action": "b"}) == [[rows[1]]]  # outside: prepared now
    with database.atomic():
        assert hot.rows((), {"action": "b"}) == [[rows[1]]]  # and run prepared inside
    assert kinds(sent) == ["SELECT", "PREPARE", "EXECUTE", "EXECUTE"]


@pytest.fixture
def warned(caplog):
    """caplog fed by janus.repos.prepared itself ("janus" may not propagate)."""
    logger = logging.getLogger("janus.repos.prepared")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_a_statement_postgresql_will_not_prepare_is_sent_plain(rows, sent, warned):
    # a type PostgreSQL does not know: it refuses the PREPARE
    statement = prepared.Prepared("SELECT %s IS NULL", ["no_such_type"])
    for _ in range(2):
        assert prepared.cursor(statement, "SELECT %s IS NULL", [None]).fetchall() == [(True,)]
    assert kinds(sent) == ["PREPARE", "SELECT", "SELECT"]  # tried once
    assert not statement.usable
    names = {r.name for r in warned.records if r.name.startswith("janus")}
    assert names == {"janus.repos.prepared"}


def test_sql_with_a_literal_percent_is_not_prepared():
    assert prepared.Prepared.of("SELECT 1 WHERE 'a%%' LIKE %s", ["a"]) is None
    statement = prepared.Prepared.of(
        'SELECT "id" FROM "logs" WHERE "id" = %s AND "action" = %s AND "timestamp" < %s '
        'AND %s LIMIT %s', [1, "a", T0, True, 2])
    assert statement.prepare == (
        f'PREPARE {statement.name}(bigint, text, timestamp, boolean, bigint) AS SELECT "id" '
        'FROM "logs" WHERE "id" = $1 AND "action" = $2 AND "timestamp" < $3 AND $4 LIMIT $5')
    assert statement.execute == f"EXECUTE {statement.name}(%s, %s, %s, %s, %s)"
    assert prepared.Prepared.of("SELECT %s", [object()]) is None  # no type for it


def test_an_id_beyond_32_bits_finds_nothing_as_in_plain_sql(rows, sent):
    # declared bigint: an integer column compared with it is no 500
    hot = HotQuery(lambda slots: Log.select(Log.id).where(Log.user == slots.integer("user")))
    assert hot.rows((), {"user": 2**40}) == [] and hot.rows((), {"user": 2**62}) == []
    assert kinds(sent)[-1] == "EXECUTE"


def test_janus_pg_prepare_off_sends_the_plain_sql(rows, sent):
    assert Config.from_env({"DATABASE_URL": "sqlite:////x.db"}).pg_prepare is True
    assert Config.from_env({"DATABASE_URL": "sqlite:////x.db",
                            "JANUS_PG_PREPARE": "0"}).pg_prepare is False
    database.obj.janus_prepare = False
    try:
        assert by_action().rows((), {"action": "b"}) == [[rows[1]]]
    finally:
        del database.obj.janus_prepare
    assert kinds(sent) == ["SELECT"]
