"""Fixtures of the seed-loader tests."""
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def storage_dir(tmp_path, monkeypatch) -> Path:
    """Image files go to a fresh store per test (subprocesses inherit it too)."""
    path = tmp_path / "storage"
    monkeypatch.setenv("JANUS_STORAGE_DIR", str(path))
    return path
