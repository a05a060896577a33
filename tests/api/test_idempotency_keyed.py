"""Idempotency fingerprints are keyed with JANUS_SECRET_KEY (issue 15, item
11): the database no longer holds a digest that confirms a password guess
offline, apps sharing the key agree on a retry, and a retry that meets
another key (a changed key, another host's generated key, a row from before
the upgrade) is a 422 that runs nothing twice."""
from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json

import pytest
import webtest
from peewee_migrate import Router

from janus.db import database
from janus.models import IdempotencyKey, User
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, NEW_PASSWORD, PASSWORD, assert_error
from tests.api.test_operations import own_database  # noqa: F401
from tests.helpers import MIGRATIONS_DIR

KEY_A = "a" * 20 + "-test-secret-key-one"
KEY_B = "b" * 20 + "-test-secret-key-two"
IDEMPOTENCY_KEY = "retry-7c1e"


def _parts_digest(digest, method: str, path: str, body: bytes) -> str:
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def unkeyed(method, path, body) -> str:
    """The fingerprint before this change: SHA-256, checkable by anyone."""
    return _parts_digest(hashlib.sha256(), method, path, body)


def keyed(secret: str, method, path, body) -> str:
    return _parts_digest(hmac.new(secret.encode(), digestmod=hashlib.sha256), method, path, body)


def client_of(app, actor=None):
    headers = dict(actor.headers) if actor is not None else {}
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP}), headers


def post(app, path, body: bytes, actor=None):
    client, headers = client_of(app, actor)
    return client.post(path, body, content_type="application/json", status="*",
                       headers={**headers, "Idempotency-Key": IDEMPOTENCY_KEY})


# The routes whose body holds a password.
PASSWORD_BODIES = {
    "/auth/register": (None, {"email": "fresh@example.com", "username": "fresh",
                              "password": NEW_PASSWORD}),
    "/auth/password": ("alice", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    "/users": ("root", {"email": "new@example.com", "username": "newbie",
                        "password": NEW_PASSWORD}),
}


@pytest.mark.parametrize("path", list(PASSWORD_BODIES))
def test_the_stored_fingerprint_needs_the_secret_key(make_config, alice, superadmin, path):
    actor_name, fields = PASSWORD_BODIES[path]
    actor = {"alice": alice, "root": superadmin, None: None}[actor_name]
    body = json.dumps(fields).encode()
    app = create_app(make_config(JANUS_SECRET_KEY=KEY_A))
    res = post(app, path, body, actor)
    assert res.status_int in (200, 201), res.text
    (stored,) = [row.fingerprint for row in IdempotencyKey.select()]
    # What a reader of the database (or of a backup) could check a guess against ...
    assert stored != unkeyed("POST", path, body)
    # ... is an HMAC: computing it takes the key, which the database does not hold.
    assert stored == keyed(KEY_A, "POST", path, body)


def _analytics(app, alice):
    return post(app, "/analytics", json.dumps({"research_topic": "colour",
                                               "data": {"v": 1}}).encode(), alice)


@pytest.mark.parametrize("hosts", ["same key set on both", "one data dir, key generated"])
def test_apps_with_the_same_key_agree_on_a_retry(make_config, alice, tmp_path, hosts):
    if hosts == "same key set on both":  # two hosts, JANUS_SECRET_KEY set on each
        configs = [make_config(JANUS_SECRET_KEY=KEY_A, JANUS_DATA_DIR=tmp_path / host)
                   for host in ("one", "two")]
    else:  # two workers of one host: the key generated once in the data dir
        configs = [make_config(JANUS_DATA_DIR=tmp_path / "data") for _ in range(2)]
    first = _analytics(create_app(configs[0]), alice)
    again = _analytics(create_app(configs[1]), alice)
    assert first.status_int == 201, first.text
    assert again.status_int == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.body == first.body


@pytest.mark.parametrize("change", ["JANUS_SECRET_KEY changed",
                                    "two hosts, each its generated key"])
def test_a_retry_under_another_key_is_a_422_and_runs_nothing(make_config, alice, tmp_path,
                                                            change):
    if change == "JANUS_SECRET_KEY changed":
        before, after = (make_config(JANUS_SECRET_KEY=key) for key in (KEY_A, KEY_B))
    else:
        before, after = (make_config(JANUS_DATA_DIR=tmp_path / host) for host in ("a", "b"))
    assert _analytics(create_app(before), alice).status_int == 201
    rows = IdempotencyKey.select().count()
    res = _analytics(create_app(after), alice)
    error = assert_error(res, 422, "validation_error")
    assert "already used for a different request" in error["message"]
    assert IdempotencyKey.select().count() == rows
    assert res.headers.get("Idempotent-Replayed") is None


MIGRATION_011 = "011_keyed_idempotency_fingerprints"


def _migration_011():
    path = MIGRATIONS_DIR / f"{MIGRATION_011}.py"
    spec = importlib.util.spec_from_file_location("migration_011", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_from_before_the_upgrade_lose_their_digest_and_answer_422(
        make_config, db_factory, own_database):  # noqa: F811
    config = make_config(DATABASE_URL=db_factory.new_url(), JANUS_SECRET_KEY=KEY_A)
    app = create_app(config)  # points the models at the new database
    router = Router(database.obj, migrate_dir=MIGRATIONS_DIR)
    router.run()
    body = json.dumps({"email": "old@example.com", "username": "old",
                       "password": NEW_PASSWORD}).encode()
    first = post(app, "/auth/register", body)
    assert first.status_int == 201, first.text
    # Back to before 011, with the row as the released code stored it.
    while MIGRATION_011 in router.done:
        router.rollback()
    IdempotencyKey.update(fingerprint=unkeyed("POST", "/auth/register", body)).execute()

    router.run()  # the upgrade

    (row,) = IdempotencyKey.select()
    assert row.fingerprint == _migration_011().UNKEYED
    users = User.select().count()
    again = post(app, "/auth/register", body)
    assert_error(again, 422, "validation_error")
    assert User.select().count() == users  # nothing ran twice
