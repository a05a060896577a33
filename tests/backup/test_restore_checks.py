"""Restore refuses damaged archives, members outside the store and occupied
targets without touching them, and migrates an older database."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from peewee_migrate import Router

from janus.backup.create import create_backup
from janus.backup.manifest import MANIFEST_NAME
from janus.db import sqlite_path
from janus.migrate import applied, migration_names
from janus.models import User
from tests.backup.helpers import (
    assert_one_line_error,
    bound,
    dir_listing,
    invoke,
    rows,
    rows_of_live,
    sha,
    store_listing,
)
from tests.helpers import MIGRATIONS_DIR


# -- refusing bad input without touching the target ------------------------------
def member_span(path: Path, name: str) -> tuple[int, int]:
    with tarfile.open(path) as tar:
        info = tar.getmember(name)
        return info.offset_data, info.size


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncate":
        del data[len(data) // 2:]
    else:
        with tarfile.open(path) as tar:
            names = [m.name for m in tar.getmembers()]
        name = names[0] if how == "database" else next(n for n in names if n.startswith("storage/"))
        offset, size = member_span(path, name)
        data[offset + size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def repack(path: Path, change) -> None:
    """Rewrite the archive with ``change(members)`` applied and a manifest whose
    checksums match the changed bytes (so only deeper checks can object)."""
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members.pop(MANIFEST_NAME))
    change(members, manifest)
    for entry in [manifest["database"], *manifest["files"]]:
        entry["size"], entry["sha256"] = len(members[entry["path"]]), sha(members[entry["path"]])
    members[MANIFEST_NAME] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("how", ["database", "file", "truncate"])
def test_damaged_archive_is_refused_and_target_untouched(made, occupied_target, how):
    url, root = occupied_target
    before_rows, before_files = rows(url), store_listing(root)
    damage(made, how)
    code, out, err = invoke("restore", made, "--database", url, "--storage-dir", root, "--force")
    assert_one_line_error(code, out, err, "damaged archive")
    assert rows(url) == before_rows
    assert store_listing(root) == before_files
    path = sqlite_path(url)
    if path:  # no staging file left beside the target
        assert dir_listing(Path(path).parent) == sorted(
            p for p in dir_listing(Path(path).parent) if not p.startswith("."))


def test_consistent_manifest_but_corrupt_database_is_refused(made, occupied_target, backend):
    url, root = occupied_target
    before_rows, before_files = rows(url), store_listing(root)

    def corrupt(members, manifest):
        db = bytearray(members[manifest["database"]["path"]])
        if backend == "sqlite":
            db[4096:4096 + 64] = b"\xff" * 64  # page 2's b-tree header
        else:
            db[:5] = b"XXXXX"  # pg_dump's "PGDMP" magic
        members[manifest["database"]["path"]] = bytes(db)

    repack(made, corrupt)
    code, out, err = invoke("restore", made, "--database", url, "--storage-dir", root, "--force")
    assert_one_line_error(code, out, err, "damaged archive",
                          "integrity_check" if backend == "sqlite" else "pg_restore")
    assert rows(url) == before_rows
    assert store_listing(root) == before_files


def test_member_outside_the_store_is_refused(made, db_factory, tmp_path):
    def smuggle(members, manifest):
        members["storage/../../escaped"] = b"x"
        manifest["files"].append({"path": "storage/../../escaped", "size": 1, "sha256": "0" * 64})

    repack(made, smuggle)
    root = tmp_path / "fresh-storage"
    code, out, err = invoke("restore", made, "--database", db_factory.new_url(),
                            "--storage-dir", root)
    assert_one_line_error(code, out, err, "unexpected file")
    assert not (tmp_path / "escaped").exists() and not root.exists()


def test_non_empty_target_is_refused_without_force(made, occupied_target, seeded, storage):
    url, root = occupied_target
    before_rows, before_files = rows(url), store_listing(root)
    code, out, err = invoke("restore", made, "--database", url, "--storage-dir", root)
    assert_one_line_error(code, out, err, "already has users", "not empty", "--force")
    assert rows(url) == before_rows
    assert store_listing(root) == before_files

    code, out, err = invoke("restore", made, "--database", url, "--storage-dir", root, "--force")
    assert (code, err) == (0, "")
    assert out.startswith("restored ") and out.count("\n") == 1
    restored = rows(url)
    assert [u[1] for u in restored["users"]] == ["alice@example.com", "bob@example.com"]
    assert restored["images"] == rows_of_live("images")
    # The old store file and its folders are gone; exactly the live store's
    # files are there, and what does not look like a store file is left alone.
    assert store_listing(root) == {**store_listing(storage),
                                   "notes.txt": sha(b"not a store file")}
    assert len(store_listing(storage)) == 3  # two originals and a thumbnail
    assert not (root / "aa").exists()


def test_non_empty_storage_alone_is_refused(made, db_factory, occupied_target):
    _url, root = occupied_target
    before_files = store_listing(root)
    code, out, err = invoke("restore", made, "--database", db_factory.new_url(),
                            "--storage-dir", root)
    assert_one_line_error(code, out, err, "is not empty")
    assert store_listing(root) == before_files


def test_restore_brings_an_older_database_to_the_latest_migration(
        db_factory, storage, tmp_path):
    old = db_factory.new_url()
    with bound(old) as older:
        Router(older, migrate_dir=MIGRATIONS_DIR).run(migration_names()[0])
        assert applied(older) == migration_names()[:1]
        older.execute_sql("INSERT INTO users (email, username, password_hash, role, is_active, "
                          "created_at, updated_at) VALUES ('o@example.com', 'o', 'x', 'user', "
                          "true, '2024-01-01', '2024-01-01')")
    created = create_backup(old, storage, tmp_path / "backups")
    assert created.manifest.migrations == migration_names()[:1]
    target = db_factory.new_url()
    code, out, err = invoke("restore", created.path, "--database", target,
                            "--storage-dir", tmp_path / "restored")
    assert (code, err) == (0, "")
    assert ", ".join(migration_names()[1:]) in out
    with bound(target) as restored:
        assert applied(restored) == migration_names()
        assert [u.email for u in User.select()] == ["o@example.com"]


