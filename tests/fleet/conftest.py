"""The fleet of the several-hosts tests, started once for the directory: two
hosts, haproxy, one PostgreSQL database (a temporary one), Redis and an S3
bucket. Skipped without root, ``ip netns``, socat or haproxy, except under CI
(``CI`` set), where that fails."""
from __future__ import annotations

import dataclasses

import pytest

from janus.db import init_database
from janus.passwords import hash_password
from janus.repos.users import users
from janus.services.auth import issue_token
from tests.conftest import BACKENDS, DatabaseFactory
from tests.fleet import netns
from tests.fleet.cluster import Fleet
from tests.helpers import migrate, set_admin_level

PASSWORD = "a fleet test passphrase"
LOGIN_LIMIT = 8  # per minute and client address, counted in Redis by both hosts


@dataclasses.dataclass
class World:
    users: list  # (user id, token)
    root: str    # a superadmin's token
    root_login: str


def make_world() -> World:
    password_hash = hash_password(PASSWORD)

    def account(name):
        return users.create(email=f"{name}@example.com", username=name,
                            password_hash=password_hash, password_rule="admin")
    plain = [account(f"fleet{i}") for i in range(8)]
    root = account("fleetroot")
    set_admin_level(root, "superadmin")
    return World([(user.id, issue_token(user, 3600).plain) for user in plain],
                 issue_token(root, 3600).plain, "fleetroot")


@pytest.fixture(scope="package")
def fleet(tmp_path_factory):
    netns.require()
    if "postgresql" not in BACKENDS:
        pytest.skip("the several-hosts test runs on PostgreSQL (JANUS_TEST_BACKENDS)")
    folder = tmp_path_factory.mktemp("fleet")
    factory = DatabaseFactory("postgresql", folder)
    url = factory.new_url()
    db = init_database(url)
    migrate(db)
    world = make_world()
    db.close()
    cluster = Fleet(url, folder)
    try:
        cluster.start(JANUS_RATE_LIMIT_LOGIN=f"{LOGIN_LIMIT}/minute",
                      JANUS_RATE_LIMIT_REGISTER="100000/hour",
                      JANUS_RATE_LIMIT_UPLOAD="100000/minute",
                      JANUS_RATE_LIMIT_ANALYSIS="100000/minute")
        yield cluster, world, url
    finally:
        cluster.stop()
        db = init_database(url)
        db.close_all() if hasattr(db, "close_all") else db.close()
        factory.drop_all()
