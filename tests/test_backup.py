"""``python -m janus.backup``: a backup taken under write load restores every
acknowledged write with its files; damaged archives, occupied targets, a
missing pg_dump and bad arguments are one-line failures that change nothing.

Every test runs on SQLite and PostgreSQL (the ``backend`` fixture).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from peewee_migrate import Router
from PIL import Image as PILImage

from janus.access import Actor
from janus.backup import archive
from janus.backup.cli import cli
from janus.backup.common import BackupError
from janus.backup.create import ATTEMPTS, create_backup
from janus.backup.manifest import MANIFEST_NAME
from janus.backup.restore import restore_backup
from janus.config import Config
from janus.db import database, make_database, sqlite_path
from janus.imaging import FileStore, cached_thumbnail
from janus.migrations_status import applied, migration_names
from janus.models import MODELS, Image, Log, User
from janus.services.images import delete_image, upload
from tests.helpers import MIGRATIONS_DIR, PROJECT_ROOT, make_user
from tests.schema import introspect


# -- helpers ----------------------------------------------------------------
def png(n: int) -> bytes:
    """A tiny PNG whose bytes differ for every ``n`` below 2**24."""
    out = io.BytesIO()
    PILImage.new("RGB", (16, 12), (n & 255, (n >> 8) & 255, (n >> 16) & 255)).save(out, "PNG")
    return out.getvalue()


def file_store(config: Config) -> FileStore:
    return FileStore(config.storage_dir)


def ingest(owner: User, data: bytes, filename: str, config: Config) -> Image:
    """An upload by ``owner``, as the API's upload route makes it."""
    return upload(Actor(owner), data, filename, file_store(config), config.max_image_pixels)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def run_module(*args, env=None) -> tuple[int, str, str]:
    """The real command in a subprocess (as cron would run it)."""
    proc = subprocess.run([sys.executable, "-m", "janus.backup", *map(str, args)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env=env)
    return proc.returncode, proc.stdout, proc.stderr


def assert_one_line_error(code, out, err, *needles):
    assert code != 0
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@contextlib.contextmanager
def bound(url):
    """The models pointed at another database for the block."""
    other = make_database(url, pool_size=1)
    try:
        with other.bind_ctx(MODELS):
            other.connect(reuse_if_open=True)
            yield other
    finally:
        other.close_all()


def rows(url) -> dict[str, list]:
    with bound(url):
        return {m._meta.table_name: list(m.select().order_by(m.id).tuples()) for m in MODELS}


def store_listing(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): sha(p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file()}


def dir_listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


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


# -- under write load -----------------------------------------------------------
class Writer(threading.Thread):
    """Uploads images (janus.services.images.upload) and appends log rows, as
    the service would, recording each write once its transaction has committed.
    Deletes (janus.services.images.delete_image: audit row + delete, then
    release) on request."""

    def __init__(self, owners, config):
        super().__init__(daemon=True)
        self.owners, self.config = owners, config
        self.images: list[tuple[int, str, str]] = []  # (id, sha256, storage_key)
        self.logs: list[tuple[int, int]] = []  # (id, n)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.delete_requests: list[int] = []
        self.deleted: list[int] = []
        self.error: BaseException | None = None

    def acked(self) -> int:
        with self.lock:
            return len(self.images) + len(self.logs)

    def run(self):
        database.connect(reuse_if_open=True)
        try:
            n = 1000
            while not self.stop.is_set():
                n += 1
                owner = self.owners[n % len(self.owners)]
                image = ingest(owner, png(n), f"load{n}.png", self.config)
                with self.lock:
                    self.images.append((image.id, image.sha256, image.storage_key))
                if n % 4 == 0:  # the same bytes for another owner: one shared file
                    other = self.owners[(n + 1) % len(self.owners)]
                    image = ingest(other, png(n), f"again{n}.png", self.config)
                    with self.lock:
                        self.images.append((image.id, image.sha256, image.storage_key))
                log = Log.create(user=owner, action="load.write", module="load",
                                 log_metadata={"n": n})
                with self.lock:
                    self.logs.append((log.id, n))
                while self.delete_requests:
                    image = Image.get_by_id(self.delete_requests.pop())
                    delete_image(Actor(image.owner), image.id, file_store(self.config))
                    self.deleted.append(image.id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            database.close()

    def wait_for(self, count: int, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while self.acked() < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)


def test_backup_under_write_load_restores_every_acknowledged_write(
        db, database_url, db_factory, config, storage, tmp_path, backend):
    owners = [make_user(f"load{i}") for i in range(3)]
    for i in range(20):  # files already there before the load starts
        ingest(owners[i % 3], png(i), f"before{i}.png", config)
    writer = Writer(owners, config)
    writer.start()
    victim = None
    try:
        writer.wait_for(15)
        # Acknowledged before the backup began: these must all come back.
        with writer.lock:
            before_images, before_logs = list(writer.images), list(writer.logs)
        # An image in the first snapshot whose rows are deleted (and its file
        # released) after that snapshot, before the files are copied.
        victim = ingest(owners[0], png(999_999), "victim.png", config)
        events = []

        def between_snapshot_and_files(snap, attempt):
            events.append((attempt, victim.storage_key in snap.storage_keys))
            seen = writer.acked()
            if attempt == 1:
                writer.delete_requests.append(victim.id)
                deadline = time.monotonic() + 30
                while victim.id not in writer.deleted:
                    assert writer.error is None and time.monotonic() < deadline
                    time.sleep(0.005)
            writer.wait_for(seen + 3)  # the service keeps writing meanwhile

        created = create_backup(database_url, storage, tmp_path / "backups",
                                on_snapshot=between_snapshot_and_files)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert writer.acked() > len(before_images) + len(before_logs) + 6  # it wrote during the backup
    # The vanished file was noticed and a second snapshot (without its row) taken.
    assert events == [(1, True), (2, False)]
    assert created.attempts == 2

    target, target_storage = db_factory.new_url(), tmp_path / "restored-storage"
    restore_backup(created.path, target, target_storage)

    with bound(target) as restored:
        got_images = {i.id: (i.sha256, i.storage_key) for i in Image.select()}
        got_logs = {log.id: log.log_metadata.get("n") for log in
                    Log.select().where(Log.action == "load.write")}
        assert applied(restored) == migration_names()
        if backend == "sqlite":
            check = restored.execute_sql("PRAGMA integrity_check").fetchall()
            assert check == [("ok",)]
    for image_id, digest, key in before_images:
        assert got_images.get(image_id) == (digest, key)
    for log_id, n in before_logs:
        assert got_logs.get(log_id) == n
    assert victim.id not in got_images
    # Every restored row has its file, byte for byte; the store holds nothing else.
    keys = {key for _digest, key in got_images.values() if key}
    assert store_listing(target_storage) == {key: key.rsplit("/", 1)[1] for key in keys}
    assert all(digest == key.rsplit("/", 1)[1] for digest, key in got_images.values())
    assert len(got_images) == created.manifest.counts["images"]
    # Same schema as a database migrated from scratch.
    # Same schema as the source. PostgreSQL re-parses CHECK expressions on
    # restore, so their text may differ; their number per table may not.
    def shape(url):
        other = make_database(url, 1)
        try:
            schema = introspect(other)
        finally:
            other.close_all()
        return ({k: v for k, v in schema.items() if " CHECK " not in k},
                sorted(k.split(" CHECK ", 1)[0] for k in schema if " CHECK " in k))
    assert shape(target) == shape(database_url)


def test_sqlite_backup_includes_what_is_still_in_the_wal(db, database_url, storage, tmp_path,
                                                          backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no WAL file to miss")
    path = Path(sqlite_path(database_url))
    for i in range(5):
        make_user(f"wal{i}")
    assert Path(f"{path}-wal").stat().st_size > 0
    plain = tmp_path / "plain-copy.db"
    # What a file copy would capture. In another process: closing any
    # descriptor of the file would drop this process's POSIX locks on it,
    # which SQLite's open connections here rely on.
    subprocess.run(["cp", str(path), str(plain)], check=True)
    with contextlib.closing(sqlite3.connect(plain)) as conn:
        try:
            plain_users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        except sqlite3.OperationalError:  # even the table may still be in the WAL
            plain_users = 0
    created = create_backup(database_url, storage, tmp_path / "backups")
    assert created.manifest.counts["users"] == 5
    assert plain_users < 5  # the point of using the backup API


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


def rows_of_live(table):
    model = next(m for m in MODELS if m._meta.table_name == table)
    return list(model.select().order_by(model.id).tuples())


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
