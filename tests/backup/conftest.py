"""Fixtures of the backup tests: a storage dir, seeded data, one good archive
of it, and a target that is not empty. Every test runs on SQLite and
PostgreSQL (the ``backend`` fixture)."""
from __future__ import annotations

from pathlib import Path

import pytest
from peewee_migrate import Router

from janus.backup.create import create_backup
from janus.config import Config
from janus.imaging import cached_thumbnail
from janus.models import Log, User
from tests.backup.helpers import (
    bound,
    file_store,
    ingest,
    png,
)
from tests.helpers import MIGRATIONS_DIR, make_user


@pytest.fixture
def storage(tmp_path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def config(storage) -> Config:
    return Config.from_env({"JANUS_STORAGE_DIR": storage})


@pytest.fixture
def seeded(db, config):
    """Two users, three stored images (one file shared by both), a cached
    thumbnail and a log row."""
    alice, bob = make_user("alice"), make_user("bob")
    a1 = ingest(alice, png(1), "one.png", config)
    ingest(alice, png(2), "two.png", config)
    ingest(bob, png(1), "shared.png", config)
    cached_thumbnail(file_store(config), a1.storage_key, 64)
    Log.create(user=alice, action="test.seeded", module="test")
    return alice, a1


@pytest.fixture
def made(seeded, database_url, storage, tmp_path) -> Path:
    """One good archive of the ``seeded`` data."""
    return create_backup(database_url, storage, tmp_path / "backups").path


@pytest.fixture
def occupied_target(db_factory, tmp_path) -> tuple[str, Path]:
    """A migrated database holding a user, and a storage dir holding a file."""
    url = db_factory.new_url()
    with bound(url) as other:
        Router(other, migrate_dir=MIGRATIONS_DIR).run()
        User.create(email="keep@example.com", username="keep", password_hash="x")
    root = tmp_path / "target-storage"
    (root / "aa" / "bb").mkdir(parents=True)
    (root / "aa" / "bb" / ("aabb" + "0" * 60)).write_bytes(b"old file")
    (root / "notes.txt").write_text("not a store file")
    return url, root

