"""janus.ratelimit_store: the default rate-limit counters, a SQLite file that
every worker of a host shares (a ``limits`` storage of scheme sqlite://)."""
from __future__ import annotations

import multiprocessing
import threading

import limits
import pytest
from limits.errors import StorageError
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from janus import ratelimit_store
from janus.ratelimit_store import SQLiteStorage

TEN_A_MINUTE = limits.parse("10/minute")


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit_store.time, "time", lambda: now[0])
    return now


def storage(path, **options):
    return limits.storage.storage_from_string(f"sqlite:///{path}", **options)


def test_the_scheme_is_registered_and_sqlite_default_is_in_the_data_dir(tmp_path):
    assert isinstance(storage(tmp_path / "x.sqlite"), SQLiteStorage)
    default = limits.storage.storage_from_string("sqlite://", data_dir=tmp_path)
    assert default.path == tmp_path / "ratelimits.sqlite"
    assert default.check() and default.path.exists()
    assert default.path.stat().st_mode & 0o777 == 0o600  # its keys are client addresses


def test_two_workers_share_one_moving_window(tmp_path, clock):
    one, two = (MovingWindowRateLimiter(storage(tmp_path / "r.sqlite")) for _ in range(2))
    assert [(one if n % 2 else two).hit(TEN_A_MINUTE, "login", "a") for n in range(10)] \
        == [True] * 10
    assert not one.hit(TEN_A_MINUTE, "login", "a") and not two.hit(TEN_A_MINUTE, "login", "a")
    assert two.hit(TEN_A_MINUTE, "login", "b")  # another key counts alone
    reset_at, remaining = one.get_window_stats(TEN_A_MINUTE, "login", "a")
    assert (reset_at, remaining) == (clock[0] + 60, 0)
    clock[0] += 30
    assert not one.hit(TEN_A_MINUTE, "login", "a")
    clock[0] += 30.5  # the first hits leave the window
    assert one.hit(TEN_A_MINUTE, "login", "a")


def _hit_in_child(path, queue):
    limiter = MovingWindowRateLimiter(storage(path))
    queue.put([limiter.hit(TEN_A_MINUTE, "register", "c") for _ in range(8)])


def test_a_forked_worker_counts_in_the_same_file(tmp_path):
    path = tmp_path / "r.sqlite"
    parent = MovingWindowRateLimiter(storage(path))
    assert all(parent.hit(TEN_A_MINUTE, "register", "c") for _ in range(4))  # opens it here
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_hit_in_child,
                                                        args=(path, queue))
    child.start()
    got = queue.get(timeout=30)
    child.join(30)
    assert got == [True] * 6 + [False] * 2


def _first_hits(path, barrier, queue, threads):
    store = SQLiteStorage(f"sqlite:///{path}")
    results = []

    def one():
        barrier.wait()
        try:
            results.append(store.acquire_entry("login/a", 10, 60))
        except Exception as exc:  # noqa: BLE001 -- any error is the failure counted
            results.append(repr(exc))
    pool = [threading.Thread(target=one) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put(results)


def test_the_first_hits_of_every_worker_and_thread_at_once_count_exactly(tmp_path):
    """A fresh file opened by 2 workers x 15 threads at the same moment: each
    connection's switch to WAL raced the others' ("disk I/O error", "database
    is locked" without waiting) in about 1 start in 15, and every failed hit
    was a request let through. Fifty fresh files, so the race is met."""
    fork = multiprocessing.get_context("fork")
    for attempt in range(50):
        path = tmp_path / f"r{attempt}.sqlite"
        barrier, queue = fork.Barrier(30), fork.Queue()
        workers = [fork.Process(target=_first_hits, args=(path, barrier, queue, 15))
                   for _ in range(2)]
        for worker in workers:
            worker.start()
        results = queue.get(timeout=60) + queue.get(timeout=60)
        for worker in workers:
            worker.join(30)
        assert sorted(map(str, results)) == ["False"] * 20 + ["True"] * 10, (attempt, results)


def test_old_rows_are_swept(tmp_path, clock):
    store = storage(tmp_path / "r.sqlite")
    limiter = MovingWindowRateLimiter(store)
    for key in "abc":
        limiter.hit(TEN_A_MINUTE, "login", key)
    clock[0] += ratelimit_store.SWEEP_EVERY_SECONDS + 61
    limiter.hit(TEN_A_MINUTE, "login", "d")
    rows = store._connection().execute("SELECT key FROM hits").fetchall()
    assert len(rows) == 1 and rows[0][0].endswith("/d/10/1/minute")


def test_fixed_window_clear_and_reset(tmp_path, clock):
    store = storage(tmp_path / "r.sqlite")
    fixed = FixedWindowRateLimiter(store)
    assert [fixed.hit(limits.parse("2/minute"), "x") for _ in range(3)] == [True, True, False]
    assert store.get(limits.parse("2/minute").key_for("x")) == 3  # refused ones count too
    store.clear(limits.parse("2/minute").key_for("x"))
    assert fixed.hit(limits.parse("2/minute"), "x")
    assert store.reset() >= 1
    assert store.get(limits.parse("2/minute").key_for("x")) == 0


def test_an_unusable_file_is_a_storage_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    store = storage(blocker / "r.sqlite", wrap_exceptions=True)
    assert not store.check()
    with pytest.raises(StorageError):
        MovingWindowRateLimiter(store).hit(TEN_A_MINUTE, "login", "a")
