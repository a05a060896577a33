"""Admin changes racing each other, driven into one interleaving on purpose.

Request A is held inside its transaction, right after its first read of the
admin row (``admins.get_by_id``), while request B runs: B either completes
(PostgreSQL: A holds no lock yet) or is provably blocked (SQLite: B is at its
BEGIN IMMEDIATE while A holds the write lock; PostgreSQL: B's backend waits on
a lock). Only then is A released. No sleeps decide the order.

Invariant checked after every race: a user has role 'admin' exactly when an
admins row exists (no ghost admin), and at least one active superadmin stays.
"""
from __future__ import annotations

import threading
import time

import psycopg2
import pytest
import webtest

from janus.db import database, is_postgres
from janus.models import Admin, User
from janus.services import admins as admin_service
from tests.api.helpers import CLIENT_IP, call

DEADLINE = 60  # seconds: only a hang reaches it (the test then fails, it never passes by it)


def assert_no_ghost_admins():
    roles = dict(User.select(User.id, User.role).tuples())
    admin_users = {user_id for (user_id,) in Admin.select(Admin.user).tuples()}
    assert {uid for uid, role in roles.items() if role == "admin"} == admin_users, roles
    active_superadmins = (Admin.select().join(User, on=(Admin.user == User.id))
                          .where((Admin.admin_level == "superadmin") & User.is_active).count())
    assert active_superadmins >= 1


class Race:
    """Runs request A up to its hold point, then request B, then A's rest."""

    def __init__(self, app, monkeypatch, database_url):
        self.app, self.url = app, database_url
        self.a_held, self.release = threading.Event(), threading.Event()
        self.b_writes, self.b_done = threading.Event(), threading.Event()
        self.results = {}
        original_get = admin_service.admins.get_by_id
        hold_once = [True]

        def get_by_id(*args, **kwargs):
            row = original_get(*args, **kwargs)
            if threading.current_thread().name == "A" and hold_once[0]:
                hold_once[0] = False
                self.a_held.set()
                assert self.release.wait(DEADLINE), "A was never released"
            return row
        monkeypatch.setattr(admin_service.admins, "get_by_id", get_by_id)

        original_execute = database.obj.execute_sql

        def execute_sql(sql, *args, **kwargs):
            if threading.current_thread().name == "B" and not sql.startswith("SELECT"):
                self.b_writes.set()
            return original_execute(sql, *args, **kwargs)
        monkeypatch.setattr(database.obj, "execute_sql", execute_sql)
        original_begin = database.obj.begin

        def begin(*args, **kwargs):
            if threading.current_thread().name == "B":
                self.b_writes.set()
            return original_begin(*args, **kwargs)
        monkeypatch.setattr(database.obj, "begin", begin)

    def _run(self, name, request):
        client = webtest.TestApp(self.app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
        try:
            self.results[name] = request(client)
        finally:
            if name == "B":
                self.b_done.set()
            if not database.is_closed():
                database.close()

    def _b_blocked(self) -> bool:
        if not is_postgres():
            # A holds SQLite's write lock (BEGIN IMMEDIATE): whatever B writes
            # first (a BEGIN, or its token's last-use touch) waits for it.
            return self.b_writes.is_set()
        conn = psycopg2.connect(self.url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND wait_event_type = 'Lock'")
                return cur.fetchone()[0] > 0
        finally:
            conn.close()

    def run(self, request_a, request_b):
        a = threading.Thread(target=self._run, args=("A", request_a), name="A")
        b = threading.Thread(target=self._run, args=("B", request_b), name="B")
        a.start()
        assert self.a_held.wait(DEADLINE), "A never reached its hold point"
        b.start()
        deadline = time.monotonic() + DEADLINE
        while not (self.b_done.is_set() or self._b_blocked()):
            assert time.monotonic() < deadline, "B neither finished nor blocked"
            time.sleep(0.01)
        self.b_finished_first = self.b_done.is_set()
        self.release.set()
        a.join(DEADLINE)
        b.join(DEADLINE)
        assert not a.is_alive() and not b.is_alive()
        return self.results["A"], self.results["B"]


@pytest.fixture
def race(app, monkeypatch, database_url):
    return Race(app, monkeypatch, database_url)


def admin_id_of(actor) -> int:
    return Admin.get(Admin.user == actor.id).id


def test_patch_admin_racing_a_revoke_leaves_no_ghost_admin(race, superadmin, make_actor):
    target = make_actor("moderator")
    admin_id = admin_id_of(target)
    a, b = race.run(
        lambda c: call(c, "PATCH", f"/admins/{admin_id}", superadmin,
                       json={"admin_level": "superadmin"}),
        lambda c: call(c, "DELETE", f"/admins/{admin_id}", superadmin))
    assert b.status_int == 204, b.text
    # A either ran wholly before the revoke, or found the row gone.
    assert a.status_int == (404 if race.b_finished_first else 200), a.text
    assert User.get_by_id(target.id).role == "user"
    assert Admin.get_or_none(Admin.user == target.id) is None
    assert_no_ghost_admins()


def test_patch_admin_racing_the_users_deletion_is_404_not_500(race, superadmin, make_actor):
    target = make_actor("moderator")
    admin_id = admin_id_of(target)
    a, b = race.run(
        lambda c: call(c, "PATCH", f"/admins/{admin_id}", superadmin,
                       json={"admin_level": "superadmin"}),
        lambda c: call(c, "DELETE", f"/users/{target.id}", superadmin))
    assert b.status_int == 204, b.text
    assert a.status_int == (404 if race.b_finished_first else 200), a.text
    assert User.get_or_none(User.id == target.id) is None
    assert Admin.get_or_none(Admin.user == target.id) is None
    assert_no_ghost_admins()


def test_two_superadmins_demoting_each_other_leave_one(race, make_actor):
    first, second = make_actor("superadmin"), make_actor("superadmin")
    first_admin, second_admin = admin_id_of(first), admin_id_of(second)
    a, b = race.run(
        lambda c: call(c, "PATCH", f"/admins/{second_admin}", first,
                       json={"admin_level": "moderator"}),
        lambda c: call(c, "PATCH", f"/admins/{first_admin}", second,
                       json={"admin_level": "moderator"}))
    assert sorted([a.status_int, b.status_int]) == [200, 409], (a.text, b.text)
    levels = {user_id: level for user_id, level in
              Admin.select(Admin.user, Admin.admin_level).tuples()}
    assert sorted([levels[first.id], levels[second.id]]) == ["moderator", "superadmin"]
    assert_no_ghost_admins()


def test_revoke_racing_a_revoke_of_the_other_superadmin_leaves_one(race, make_actor):
    first, second = make_actor("superadmin"), make_actor("superadmin")
    first_admin, second_admin = admin_id_of(first), admin_id_of(second)
    a, b = race.run(
        lambda c: call(c, "DELETE", f"/admins/{second_admin}", first),
        lambda c: call(c, "DELETE", f"/admins/{first_admin}", second))
    assert sorted([a.status_int, b.status_int]) == [204, 409], (a.text, b.text)
    assert Admin.select().where(Admin.user.in_([first.id, second.id])).count() == 1
    assert_no_ghost_admins()
