"""Query counts of the hot routes, pinned so that an N+1 regression fails a
test rather than a benchmark. Counted from peewee's log of every statement
it sends (SELECT, INSERT, UPDATE, BEGIN ...), after one warm-up request (the
first request of an app checks migrations, and a fresh token's first use
records ``last_used_at``). Not counted: PostgreSQL's ``PREPARE`` of a hot
query, sent once per connection, not per request (janus.repos.prepared;
tests/test_prepared.py)."""
from __future__ import annotations

import contextlib
import logging

import pytest

from tests.api.helpers import call, image_body
from tests.images import photo_like, save

LIST_ROUTES = ["/users", "/admins", "/images", "/logs", "/analytics", "/security-events"]


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if isinstance(record.msg, tuple) and not record.msg[0].startswith("PREPARE janus_hot_"):
            self.count += 1


@contextlib.contextmanager
def count_queries():
    logger, counter = logging.getLogger("peewee"), _Counter()
    level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def queries(client, method, path, actor=None, **kwargs) -> int:
    with count_queries() as counter:
        res = call(client, method, path, actor, **kwargs)
    assert res.status_int < 400, res.text
    return counter.count


@pytest.fixture
def warm(client, superadmin):
    assert call(client, "GET", "/auth/me", superadmin).status_int == 200
    return superadmin


@pytest.fixture
def populated(client, warm, alice):
    """A few rows in every listed table, so a per-row query would show."""
    call(client, "GET", "/auth/me", alice)
    for n in range(3):
        assert call(client, "POST", "/images", alice, json=image_body()).status_int == 201
        assert call(client, "POST", "/analytics", alice,
                    json={"research_topic": f"t{n}", "data": {"n": n}}).status_int == 201
        assert call(client, "POST", "/logs", alice,
                    json={"action": f"a{n}", "module": "m"}).status_int == 201
        assert call(client, "POST", "/security-events", warm,
                    json={"action": "blocked", "user_id": alice.id}).status_int == 201
    return warm


def test_token_check_and_get_by_id(client, warm, alice):
    # token -> actor (one query with the user and admin level), then the row
    assert queries(client, "GET", f"/users/{alice.id}", warm) == 2
    # your own account: the token check's row is the answer (janus.lists.reads.UserReads)
    assert queries(client, "GET", f"/users/{warm.id}", warm) == 1
    assert queries(client, "GET", "/auth/me", warm) == 1


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_list_page_costs_the_same_whatever_its_size(client, populated, path):
    small = queries(client, "GET", path, populated, params={"limit": 1})
    full = queries(client, "GET", path, populated, params={"limit": 50})
    assert small == full == 2  # token, page (no count query for keyset pages)


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_following_page_costs_what_the_first_does(client, populated, make_actor, path):
    make_actor("moderator")  # a second admin row: /admins has two pages too
    first = call(client, "GET", path, populated, params={"limit": 1}).json
    assert first["next_cursor"], "the fixture rows make at least two pages"
    params = {"limit": 1, "cursor": first["next_cursor"]}
    assert queries(client, "GET", path, populated, params=params) == 2


@pytest.mark.parametrize("path", LIST_ROUTES)
@pytest.mark.parametrize("who", ["owner", "admin"])
def test_get_by_id_is_the_token_and_the_row(client, populated, alice, path, who):
    actor = populated if who == "admin" else alice
    if path == "/admins" and who == "owner":
        actor = populated  # admins only
    listed = call(client, "GET", path, actor, params={"limit": 1}).json["items"]
    assert listed, f"nothing listed at {path}"
    own = path == "/users" and who == "owner"  # the token check's row (UserReads)
    assert queries(client, "GET", f"{path}/{listed[0]['id']}", actor) == (1 if own else 2)


def test_login(client, warm, alice, backend):
    # the user by login name; in one transaction before the password check
    # (janus.services.lockout): on PostgreSQL the account's advisory lock,
    # recent failures, the address's last success, the attempt's security
    # row; then in another: last_login_at, the token, the attempt settled
    # as login_success; then the admin level for the answer
    n = queries(client, "POST", "/auth/login",
                json={"login": alice.user.email, "password": alice.password})
    assert n == (9 if backend == "postgresql" else 8)


def test_upload(client, warm, backend):
    # token, duplicate check, then in one transaction: (PostgreSQL: the key's
    # advisory lock; SQLite's BEGIN IMMEDIATE is the lock) the image and its audit row
    data = save(photo_like(7, (64, 48)), "PNG")
    n = queries(client, "POST", "/images", warm, upload_files=[("file", "p.png", data)])
    assert n == (5 if backend == "postgresql" else 4)
