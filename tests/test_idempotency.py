"""janus.services.idempotency below HTTP: run_once's transaction, replay,
expiry and its error paths, on both backends."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from janus.db import database
from janus.errors import Conflict, ValidationError
from janus.models import IdempotencyKey, Log
from janus.services.idempotency import Answer, check_key, fingerprint, run_once

T0 = datetime(2024, 3, 1, 12, 0, 0)
OK = Answer(201, {"Content-Type": "application/json"}, b'{"id": 1}')


def write_log(action="x.done"):
    with database.atomic():
        Log.create(action=action, module="test")


def test_the_answer_and_the_change_commit_together_and_replay(db):
    def execute():
        write_log()
        return OK

    first = run_once("user:1", "k", "f", 60, execute, now=T0)
    again = run_once("user:1", "k", "f", 60, lambda: pytest.fail("ran twice"),
                     now=T0 + timedelta(seconds=59))

    assert (first.replayed, again.replayed) == (False, True)
    assert (again.status, again.headers, again.body) == (OK.status, OK.headers, OK.body)
    assert Log.select().count() == 1


def test_an_expired_key_runs_again(db):
    run_once("user:1", "k", "f", 60, lambda: (write_log(), OK)[1], now=T0)
    later = run_once("user:1", "k", "other", 60, lambda: (write_log(), OK)[1],
                     now=T0 + timedelta(seconds=60))
    assert later.replayed is False
    assert Log.select().count() == 2
    (row,) = IdempotencyKey.select()
    assert (row.fingerprint, row.expires_at) == ("other", T0 + timedelta(seconds=120))


def test_a_reused_key_with_another_fingerprint_is_refused(db):
    run_once("user:1", "k", "f", 60, lambda: OK, now=T0)
    with pytest.raises(ValidationError):
        run_once("user:1", "k", "g", 60, lambda: pytest.fail("ran"), now=T0)


def test_an_exception_that_is_not_an_answer_rolls_everything_back(db):
    def execute():
        write_log()
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        run_once("user:1", "k", "f", 60, execute, now=T0)
    assert (Log.select().count(), IdempotencyKey.select().count()) == (0, 0)


def test_a_refusal_keeps_what_was_committed_before_it(db):
    def execute():
        write_log("x.refused")
        raise Conflict("no")

    with pytest.raises(Conflict):
        run_once("user:1", "k", "f", 60, execute, now=T0)
    assert [row.action for row in Log.select()] == ["x.refused"]
    assert IdempotencyKey.select().count() == 0


def test_a_refusal_after_a_failed_bare_write_leaves_a_usable_connection(db, backend):
    # A write outside any savepoint that fails poisons a PostgreSQL transaction;
    # the claim cannot be removed, so the whole request is rolled back instead.
    def execute():
        write_log("x.before")
        try:
            Log.create(action=None, module="test")  # NOT NULL
        except Exception:
            raise Conflict("refused") from None
        return OK

    with pytest.raises(Conflict):
        run_once("user:1", "k", "f", 60, execute, now=T0)
    assert IdempotencyKey.select().count() == 0
    # SQLite: a failed statement spoils nothing, the refusal's write stays.
    kept = {"sqlite": 1, "postgresql": 0}[backend]
    assert Log.select().where(Log.action == "x.before").count() == kept
    write_log("x.after")  # the connection works
    assert Log.select().where(Log.action == "x.after").count() == 1


@pytest.mark.parametrize("key", ["a", "~" * 255, "550e8400-e29b-41d4-a716-446655440000"])
def test_good_keys(key):
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "a b", "\x7f", "caf\xe9", "\x00"])
def test_bad_keys(key):
    with pytest.raises(ValidationError):
        check_key(key)


SECRET = b"k" * 32


def test_the_fingerprint_separates_its_parts():
    assert fingerprint(SECRET, "POST", "/a", b"b") != fingerprint(SECRET, "POST", "/ab", b"")
    assert fingerprint(SECRET, "post", "/a", b"") == fingerprint(SECRET, "POST", "/a", b"")
    assert len(fingerprint(SECRET, "POST", "/a", b"")) == 64  # fits the column


def test_the_fingerprint_depends_on_the_secret_key():
    assert fingerprint(SECRET, "POST", "/a", b"b") != fingerprint(b"j" * 32, "POST", "/a", b"b")
