"""Shared fixtures: every database test runs once on SQLite and once on a real
PostgreSQL database that the suite creates and drops itself.

``JANUS_TEST_BACKENDS`` (default ``sqlite,postgresql``) picks the backends;
``JANUS_TEST_POSTGRES_URL`` names the server's maintenance database. An
unreachable PostgreSQL fails the run: it is never silently skipped.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg2
import pytest

from janus.db import database, init_database
from janus.models import MODELS
from tests import storage
from tests.helpers import migrate

# The leak scan of every HTTP response (tests/api/leaks.py), in every test directory.
pytest_plugins = ["tests.api.leaks"]

BACKENDS = [b.strip() for b in os.environ.get("JANUS_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b.strip()]
PG_ADMIN_URL = os.environ.get("JANUS_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():
    try:
        conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}".strip(), pytrace=False)
    conn.autocommit = True
    return conn


class DatabaseFactory:
    """Creates empty databases of one backend and removes them at the end."""

    def __init__(self, backend: str, tmp_dir: Path):
        self.backend, self.tmp_dir, self.created = backend, tmp_dir, []

    def new_url(self) -> str:
        if self.backend == "sqlite":
            path = self.tmp_dir / f"janus_{uuid.uuid4().hex[:8]}.db"
            return f"sqlite:///{path}"
        name = f"janus_test_{uuid.uuid4().hex[:12]}"
        conn = _pg_admin()
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        self.created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop_all(self):
        if not self.created:
            return
        conn = _pg_admin()
        with conn.cursor() as cur:
            for name in self.created:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def db_factory(backend, tmp_path_factory):
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield factory
    if database.obj is not None:
        database.obj.close_all() if hasattr(database.obj, "close_all") else database.close()
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(db_factory):
    """One migrated database per backend, shared by the session."""
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    db.close()
    return url


@pytest.fixture
def db(database_url):
    """The migrated database, emptied after each test."""
    db = init_database(database_url)
    db.connect(reuse_if_open=True)
    yield db
    if db.in_transaction():
        db.rollback()
    with db.atomic():
        for model in reversed(MODELS):
            model.delete().execute()
    db.close()


# -- the file stores (tests/storage.py) ----------------------------------------------------
@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One real S3 server for the session (rclone serve s3)."""
    server = storage.start_s3_server(tmp_path_factory.mktemp("s3") / "root")
    storage.SERVER = server
    yield server
    storage.SERVER = None
    storage.stop_s3_server(server)


@pytest.fixture
def store_kind(request):
    """"local" unless the module runs on both stores (tests.storage.both_stores)."""
    kind = getattr(request, "param", "local")
    if kind == "s3":
        request.getfixturevalue("s3_server")
    return kind


@pytest.fixture
def store(store_kind, tmp_path):
    """An empty store of the test's kind."""
    return storage.make_store(store_kind, tmp_path)


# -- the SMTP server (tests/mail.py) --------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_server_session():
    from tests.mail import SmtpServer
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def smtp_server(smtp_server_session):
    """The suite's SMTP server, its mailbox emptied for the test."""
    smtp_server_session.clear()
    yield smtp_server_session
    smtp_server_session.clear()
