"""create_app sweeps the file store once, at start-up, in a background
thread (the sweep itself: tests/test_file_sweep.py), and a sweep that cannot
reach the database never stops the app from starting."""
from __future__ import annotations

import os
import time

import pytest
import webtest

from janus.services import files
from janus.web.app import create_app
from tests.api.helpers import call
from tests.api.test_operations import UNREACHABLE, own_database  # noqa: F401

WAIT = 60  # seconds: the sweep of a few files ends long before; only a hang gets near it


def _leftover(root, name, age_seconds):
    path = root / "ab" / "cd" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half an upload")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_create_app_sweeps_once_with_the_configured_grace(make_config, monkeypatch, alice):
    config = make_config(JANUS_SWEEP_GRACE_SECONDS=600)
    old = _leftover(config.storage_dir, ".tmp-killed", 601 + 3600)
    young = _leftover(config.storage_dir, ".tmp-in-flight", 0)
    calls = []
    real = files.sweep_at_startup

    def counted(store, grace):
        calls.append(grace)
        return real(store, grace)
    monkeypatch.setattr(files, "sweep_at_startup", counted)
    app = create_app(config)
    app.janus_sweep.join(WAIT)
    assert not app.janus_sweep.is_alive()
    client = webtest.TestApp(app)
    assert calls == [600]
    assert not old.exists() and young.exists()
    for _ in range(3):  # requests never sweep again
        assert call(client, "GET", "/images", alice).status_int == 200
    assert calls == [600]


@pytest.mark.usefixtures("own_database")
def test_a_sweep_without_a_database_does_not_stop_start_up(make_config, janus_log):
    config = make_config(DATABASE_URL=UNREACHABLE)
    old = _leftover(config.storage_dir, ".tmp-killed", 7200)
    orphan = config.storage_dir / "ab" / "cd" / ("abcd" + "0" * 60)
    orphan.write_bytes(b"no row can be checked")
    os.utime(orphan, (0, 0))
    app = create_app(config)
    client = webtest.TestApp(app)
    assert client.get("/openapi.json").status_int == 200
    app.janus_sweep.join(WAIT)
    assert not app.janus_sweep.is_alive()
    assert not old.exists()  # temp files need no database
    assert orphan.exists()  # an original is only removed once no row is seen to use it
    assert any("sweep" in str(r.msg) for r in janus_log.records), janus_log.records
