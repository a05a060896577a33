"""GET /health reports whether the service can still write: 503 with status
"degraded" (and the same Health body, as the OpenAPI document says) when the
file store or the database refuses writes; 200 again once they accept them."""
from __future__ import annotations

import errno
import os

import jsonschema
import pytest

from janus.errors import RETRY_AFTER_UNAVAILABLE
from janus.storage import local as storage
from tests.api.test_disk_full import full_sqlite  # noqa: F401 - a fixture

OK = {"status": "ok", "database_writes": "ok", "storage": "ok"}


def _health(client, status: int) -> dict:
    res = client.get("/health", status="*")
    assert res.status_int == status, res.text
    assert res.content_type == "application/json"
    # Every 503 says when to look again; a 200 does not.
    assert res.headers.get("Retry-After") == \
        (str(RETRY_AFTER_UNAVAILABLE) if status == 503 else None)
    schema = client.get("/openapi.json").json
    documented = schema["paths"]["/health"]["get"]["responses"][str(status)]
    jsonschema.Draft202012Validator(
        {**documented["content"]["application/json"]["schema"],
         "components": schema["components"]}).validate(res.json)
    return res.json


@pytest.mark.parametrize("code, reason", [
    (errno.EACCES, "not writable: permission denied"),
    (errno.EROFS, "not writable: read-only file system"),
    (errno.ENOSPC, "not writable: disk full"),
], ids=["EACCES", "EROFS", "ENOSPC"])
def test_an_unwritable_file_store_is_degraded(client, backend, monkeypatch, code, reason):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    with monkeypatch.context() as patch:
        patch.setattr(storage.os, "open", refuse)
        body = _health(client, 503)
    assert body == {"status": "degraded", "database": backend, "database_writes": "ok",
                    "storage": reason}
    assert _health(client, 200) == {**OK, "database": backend}


def test_a_full_sqlite_database_is_degraded(client, full_sqlite):  # noqa: F811
    body = _health(client, 503)
    assert body == {"status": "degraded", "database": "sqlite",
                    "database_writes": "not writable: database full (max_page_count)",
                    "storage": "ok"}


@pytest.fixture
def read_only_postgres(db, backend):
    if backend != "postgresql":
        pytest.skip("a read-only PostgreSQL session")
    db.execute_sql("SET default_transaction_read_only = on")
    yield db
    db.execute_sql("SET default_transaction_read_only = off")


def test_a_read_only_postgresql_is_degraded(client, read_only_postgres):
    body = _health(client, 503)
    assert body == {"status": "degraded", "database": "postgresql",
                    "database_writes": "not writable: read-only", "storage": "ok"}


def test_a_writable_service_is_ok(client, backend, app):
    assert _health(client, 200) == {**OK, "database": backend}
    # The probe leaves nothing behind.
    assert not list(app.config["janus.config"].storage_dir.glob(".tmp-*"))
