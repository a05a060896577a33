"""The seed loader ``python -m janus.seeds``: counts, idempotency, relative
times, file-backed images, --only and --if-empty.

Expected counts come from the seed files themselves, so editing the demo data
never breaks these tests. Failures are in test_seed_errors.py.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest
from PIL import ExifTags
from PIL import Image as PILImage

from janus.config import Config
from janus.db import database, make_database
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User, utcnow
from janus.passwords import verify_password
from janus.seeds import DOMAINS, SEED_DIR, main
from janus.seeds.files import relative_time
from janus.similarity import similar
from janus.storage import LocalStore
from tests.helpers import PROJECT_ROOT
from tests.seeds.helpers import (
    DEMO_ACCOUNTS,
    assert_one_line_error,
    counts,
    expected_counts,
    file_backed,
    fresh_migrated_url,
    run,
    seed_data,
    seeded_image,
    snapshot,
    stored_files,
)

README = (PROJECT_ROOT / "README.md").read_text()  # its "Demo accounts" table


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
        assert user.email_verified_at is not None  # seeded accounts count as verified
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
    # (The audit rows and security events the services write beside them carry none.)
    assert sorted(r.log_metadata["seed"] for r in Log.select()
                  if "seed" in r.log_metadata) == sorted(r["key"] for r in data["logs"])
    assert sorted(r.security_metadata["seed"] for r in SecurityEvent.select()
                  if "seed" in r.security_metadata) == sorted(r["key"] for r in data["security"])


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
        assert re.search(rf"^\| {re.escape(email)} \| {re.escape(password)} \|", README, re.M)


# -- file-backed images ---------------------------------------------------------
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
    store = LocalStore(Config.from_env().storage_dir)
    assert store.root == storage_dir.resolve()
    records = file_backed()
    assert len(records) >= 6
    for seed in records:
        path = SEED_DIR / seed["file"]
        data = path.read_bytes()
        image = seeded_image(seed)
        with PILImage.open(path) as im:  # read independently of janus.imaging
            assert (image.format, image.width, image.height, image.color_type) == (
                im.format, im.width, im.height, im.mode)
            exif = im.getexif()
        assert image.sha256 == hashlib.sha256(data).hexdigest()
        assert image.file_size == len(data)
        assert store.read(image.storage_key) == data
        assert image.phash is not None
        for tag in (ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.Orientation):
            if tag in exif:
                assert image.image_metadata["exif"][tag.name] == exif[tag]
        at = seed.get("at", "now")
        assert relative_time(at, before) <= image.created_at <= relative_time(at, after)
    # Each one was audited like an upload by its owner.
    audited = {(row.user.email, row.log_metadata["object_id"]) for row in
               Log.select().where(Log.action == "image.uploaded")}
    assert audited == {(seed["owner"], seeded_image(seed).id) for seed in records}


@pytest.mark.parametrize("kind", ["file", "metadata-only"])
def test_a_seed_filename_is_cleaned_as_an_upload_is(db, database_url, capsys, tmp_path, kind):
    # The seeds' way in to janus.repos.images's one filename rule
    # (the refused names: tests/seeds/test_seed_errors.py, file-bad-filename).
    directory = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, directory)
    records = json.loads((directory / "images.json").read_text())
    seed = next(r for r in records if ("file" in r) == (kind == "file"))
    seed["filename"] = " e\u0301t\u00e9.png "
    (directory / "images.json").write_text(json.dumps(records))
    code, _, err = run(capsys, "--database", database_url, "--dir", directory,
                       "--only", "users,images")  # analytics name the renamed image
    assert code == 0, err
    assert seeded_image({**seed, "filename": "\u00e9t\u00e9.png"}) is not None


def test_near_duplicates_are_found(db, database_url, capsys):
    """The demo has something for GET /images/<id>/similar to find."""
    assert run(capsys, "--database", database_url)[0] == 0
    found = {seeded_image(seed).id: similar(seeded_image(seed), Image.select(), 10, 20)
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
    env = {**os.environ, "DATABASE_URL": "sqlite:///nowhere/x.db"}
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
    procs = [subprocess.Popen([sys.executable, "-m", "janus.seeds", "--database", url, *extra],
                              cwd=tmp_path, stdout=subprocess.PIPE,
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
