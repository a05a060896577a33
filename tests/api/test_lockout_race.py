"""Concurrent wrong passwords cannot overshoot the lockout.

Every attempt is recorded and counted before the password is checked, so N
guesses sent at once get at most the threshold's worth of argon2
verifications: the rest are refused unverified. Each thread holds its own
pooled connection, as a gunicorn thread does.
"""
from __future__ import annotations

import collections
import threading
import time

import pytest
import webtest

from janus import passwords
from janus.access import Client
from janus.db import database
from janus.errors import TooManyRequests, Unauthorized
from janus.models import SecurityEvent
from janus.services import auth
from janus.web.app import create_app

THREADS = 24
WRONG = "not the password"
# About what argon2-cffi's default parameters take per verification.
PRODUCTION_VERIFY_SECONDS = 0.05


@pytest.fixture
def verifications(monkeypatch):
    """Counts argon2 verifications (janus.passwords.verify_password calls).

    Each also takes as long as a production-cost verification (the suite's
    argon2 parameters are cheap), so the guesses really overlap: without the
    count-first design most of them would be verified."""
    calls, lock = [], threading.Lock()
    real = passwords.verify_password

    def counting(password_hash, password):
        with lock:
            calls.append(password_hash)
        time.sleep(PRODUCTION_VERIFY_SECONDS)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


def storm(config, login_name: str, ips: list[str]) -> collections.Counter:
    """One wrong-password login per address in ``ips``, all released at once."""
    barrier = threading.Barrier(len(ips))
    outcomes, lock = collections.Counter(), threading.Lock()

    def attempt(ip):
        barrier.wait()
        # After the barrier: a pool smaller than THREADS makes threads wait
        # for a connection, which must not hold up the others at the barrier.
        database.connect(reuse_if_open=True)
        try:
            try:
                auth.login(login_name, WRONG, Client(ip=ip, user_agent="race"), config)
                outcome = "ok"
            except (Unauthorized, TooManyRequests) as exc:
                outcome = exc.status
        finally:
            database.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=attempt, args=(ip,)) for ip in ips]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def actions() -> collections.Counter:
    return collections.Counter(SecurityEvent.select(SecurityEvent.action).tuples())


@pytest.mark.parametrize("spread, limit", [
    # One address: the per-(account, address) threshold.
    ("one_address", 5),
    # Every guess from another address: the per-account threshold.
    ("many_addresses", 8),
])
def test_concurrent_wrong_passwords_get_at_most_threshold_verifications(
        app, make_config, alice, verifications, spread, limit):
    config = make_config(JANUS_LOCKOUT_THRESHOLD=5, JANUS_LOCKOUT_ACCOUNT_THRESHOLD=8)
    ips = (["203.0.113.9"] * THREADS if spread == "one_address"
           else [f"198.51.100.{n}" for n in range(1, THREADS + 1)])
    database.close()  # the fixture's connection: every thread takes its own
    outcomes = storm(config, "alice", ips)
    database.connect(reuse_if_open=True)
    assert len(verifications) == limit
    assert outcomes == {401: limit, 429: THREADS - limit}
    counts = actions()
    assert counts[("login_failed",)] == limit
    assert counts[("lockout",)] == 1
    assert counts[("login_locked",)] == THREADS - limit


def test_through_the_wsgi_app_too(make_config, alice, verifications):
    """The same storm through create_app (DatabasePlugin's pooled connection
    per thread, the route, the error envelope)."""
    app = create_app(make_config(JANUS_LOCKOUT_THRESHOLD=5))
    database.close()
    barrier = threading.Barrier(THREADS)
    statuses, lock = collections.Counter(), threading.Lock()

    def attempt():
        client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "203.0.113.9"})
        barrier.wait()
        res = client.post_json("/auth/login", {"login": "alice", "password": WRONG},
                               status="*")
        with lock:
            statuses[res.status_int] += 1

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database.connect(reuse_if_open=True)
    assert len(verifications) == 5
    assert statuses == {401: 5, 429: THREADS - 5}
    assert actions()[("login_failed",)] == 5
