"""How a request holds its database connection (janus.web.plugins,
DatabasePlugin.run): on SQLite the serving thread keeps it for its next
request; on PostgreSQL it goes back to the pool after each request, so the
pool checks it before the next. Either way, a connection closed between two
requests is replaced, never a 500, and a failed request gives its back."""
from __future__ import annotations

import threading

import pytest

from janus.db import database


def _in_use() -> int:
    return len(database.obj._in_use)  # the pool's checked-out connections


def test_after_a_request_the_thread_keeps_its_connection_on_sqlite_only(client, alice,
                                                                        backend):
    database.close()
    assert client.get("/auth/me", headers=alice.headers).status_code == 200
    assert _in_use() == (1 if backend == "sqlite" else 0)
    assert database.is_closed() == (backend != "sqlite")


@pytest.mark.parametrize("path", ["/auth/me", "/users", "/images?limit=5"])
def test_a_connection_closed_between_requests_is_replaced(client, alice, path):
    assert client.get(path, headers=alice.headers).status_code == 200
    for _ in range(3):
        # From another thread, as a pool's close_all may run: it closes every
        # connection, this thread's kept one too, behind its back.
        closer = threading.Thread(target=database.obj.close_all)
        closer.start()
        closer.join()
        assert client.get(path, headers=alice.headers).status_code == 200


def test_a_failed_request_gives_its_connection_back(client, alice, backend):
    assert client.get("/auth/me", headers=alice.headers).status_code == 200
    client.get("/images/999999", headers=alice.headers, status=404)
    assert database.is_closed() and _in_use() == 0
    assert client.get("/auth/me", headers=alice.headers).status_code == 200
    assert _in_use() == (1 if backend == "sqlite" else 0)
