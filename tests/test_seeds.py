"""The seed loader ``python -m janus.seeds``: counts, idempotency, --only,
--if-empty, file-backed images, and one-line failures that leave the database
(and the file store) untouched.

Expected counts come from the seed files themselves, so editing the demo data
never breaks these tests.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest
from PIL import ExifTags
from PIL import Image as PILImage

import janus.seeds
from janus.config import Config
from janus.db import database, make_database
from janus.models import MODELS, Admin, Analytics, AuthToken, Image, Log, SecurityEvent, User, utcnow
from janus.passwords import verify_password
from janus.seeds import DOMAINS, SEED_DIR, main
from janus.seeds.files import relative_time
from janus.seeds.schema import SeedError
from janus.seeds.loader import Loader
from janus.similarity import similar
from janus.uploads import file_store
from tests.conftest import PROJECT_ROOT, migrate

DOMAIN_MODELS = {"users": User, "admins": Admin, "images": Image, "analytics": Analytics,
                 "logs": Log, "security": SecurityEvent}
# The demo accounts the module docstring (and the README) promise.
DEMO_ACCOUNTS = {
    "admin@janus.example": "janus-superadmin",
    "mod@janus.example": "janus-moderator",
    "demo@janus.example": "janus-demo",
    "priya.raman@janus.example": "janus-priya",
    "tomas.novak@janus.example": "janus-tomas",
    "lena.fischer@janus.example": "janus-lena",
}


def seed_data(directory: Path = SEED_DIR) -> dict[str, list]:
    return {d: json.loads((directory / f"{d}.json").read_text()) for d in DOMAINS}


def file_backed(directory: Path = SEED_DIR) -> list[dict]:
    return [r for r in seed_data(directory)["images"] if "file" in r]


def expected_counts(domains=DOMAINS) -> dict[str, int]:
    data = seed_data()
    counts = {m._meta.table_name: 0 for m in MODELS}
    for domain in domains:
        counts[DOMAIN_MODELS[domain]._meta.table_name] = len(data[domain])
    if "images" in domains:  # each file-backed image writes its image.uploaded audit row
        counts[Log._meta.table_name] += len(file_backed())
    return counts


def counts() -> dict[str, int]:
    return {m._meta.table_name: m.select().count() for m in MODELS}


def snapshot() -> dict[str, list]:
    return {m._meta.table_name: list(m.select().order_by(m.id).tuples()) for m in MODELS}


@pytest.fixture(autouse=True)
def storage_dir(tmp_path, monkeypatch) -> Path:
    """Image files go to a fresh store per test (subprocesses inherit it too)."""
    path = tmp_path / "storage"
    monkeypatch.setenv("JANUS_STORAGE_DIR", str(path))
    return path


def stored_files(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 1
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def fresh_migrated_url(db_factory) -> str:
    url = db_factory.new_url()
    db = make_database(url, pool_size=1)
    migrate(db)
    db.close_all()
    return url


# -- loading the real seed files ------------------------------------------
def test_load_adds_every_record_with_roles_and_links(db, database_url, capsys):
    code, out, err = run(capsys, "--database", database_url)
    assert (code, err) == (0, "")
    assert counts() == expected_counts()
    assert out.count("\n") == 1
    data = seed_data()
    # Records added per domain (the image.uploaded audit rows are not logs.json's).
    assert all(f"{domain} +{len(data[domain])}" in out for domain in DOMAINS)
    admin_levels = {a["user"]: a["admin_level"] for a in data["admins"]}
    for user in User.select():
        assert user.role == ("admin" if user.email in admin_levels else "user")
    assert {row.user.email: row.admin_level for row in Admin.select()} == admin_levels
    # References by email / (owner, filename) became the right foreign keys.
    linked = {(a.data["seed"], a.image.owner.email, a.image.filename)
              for a in Analytics.select().where(Analytics.image.is_null(False))}
    assert linked == {(a["key"], a["image"]["owner"], a["image"]["filename"])
                      for a in data["analytics"] if a.get("image")}
    assert {(i.owner.email, i.filename) for i in Image.select()} == {
        (i["owner"], i.get("filename") or Path(i["file"]).name) for i in data["images"]}
    assert Image.select().where(Image.storage_key.is_null(False)).count() == len(file_backed())
    # The natural key of append-only rows is kept in their JSON.
    assert sorted(r.log_metadata["seed"] for r in Log.select()
                  if r.action != "image.uploaded") == sorted(
        r["key"] for r in data["logs"])
    assert sorted(r.security_metadata["seed"] for r in SecurityEvent.select()) == sorted(
        r["key"] for r in data["security"])


def test_times_are_relative_to_the_load(db, database_url, capsys):
    before = utcnow()
    assert run(capsys, "--database", database_url)[0] == 0
    after = utcnow()
    for seed in seed_data()["users"]:
        user = User.get(User.email == seed["email"])
        age = before - relative_time(seed["at"], before)
        assert age > timedelta(0)
        assert before - age <= user.created_at <= after - age
    for model, column in [(Log, Log.timestamp), (SecurityEvent, SecurityEvent.timestamp),
                          (Image, Image.created_at), (Analytics, Analytics.created_at)]:
        oldest = model.select(pw.fn.MIN(column)).scalar()
        newest = model.select(pw.fn.MAX(column)).scalar()
        assert before - timedelta(days=60) < oldest < newest <= after


@pytest.mark.parametrize("value, delta", [
    ("now", timedelta(0)),
    ("-2d3h", timedelta(days=2, hours=3)),
    ("-45m", timedelta(minutes=45)),
    ("-1d30s", timedelta(days=1, seconds=30)),
])
def test_relative_time(value, delta):
    now = utcnow()
    assert relative_time(value, now) == now - delta


@pytest.mark.parametrize("value", ["", "-", "2d", "+1d", "-1h2d", "yesterday", "-1.5d"])
def test_relative_time_refuses(value):
    with pytest.raises(Exception, match="not a relative time"):
        relative_time(value, utcnow())


def test_demo_passwords_verify(db, database_url, capsys):
    assert run(capsys, "--database", database_url)[0] == 0
    assert {u["email"] for u in seed_data()["users"]} == set(DEMO_ACCOUNTS)
    for email, password in DEMO_ACCOUNTS.items():
        user = User.get(User.email == email)
        assert verify_password(user.password_hash, password)
        assert not verify_password(user.password_hash, password + "x")
        assert f"{email}" in janus.seeds.__doc__ and password in janus.seeds.__doc__


# -- file-backed images ---------------------------------------------------------
def _stored_image(seed: dict) -> Image:
    filename = seed.get("filename", Path(seed["file"]).name)
    return (Image.select().join(User, on=(Image.owner == User.id))
            .where(User.email == seed["owner"], Image.filename == filename).get())


def test_seed_files_cover_the_demo_cases():
    """Small files, several formats and modes, one photo with EXIF."""
    kinds, exif_tags = set(), []
    for seed in file_backed():
        path = SEED_DIR / seed["file"]
        assert path.stat().st_size < 20_000, path
        with PILImage.open(path) as im:
            kinds.add((im.format, im.mode))
            exif = im.getexif()
            exif_tags.append({**exif, **exif.get_ifd(ExifTags.IFD.Exif)})
    assert {("PNG", "RGBA"), ("PNG", "L"), ("GIF", "P"), ("JPEG", "RGB")} <= kinds
    assert any(fmt == "WEBP" for fmt, _ in kinds)
    B = ExifTags.Base
    assert any(tags.get(B.Orientation) == 6 and {B.Make, B.Model, B.DateTimeOriginal} <= set(tags)
               for tags in exif_tags)


def test_file_backed_images_are_stored_like_uploads(db, database_url, capsys, storage_dir):
    before = utcnow()
    assert run(capsys, "--database", database_url)[0] == 0
    after = utcnow()
    store = file_store(Config.from_env())
    assert store.root == storage_dir.resolve()
    records = file_backed()
    assert len(records) >= 6
    for seed in records:
        path = SEED_DIR / seed["file"]
        data = path.read_bytes()
        image = _stored_image(seed)
        with PILImage.open(path) as im:  # read independently of janus.imaging
            assert (image.format, image.width, image.height, image.color_type) == (
                im.format, im.width, im.height, im.mode)
            exif = im.getexif()
        assert image.sha256 == hashlib.sha256(data).hexdigest()
        assert image.file_size == len(data)
        assert store.path(image.storage_key).read_bytes() == data
        assert image.phash is not None
        for tag in (ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.Orientation):
            if tag in exif:
                assert image.image_metadata["exif"][tag.name] == exif[tag]
        at = seed.get("at", "now")
        assert relative_time(at, before) <= image.created_at <= relative_time(at, after)
    # Each one was audited like an upload by its owner.
    audited = {(row.user.email, row.log_metadata["object_id"]) for row in
               Log.select().where(Log.action == "image.uploaded")}
    assert audited == {(seed["owner"], _stored_image(seed).id) for seed in records}


def test_near_duplicates_are_found(db, database_url, capsys):
    """The demo has something for GET /images/<id>/similar to find."""
    assert run(capsys, "--database", database_url)[0] == 0
    found = {_stored_image(seed).id: similar(_stored_image(seed), Image.select(), 10, 20)
             for seed in file_backed()}
    pairs = {frozenset((image_id, other.id)) for image_id, hits in found.items()
             for other, _ in hits}
    assert pairs
    for pair in pairs:
        first, second = (Image.get_by_id(i) for i in pair)
        assert first.owner_id == second.owner_id


def test_storage_dir_option(db, database_url, capsys, tmp_path, storage_dir):
    elsewhere = tmp_path / "elsewhere"
    code, out, err = run(capsys, "--database", database_url, "--only", "users,images",
                         "--storage-dir", elsewhere)
    assert (code, err) == (0, "")
    assert len(stored_files(elsewhere)) == len({r["file"] for r in file_backed()})
    assert not storage_dir.exists() or stored_files(storage_dir) == []


def test_second_run_adds_and_changes_nothing(db, database_url, capsys, storage_dir):
    assert run(capsys, "--database", database_url)[0] == 0
    first, files = snapshot(), stored_files(storage_dir)
    assert len(files) == len({r["file"] for r in file_backed()})
    code, out, err = run(capsys, "--database", database_url)
    assert (code, err) == (0, "")
    assert snapshot() == first
    assert stored_files(storage_dir) == files
    assert all(f"{d} +0" in out for d in DOMAINS)


def test_existing_rows_are_not_overwritten(db, database_url, capsys):
    assert run(capsys, "--database", database_url, "--only", "users")[0] == 0
    User.update(username="renamed-demo", is_active=False).where(
        User.email == "demo@janus.example").execute()
    assert run(capsys, "--database", database_url)[0] == 0
    demo = User.get(User.email == "demo@janus.example")
    assert (demo.username, demo.is_active) == ("renamed-demo", False)
    assert counts() == expected_counts()


def test_database_url_defaults_to_the_environment(db, database_url, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run(capsys, "--only", "users")[0] == 0
    assert counts() == expected_counts(["users"])


def test_shared_database_proxy_is_restored(db, database_url, capsys):
    assert run(capsys, "--database", database_url)[0] == 0
    assert database.obj is db


def test_subprocess_from_another_directory(db_factory, tmp_path):
    url = fresh_migrated_url(db_factory)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": "sqlite:///nowhere/x.db"}
    command = [sys.executable, "-m", "janus.seeds", "--database", url]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert (first.returncode, first.stderr) == (0, "")
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert (second.returncode, second.stderr) == (0, "")
    assert all(f"{d} +0" in second.stdout for d in DOMAINS)
    db = make_database(url, pool_size=1)
    try:
        assert {table: db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in expected_counts()} == expected_counts()
    finally:
        db.close_all()


@pytest.mark.parametrize("extra", [[], ["--if-empty"]])
def test_concurrent_loaders_do_not_collide(db_factory, tmp_path, extra):
    """Three loaders at once on one fresh database: the transaction's lock
    makes them take turns, so one adds everything and the rest add nothing."""
    url = fresh_migrated_url(db_factory)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "janus.seeds", "--database", url, *extra],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [(code, err) for code, _, err in results] == [(0, "")] * 3
    users_added = sum(f"users +{len(seed_data()['users'])}" in out for _, out, _ in results)
    assert users_added == 1
    db = make_database(url, pool_size=1)
    try:
        assert db.execute_sql('SELECT COUNT(*) FROM "users"').fetchone()[0] == len(
            seed_data()["users"])
    finally:
        db.close_all()


# -- --only and --if-empty ----------------------------------------------------
@pytest.mark.parametrize("argv, domains", [
    (["--only", "users"], ["users"]),
    (["--only", "users", "--only", "admins"], ["users", "admins"]),
    (["--only", "users,images,logs"], ["users", "images", "logs"]),
    (["--only", "security", "--only", "users"], ["users", "security"]),
])
def test_only(db, database_url, capsys, argv, domains):
    code, out, err = run(capsys, "--database", database_url, *argv)
    assert (code, err) == (0, "")
    assert counts() == expected_counts(domains)
    assert [d for d in DOMAINS if f"{d} +" in out] == domains


def test_only_admins_without_users_is_a_dangling_reference(db, database_url, capsys):
    code, out, err = run(capsys, "--database", database_url, "--only", "admins")
    assert_one_line_error(code, out, err, "admins.json", "record 1", "dangling reference",
                          "admin@janus.example")
    assert counts() == expected_counts([])
    # Once the users are in, the same command works.
    assert run(capsys, "--database", database_url, "--only", "users")[0] == 0
    assert run(capsys, "--database", database_url, "--only", "admins")[0] == 0
    assert counts() == expected_counts(["users", "admins"])


def test_unknown_domain_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--only", "photos"])
    assert exc.value.code == 2
    assert "unknown domain photos" in capsys.readouterr().err


def test_if_empty_loads_an_empty_database(db, database_url, capsys):
    code, out, err = run(capsys, "--database", database_url, "--if-empty")
    assert (code, err) == (0, "")
    assert counts() == expected_counts()


def test_if_empty_skips_when_users_exist(db, database_url, capsys):
    User.create(email="someone@example.org", username="someone", password_hash="$argon2id$x")
    before = snapshot()
    code, out, err = run(capsys, "--database", database_url, "--if-empty")
    assert (code, err) == (0, "")
    assert "skipped" in out
    assert snapshot() == before


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
    "bad-email": ("images", _set("images", 0, "owner", "nobody"), ["not an email address"]),
    "too-long": ("images", _set("images", 0, "format", "X" * 40), ["longer than 16"]),
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
    "file-bad-filename": ("images", _set_file(FILE, filename="a/b.png"),
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
    original = loader_module.ingest

    def failing(owner, data, filename, config, actor=None):
        calls.append(filename)
        if len(calls) == 3:
            raise pw.IntegrityError("refused by the test")
        return original(owner, data, filename, config, actor)

    monkeypatch.setattr(loader_module, "ingest", failing)
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
        assert_one_line_error(code, out, err, "does not exist", "pw_migrate migrate")
        assert not path.exists()  # not created as a side effect
        path.touch()  # now an empty file
    code, out, err = run(capsys, "--database", url)
    assert_one_line_error(code, out, err, "not migrated", "pw_migrate migrate")


def test_unmigrated_database_subprocess(db_factory, tmp_path):
    url = db_factory.new_url()
    result = subprocess.run(
        [sys.executable, "-m", "janus.seeds", "--database", url], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True,
        timeout=120)
    assert_one_line_error(result.returncode, result.stdout, result.stderr, "pw_migrate migrate")


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
    assert str(error) == 'seeds/logs.json: record 3 (key "login-7"): missing required field "action"'
