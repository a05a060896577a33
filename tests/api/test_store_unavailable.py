"""A file store that cannot be reached, or refuses writes, answers 503 (or
507 when the server says it is full) in the JSON envelope, never 500, and
changes nothing: the upload's row and audit row are rolled back, a delete
that committed stays a 204 and leaves the object for the sweep, /health says
"degraded", and a 304 needs no store at all (the ETag comes from the row).

The stores are real: a closed port, and ``rclone serve s3 --read-only`` over
the session server's folder (a read-only server, like a full one, answers
a plain 500 InternalError: rclone has no word for "full").
"""
from __future__ import annotations

import pytest
import webtest
from botocore.exceptions import ClientError, EndpointConnectionError

from janus.errors import RETRY_AFTER_UNAVAILABLE, InsufficientStorage, NotFound
from janus.storage.base import StoreRefused, StoreUnreachable
from janus.storage.s3errors import translated
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, assert_error, call, row_counts, storage_dir, upload
from tests.helpers import stored_files
from tests.images import photo_like, save
from tests.storage import closed_port, s3_env_at, start_s3_server, stop_s3_server

DATA = save(photo_like(71, (64, 48)), "PNG")
OTHER = save(photo_like(72, (64, 48)), "PNG")


@pytest.fixture(scope="session")
def read_only_server(s3_server):
    """A second server on the same folder that refuses every write."""
    server = start_s3_server(s3_server.root, "--read-only")
    yield server
    stop_s3_server(server)


@pytest.fixture(params=["unreachable", "refusing"])
def broken(request, s3_server, make_config, app, client, alice):
    """(kind, the app on a broken endpoint, its client, alice's image stored
    through the working one beforehand)."""
    res = upload(client, alice, DATA, "a.png")
    assert res.status_int == 201, res.text
    url = app.config["janus.config"].storage_url
    if request.param == "unreachable":
        endpoint = f"http://127.0.0.1:{closed_port()}"
    else:
        endpoint = request.getfixturevalue("read_only_server").endpoint
    down = create_app(make_config(**s3_env_at(endpoint, url)))
    down.janus_sweep.join(30)  # its start-up sweep fails (logged) without stopping the app
    return request.param, down, webtest.TestApp(down, extra_environ={"REMOTE_ADDR": CLIENT_IP}), \
        res.json


@pytest.fixture
def store_kind(s3_server):
    return "s3"


def test_an_upload_to_a_broken_store_is_503_and_stores_nothing(broken, alice):
    _, down, client, _ = broken
    before, files = row_counts(), stored_files(storage_dir(down))
    res = upload(client, alice, OTHER, "b.png")
    error = assert_error(res, 503, "service_unavailable")
    assert res.headers["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    assert "file store" in error["message"] and "127.0.0.1" not in error["message"]
    assert row_counts() == before
    assert stored_files(storage_dir(down)) == files


def test_reads_from_a_broken_store(broken, alice):
    kind, _, client, image = broken
    for path in ("file", "thumbnail"):
        res = call(client, "GET", f"/images/{image['id']}/{path}", alice)
        if kind == "refusing":  # it still reads; only the thumbnail's cache write fails
            assert res.status_int == 200, res.text
        else:
            assert_error(res, 503, "service_unavailable")
    etag = f'"{image["sha256"]}"'
    res = call(client, "GET", f"/images/{image['id']}/file", alice,
               headers={"If-None-Match": etag})
    assert res.status_int == 304  # the row says it all


def test_a_delete_commits_and_leaves_the_object_for_the_sweep(broken, alice):
    _, down, client, image = broken
    key_file = storage_dir(down) / image["sha256"][:2] / image["sha256"][2:4] / image["sha256"]
    res = call(client, "DELETE", f"/images/{image['id']}", alice)
    assert res.status_int == 204, res.text
    assert_error(call(client, "GET", f"/images/{image['id']}", alice), 404, "not_found")
    assert key_file.is_file()  # no row uses it now: the next start-up sweep removes it


def test_health_says_which(broken, backend):
    kind, _, client, _ = broken
    res = client.get("/health", status="*")
    assert res.status_int == 503
    why = {"unreachable": "not writable: the store cannot be reached",
           "refusing": "not writable: the store refused the write"}[kind]
    assert res.json == {"status": "degraded", "database": backend, "database_writes": "ok",
                        "storage": why}


def _client_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


@pytest.mark.parametrize("error, expected", [
    (_client_error("XMinioStorageFull", 507), InsufficientStorage),
    (_client_error("InsufficientStorage", 507), InsufficientStorage),
    (_client_error("InternalError", 500, "write: no space left on device"), InsufficientStorage),
    (_client_error("QuotaExceeded", 403), InsufficientStorage),
    (_client_error("AccessDenied", 403), StoreRefused),
    (_client_error("NoSuchBucket", 404), StoreRefused),
    (_client_error("InternalError", 500), StoreRefused),
    (_client_error("SlowDown", 503), StoreRefused),
    (_client_error("NoSuchKey", 404), NotFound),
    (_client_error("404", 404), NotFound),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_what_a_server_answers_becomes_a_typed_error(error, expected):
    with pytest.raises(expected), translated("store a file", "s3://b/p"):
        raise error


def test_a_server_that_says_full_is_507(s3_server, app, client, alice, monkeypatch):
    """As MinIO answers when its disks are full: the client's own error."""
    store = app.janus_api.store

    def full(**kwargs):
        raise _client_error("XMinioStorageFull", 507, "Storage backend has reached its "
                            "minimum free drive threshold.")
    monkeypatch.setattr(store.client, "put_object", full)
    before = row_counts()
    error = assert_error(upload(client, alice, OTHER, "c.png"), 507, "insufficient_storage")
    assert "full" in error["message"]
    assert row_counts() == before
    monkeypatch.undo()
    with pytest.raises(StoreUnreachable), translated("store a file", "s3://b/p"):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
