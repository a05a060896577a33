"""The seed loader's failures: every broken file, image or database gives one
line on stderr, exit 1, and leaves the database and the file store as they were.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import peewee as pw
import pytest

from janus.db import make_database
from janus.models import Log, User
from janus.seeds import SEED_DIR
from janus.seeds.loader import Loader
from janus.seeds.schema import SeedError
from tests.seeds.helpers import (
    assert_one_line_error,
    counts,
    expected_counts,
    file_backed,
    fresh_migrated_url,
    run,
    seed_data,
    snapshot,
    stored_files,
)


# -- broken files -----------------------------------------------------------
def _set(domain, index, field, value):
    def mutate(data):
        data[domain][index][field] = value
    return mutate


def _drop(domain, index, field):
    def mutate(data):
        del data[domain][index][field]
    return mutate


def _duplicate(domain, index, of):
    def mutate(data):
        data[domain][index]["key"] = data[domain][of]["key"]
    return mutate


def _raw(domain, text):
    def mutate(data):
        data[domain] = text  # written as is
    return mutate


def _remove_file(domain):
    def mutate(data):
        data[domain] = None
    return mutate


FILE = next(i for i, r in enumerate(seed_data()["images"]) if "file" in r)  # a file-backed record


def _set_file(index, **fields):
    def mutate(data):
        data["images"][index].update(fields)
    return mutate


def _same_file_twice(data):
    record = data["images"][FILE]
    data["images"].append({**record, "filename": "copy-of-" + Path(record["file"]).name})


BROKEN = {
    "bad-json": ("logs", _raw("logs", '[{"key": "x",}]'), ["invalid JSON", "line 1"]),
    "truncated-json": ("security", _raw("security", '[{"key": "x"'), ["unexpected end"]),
    "not-an-array": ("admins", _raw("admins", '{"user": "a@b.c"}'), ["JSON array"]),
    "missing-file": ("images", _remove_file("images"), ["file not found"]),
    "missing-field": ("logs", _drop("logs", 2, "action"),
                      ["record 3 (key ", 'missing required field "action"']),
    "missing-field-last-domain": ("security", _drop("security", 4, "key"),
                                  ["record 5", 'missing required field "key"']),
    "wrong-type": ("images", _set("images", 1, "width", "640"),
                   ["record 2 (owner ", 'field "width"', "expected int, got str"]),
    "wrong-type-bool": ("users", _set("users", 0, "is_active", "yes"), ['field "is_active"']),
    "wrong-type-last-domain": ("security", _set("security", 0, "metadata", ["x"]),
                               ['field "metadata"', "expected object"]),
    "not-an-object": ("analytics", _raw("analytics", "[1]"), ["record 1", "JSON object"]),
    "unknown-field": ("users", _set("users", 0, "role", "admin"),
                      ['record 1 (email "admin@janus.example")', 'unknown field "role"']),
    "unknown-nested-field": ("analytics", _set("analytics", 0, "image",
                                               {"owner": "demo@janus.example", "file": "x"}),
                             ['unknown field "file"']),
    "bad-level": ("logs", _set("logs", 0, "level", "loud"), ['field "level"']),
    "newline-in-value": ("logs", _set("logs", 0, "level", "lo\nud"), ['field "level"']),
    "bad-time": ("logs", _set("logs", 1, "at", "yesterday"), ["not a relative time"]),
    "bad-hash": ("users", _set("users", 2, "password_hash", "janus-demo"),
                 ["not an argon2 hash"]),
    # Shapes and limits are the API's (janus.schemas), with the API's messages.
    "bad-email": ("images", _set("images", 0, "owner", "nobody"),
                  ['field "owner"', "expected str matching regex"]),
    "bad-reference-email": ("analytics", _set("analytics", 0, "user", "demo"),
                            ['record 1 (key "contrast-storefront-hero")', 'field "user"']),
    "too-long": ("images", _set("images", 0, "format", "X" * 40),
                 ['field "format"', "length <= 16"]),
    "out-of-range": ("images", _set("images", 0, "width", 2**31),
                     ['field "width"', "<= 2147483647"]),
    "bad-admin-level": ("admins", _set("admins", 0, "admin_level", "owner"),
                        ['field "admin_level"', "invalid enum value 'owner'"]),
    "bad-username": ("users", _set("users", 2, "username", "demo user"),
                     ['record 3 (email "demo@janus.example")', 'field "username"']),
    "analytics-without-user": ("analytics", _drop("analytics", 1, "user"),
                               ["record 2", 'missing required field "user"']),
    "analytics-data-array": ("analytics", _set("analytics", 0, "data", [1, 2]),
                             ['field "data"', "expected object, got array"]),
    # Written through create_analytics, which refuses an image its user may not see:
    # found while writing, after users, admins and images were, and rolled back.
    "analytics-image-not-visible": ("analytics", _set("analytics", 0, "user",
                                                      "priya.raman@janus.example"),
                                    ["record 1", "priya.raman@janus.example may not see the "
                                                 'image with owner "demo@janus.example"']),
    "bad-sha256": ("images", _set("images", 0, "sha256", "abc"), ['field "sha256"']),
    "bad-ip": ("security", _set("security", 3, "ip", "999.1.1.1"), ["not an IP address"]),
    "reserved-seed-key": ("logs", _set("logs", 0, "metadata", {"seed": "x"}), ['"seed"']),
    "dangling-user": ("logs", _set("logs", 4, "user", "ghost@janus.example"),
                      ["record 5", "dangling reference", "ghost@janus.example"]),
    "dangling-granted-by": ("admins", _set("admins", 1, "granted_by", "ghost@janus.example"),
                            ["dangling reference: granted_by"]),
    "dangling-image": ("analytics", _set("analytics", 0, "image",
                                         {"owner": "demo@janus.example", "filename": "nope.png"}),
                       ["dangling reference: image", "nope.png"]),
    "dangling-last-domain": ("security", _set("security", 0, "user", "ghost@janus.example"),
                             ["dangling reference"]),
    "duplicate-key": ("logs", _duplicate("logs", 3, 0), ["record 4", "duplicate key"]),
    "duplicate-key-last-domain": ("security", _duplicate("security", 9, 1),
                                  ["record 10", "duplicate key", "record 2"]),
    "duplicate-email": ("users", _set("users", 1, "email", "ADMIN@janus.example"),
                        ["record 2", "duplicate email"]),
    "duplicate-username": ("users", _set("users", 1, "username", "admin"),
                           ["duplicate username"]),
    "duplicate-image": ("images", _set("images", 1, "filename", "storefront-hero.png"),
                        ["duplicate owner and filename"]),
    "file-dotdot": ("images", _set_file(FILE, file="../users.json"),
                    [f"record {FILE + 1} ", 'field "file"', "../users.json",
                     "relative path inside the seed directory"]),
    "file-dotdot-inside": ("images", _set_file(FILE, file="files/../../seeds/users.json"),
                           ['field "file"', "inside the seed directory"]),
    "file-absolute": ("images", _set_file(FILE, file=str(SEED_DIR / "users.json")),
                      ['field "file"', "not absolute"]),
    "file-missing": ("images", _set_file(FILE, file="files/nope.png"),
                     ['file "files/nope.png": not found']),
    "file-is-a-directory": ("images", _set_file(FILE, file="files"), ["not a regular file"]),
    "file-not-an-image": ("images", _set_file(FILE, file="users.json"),
                          ['file "users.json"', "not an image in a supported format"]),
    "file-with-technical-field": ("images", _set_file(FILE, width=10),
                                  [f"record {FILE + 1} ", '"width" may not be given with "file"']),
    "file-with-technical-fields": ("images", _set_file(FILE, sha256="0" * 64, metadata={}),
                                   ['fields "sha256", "metadata" may not be given']),
    "file-unknown-field": ("images", _set_file(FILE, alt_text="x"), ['unknown field "alt_text"']),
    "file-null": ("images", _set_file(FILE, file=None), ['field "file"', "expected str"]),
    # Owned by one who has not stored these bytes: refused for its name (on
    # writing, by janus.services.images), not as a second copy of a stored file.
    "file-bad-filename": ("images", _set_file(FILE, filename="a/b.png",
                                              owner="lena.fischer@janus.example"),
                          ['field "filename"', "not a path"]),
    "file-same-bytes-twice": ("images", _same_file_twice, ["duplicate sha256 for this owner"]),
    "file-duplicate-name": ("images", _set_file(FILE, filename="storefront-hero.png",
                                                owner="demo@janus.example"),
                            ["duplicate owner and filename"]),
}


def broken_dir(tmp_path: Path, case: str) -> tuple[Path, str]:
    domain, mutate, _ = BROKEN[case]
    directory = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, directory)
    data = seed_data()
    mutate(data)
    content = data[domain]
    path = directory / f"{domain}.json"
    if content is None:
        path.unlink()
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return directory, f"{domain}.json"


@pytest.fixture(params=["empty", "holding-data"])
def starting_state(request, db, database_url, capsys):
    """An empty database, or one that already has users, admins and images plus
    a row of its own: a broken load must leave either exactly as it was."""
    if request.param == "holding-data":
        assert run(capsys, "--database", database_url, "--only", "users,admins,images")[0] == 0
        Log.create(action="manual.note", module="test", log_metadata={"note": "not a seed"})
    return request.param


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_changes_nothing(starting_state, database_url, tmp_path, capsys, case,
                                     storage_dir):
    directory, filename = broken_dir(tmp_path, case)
    before, files = snapshot(), stored_files(storage_dir)
    code, out, err = run(capsys, "--database", database_url, "--dir", directory)
    assert_one_line_error(code, out, err, *BROKEN[case][2])
    assert err.split(": ", 1)[0].endswith(filename)
    assert snapshot() == before
    assert stored_files(storage_dir) == files


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[data.index(b"IDAT") + 10] ^= 0xFF  # the chunk's CRC no longer matches
    path.write_bytes(bytes(data))


# case -> (which seed file, damage, what the message says)
BROKEN_IMAGES = {
    "truncated-jpeg": (".jpg", _truncate, ["truncated or corrupt image data"]),
    "truncated-png": (".png", _truncate, ["truncated or corrupt"]),
    "flipped-byte-png": (".png", _flip_a_byte, ["corrupt"]),
    "text-named-png": (".png", lambda p: p.write_text("not a picture\n"),
                       ["not an image in a supported format"]),
    "empty": (".gif", lambda p: p.write_bytes(b""), ["empty file"]),
    "deleted": (".webp", Path.unlink, ["not found"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN_IMAGES))
def test_broken_image_file_changes_nothing(starting_state, database_url, tmp_path, capsys,
                                           storage_dir, case):
    suffix, damage, needles = BROKEN_IMAGES[case]
    number, seed = next((n, r) for n, r in enumerate(seed_data()["images"], start=1)
                        if r.get("file", "").endswith(suffix))
    directory = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, directory)
    damage(directory / seed["file"])
    before, files = snapshot(), stored_files(storage_dir)
    code, out, err = run(capsys, "--database", database_url, "--dir", directory)
    assert_one_line_error(code, out, err, f"record {number} (", f'file {json.dumps(seed["file"])}',
                          *needles)
    assert err.split(": ", 1)[0].endswith("images.json")
    assert snapshot() == before
    assert stored_files(storage_dir) == files


def test_file_link_leading_outside_is_refused(db, database_url, tmp_path, capsys, storage_dir):
    directory = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, directory)
    data = seed_data()
    real = SEED_DIR / data["images"][FILE]["file"]
    outside = tmp_path / ("outside" + real.suffix)
    shutil.copy(real, outside)
    (directory / "files" / "link.png").symlink_to(outside)
    data["images"][FILE]["file"] = "files/link.png"
    (directory / "images.json").write_text(json.dumps(data["images"]))
    code, out, err = run(capsys, "--database", database_url, "--dir", directory)
    assert_one_line_error(code, out, err, "images.json", f"record {FILE + 1} ",
                          "files/link.png", "leads outside the seed directory")
    assert counts() == expected_counts([])
    assert stored_files(storage_dir) == []


def test_conflict_with_the_database_is_reported_before_writing(db, database_url, capsys):
    User.create(email="someone@example.org", username="demo", password_hash="$argon2id$x")
    before = snapshot()
    code, out, err = run(capsys, "--database", database_url)
    assert_one_line_error(code, out, err, "users.json", 'record 3 (email "demo@janus.example")',
                          'username "demo" is already taken')
    assert snapshot() == before


def test_write_failure_in_the_last_domain_rolls_back_everything(
        starting_state, database_url, capsys, monkeypatch, storage_dir):
    inserted, files_then = [], []
    original = Loader._insert_security

    def failing(self, record):
        if len(inserted) == 3:
            files_then.append(stored_files(storage_dir))
            raise pw.IntegrityError("refused by the test")
        inserted.append(record.key)
        original(self, record)

    monkeypatch.setattr(Loader, "_insert_security", failing)
    before, files = snapshot(), stored_files(storage_dir)
    code, out, err = run(capsys, "--database", database_url)
    assert_one_line_error(code, out, err, "security.json", "record 4",
                          "the database refused the row: refused by the test")
    assert len(inserted) == 3  # users, images, logs ... were written before the failure
    assert snapshot() == before
    # The image files stored before the failure are gone again; earlier ones stay.
    assert len(files_then[0]) == len({r["file"] for r in file_backed()})
    assert stored_files(storage_dir) == files


def test_failure_storing_an_image_removes_the_files_stored_before(
        db, database_url, capsys, monkeypatch, storage_dir):
    import janus.seeds.loader as loader_module

    calls = []
    original = loader_module.image_service.upload

    def failing(actor, data, filename, store, max_pixels, **kwargs):
        calls.append(filename)
        if len(calls) == 3:
            raise pw.IntegrityError("refused by the test")
        return original(actor, data, filename, store, max_pixels, **kwargs)

    monkeypatch.setattr(loader_module.image_service, "upload", failing)
    code, out, err = run(capsys, "--database", database_url)
    assert_one_line_error(code, out, err, "images.json", "refused by the test")
    assert counts() == expected_counts([])
    assert stored_files(storage_dir) == []


def test_unexpected_error_is_one_line(db, database_url, capsys, monkeypatch):
    def boom(self):
        raise RuntimeError("something odd\nsecond line")

    monkeypatch.setattr(Loader, "run", boom)
    code, out, err = run(capsys, "--database", database_url)
    assert_one_line_error(code, out, err, "RuntimeError", "something odd")
    assert counts() == expected_counts([])


# -- the database itself --------------------------------------------------------
def test_unmigrated_database(db_factory, backend, capsys):
    url = db_factory.new_url()
    if backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        code, out, err = run(capsys, "--database", url)
        assert_one_line_error(code, out, err, "does not exist", "janus-migrate")
        assert not path.exists()  # not created as a side effect
        path.touch()  # now an empty file
    code, out, err = run(capsys, "--database", url)
    assert_one_line_error(code, out, err, "not migrated", "janus-migrate")


def test_unmigrated_database_subprocess(db_factory, tmp_path):
    url = db_factory.new_url()
    result = subprocess.run(
        [sys.executable, "-m", "janus.seeds", "--database", url], cwd=tmp_path,
        capture_output=True, text=True, timeout=120)
    assert_one_line_error(result.returncode, result.stdout, result.stderr, "janus-migrate")


def test_migration_history_without_tables(db_factory, capsys):
    url = fresh_migrated_url(db_factory)
    db = make_database(url, pool_size=1)
    db.execute_sql('DROP TABLE "security"')
    db.close_all()
    code, out, err = run(capsys, "--database", url)
    assert_one_line_error(code, out, err, "missing tables: security")


@pytest.mark.parametrize("url, needle", [
    ("postgresql://postgres:secret@127.0.0.1:1/janus", "cannot connect"),
    ("mysql://localhost/janus", "unsupported DATABASE_URL scheme"),
])
def test_unreachable_or_unsupported_database(capsys, url, needle):
    code, out, err = run(capsys, "--database", url)
    assert_one_line_error(code, out, err, needle)
    assert "secret" not in err


def test_missing_seed_directory(db, database_url, tmp_path, capsys):
    code, out, err = run(capsys, "--database", database_url, "--dir", tmp_path / "nope")
    assert_one_line_error(code, out, err, "seed directory", "does not exist")


def test_seed_error_renders_file_and_record():
    error = SeedError('missing required field "action"', "seeds/logs.json", 3, 'key "login-7"')
    assert str(error) == ('seeds/logs.json: record 3 (key "login-7"): '
                          'missing required field "action"')
