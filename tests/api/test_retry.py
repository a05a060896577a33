"""DatabasePlugin runs a handler again after a PostgreSQL deadlock (40P01) or
serialization failure (40001), at most ATTEMPTS times, and never after any
other database error. The failures are raised by the service the route
calls, the way peewee raises them (the driver's error on ``exc.orig``)."""
from __future__ import annotations

import threading

import peewee as pw
import pytest

from janus.db import database, is_postgres, is_retryable
from janus.models import Log
from janus.services import records
from janus.web import plugins
from tests.api.helpers import assert_error, call, upload
from tests.images import photo_like, save

LOG = {"action": "client.retry", "module": "client"}


class DriverError(Exception):
    def __init__(self, pgcode):
        super().__init__(f"driver error {pgcode}")
        self.pgcode = pgcode


def database_error(pgcode: str | None, kind=pw.OperationalError) -> Exception:
    exc = kind(f"error {pgcode}")
    exc.orig = DriverError(pgcode)
    return exc


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(plugins, "RETRY_PAUSE", 0)


def failing(monkeypatch, name, errors):
    """Make ``records.<name>`` raise each of ``errors`` once, then work."""
    original, calls = getattr(records, name), []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= len(errors):
            with database.atomic():  # a write that the failure rolls back
                Log.create(action="half.done", module="test")
                raise errors[len(calls) - 1]
        return original(*args, **kwargs)
    monkeypatch.setattr(records, name, flaky)
    return calls


@pytest.mark.parametrize("pgcode", ["40P01", "40001"])
@pytest.mark.parametrize("kind", [pw.OperationalError, pw.InternalError])
def test_a_deadlock_or_serialization_failure_is_retried(client, alice, monkeypatch, no_pause,
                                                        pgcode, kind):
    calls = failing(monkeypatch, "append_log", [database_error(pgcode, kind)] * 2)
    res = call(client, "POST", "/logs", alice, json=LOG)
    assert res.status_int == 201, res.text
    assert len(calls) == plugins.ATTEMPTS
    # the failed attempts' writes were rolled back; the last one's committed once
    assert Log.select().where(Log.action == "half.done").count() == 0
    assert Log.select().where(Log.action == "client.retry").count() == 1


def test_the_last_attempt_failing_is_a_503(client, alice, monkeypatch, no_pause):
    calls = failing(monkeypatch, "append_log", [database_error("40P01")] * plugins.ATTEMPTS)
    assert_error(call(client, "POST", "/logs", alice, json=LOG), 503, "service_unavailable")
    assert len(calls) == plugins.ATTEMPTS
    assert Log.select().where(Log.action.in_(["half.done", "client.retry"])).count() == 0


@pytest.mark.parametrize("pgcode", [None, "23505", "57P01", "08006"])
def test_other_database_errors_are_not_retried(client, alice, monkeypatch, no_pause, pgcode):
    calls = failing(monkeypatch, "append_log", [database_error(pgcode)])
    assert_error(call(client, "POST", "/logs", alice, json=LOG), 503, "service_unavailable")
    assert len(calls) == 1


def test_a_retried_upload_reads_its_multipart_body_again(client, alice, monkeypatch, no_pause):
    from janus.services import images
    original, sizes = images.upload, []

    def flaky(actor, data, *args, **kwargs):
        sizes.append(len(data))
        if len(sizes) == 1:
            raise database_error("40P01")
        return original(actor, data, *args, **kwargs)
    monkeypatch.setattr(images, "upload", flaky)
    data = save(photo_like(5, (32, 24)), "PNG")
    res = upload(client, alice, data, "retried.png")
    assert res.status_int == 201, res.text
    assert sizes == [len(data), len(data)]


def test_a_real_postgresql_deadlock_is_recognised(db):
    """Two transactions locking two rows in opposite orders: PostgreSQL kills
    one with 40P01, which peewee raises and is_retryable recognises."""
    if not is_postgres():
        pytest.skip("SQLite has no row locks: writers take turns at BEGIN IMMEDIATE")
    first, second = Log.create(action="a", module="t"), Log.create(action="b", module="t")
    both_locked_one = threading.Barrier(2, timeout=30)
    errors = []

    def lock(one, other):
        try:
            with database.atomic():
                Log.update(level="warning").where(Log.id == one.id).execute()
                both_locked_one.wait()
                Log.update(level="warning").where(Log.id == other.id).execute()
        except pw.DatabaseError as exc:
            errors.append(exc)
        finally:
            database.close()
    threads = [threading.Thread(target=lock, args=pair)
               for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(errors) == 1, errors
    assert is_retryable(errors[0]), repr(errors[0])
