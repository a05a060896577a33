"""The missing-file retry limit, missing pg_dump, --keep, --gzip, the
one-line CLI contract, backend mismatch and empty targets."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from peewee_migrate import Router

from janus.backup import archive
from janus.backup.common import BackupError
from janus.backup.create import ATTEMPTS
from janus.backup.restore import restore_backup
from tests.backup.helpers import (
    assert_one_line_error,
    bound,
    dir_listing,
    invoke,
    rows,
    rows_of_live,
    run_module,
    store_listing,
)
from tests.helpers import MIGRATIONS_DIR


# -- the missing-file retry limit, pruning, the CLI contract ----------------------
def test_a_referenced_file_missing_for_good_fails_loudly(seeded, database_url, storage,
                                                         tmp_path):
    _alice, image = seeded
    (storage / image.storage_key).unlink()
    to = tmp_path / "backups"
    code, out, err = invoke("create", "--to", to, "--database", database_url,
                            "--storage-dir", storage)
    assert_one_line_error(code, out, err, "missing", image.storage_key, f"{ATTEMPTS} snapshots")
    assert dir_listing(to) == []  # no archive, no partial file, no work dir


def test_missing_pg_dump_is_one_line(seeded, database_url, storage, tmp_path, backend):
    to = tmp_path / "backups"
    env = dict(os.environ, PATH=str(tmp_path / "no-tools-here"))
    code, out, err = run_module("create", "--to", to, "--database", database_url,
                                "--storage-dir", storage, env=env)
    if backend == "postgresql":
        assert_one_line_error(code, out, err, "pg_dump not found on PATH")
        assert not to.exists() or dir_listing(to) == []
    else:  # SQLite needs no external tool
        assert (code, err) == (0, "")
        assert len(archive.archives(to)) == 1


def test_keep_prunes_older_archives_only(seeded, database_url, storage, tmp_path):
    to = tmp_path / "backups"
    to.mkdir()
    (to / "notes.txt").write_text("not an archive")
    made = []
    for _ in range(4):
        code, out, err = invoke("create", "--to", to, "--keep", 2, "--database", database_url,
                                "--storage-dir", storage)
        assert (code, err) == (0, ""), err
        made.append(Path(out.split("backup written: ", 1)[1].split(" (", 1)[0]))
    assert archive.archives(to) == made[-2:]
    assert sorted(dir_listing(to)) == sorted([p.name for p in made[-2:]] + ["notes.txt"])
    assert "removed 1 older" in out


def test_gzip_archive_round_trips_and_leaves_unreferenced_files_out(
        seeded, database_url, storage, tmp_path, db_factory):
    live = store_listing(storage)
    orphan = storage / "ee" / "ff" / ("eeff" + "1" * 60)  # no row references it
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"orphan")
    (storage / "ee" / "ff" / ".tmp-upload-in-progress").write_bytes(b"partial")
    code, out, err = invoke("create", "--gzip", "--to", tmp_path / "b", "--database",
                            database_url, "--storage-dir", storage)
    assert (code, err) == (0, "")
    (path,) = archive.archives(tmp_path / "b")
    assert path.name.endswith(".tar.gz")
    target, root = db_factory.new_url(), tmp_path / "r"
    code, out, err = invoke("restore", path, "--database", target, "--storage-dir", root)
    assert (code, err) == (0, "")
    assert rows(target)["images"] == rows_of_live("images")
    assert store_listing(root) == live


def test_cli_failures_are_one_line_with_exit_status(db, database_url, db_factory, storage,
                                                    tmp_path, backend):
    code, out, err = run_module("restore", tmp_path / "nope.tar", "--database",
                                db_factory.new_url(), "--storage-dir", storage)
    assert_one_line_error(code, out, err, "nope.tar does not exist")
    assert code == 1

    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"this is not a tar file" * 100)
    code, out, err = invoke("restore", garbage, "--database", db_factory.new_url(),
                            "--storage-dir", storage)
    assert_one_line_error(code, out, err, "damaged archive")

    if backend == "postgresql":
        unreachable = "postgresql://postgres@127.0.0.1:1/janus"
    else:
        unreachable = f"sqlite:///{tmp_path / 'missing' / 'janus.db'}"
    code, out, err = run_module("create", "--to", tmp_path / "b", "--database", unreachable,
                                "--storage-dir", storage)
    assert_one_line_error(code, out, err, "cannot connect" if backend == "postgresql"
                          else "does not exist")
    assert code == 1

    code, out, err = invoke("create", "--keep", "0", "--to", tmp_path / "b")
    assert_one_line_error(code, out, err, "--keep")
    assert code == 2

    code, out, err = invoke("create", "--to", tmp_path / "b", "--database", database_url,
                            "--storage-dir", storage)
    assert code == 0 and err == "" and out.startswith("backup written: ")


def test_restore_into_the_other_backend_is_refused(made, tmp_path, backend):
    other = ("postgresql://postgres@127.0.0.1:1/x" if backend == "sqlite"
             else f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(BackupError, match="archive holds a"):
        restore_backup(made, other, tmp_path / "s")
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "s").exists()


def test_a_migrated_but_empty_target_needs_no_force(made, db_factory, tmp_path):
    url = db_factory.new_url()
    with bound(url) as other:
        Router(other, migrate_dir=MIGRATIONS_DIR).run()
    code, out, err = invoke("restore", made, "--database", url,
                            "--storage-dir", tmp_path / "fresh")
    assert (code, err) == (0, "")
    assert rows(url)["images"] == rows_of_live("images")
