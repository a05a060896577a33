"""Backups and the file store in a bucket (a real S3 server: rclone serve s3):
``create --to s3://...`` and ``restore s3://...`` rebuild a lost bucket;
an archive restores into whichever store the target has (a folder or a
bucket); ``copy-store`` copies a local store into a bucket, checks every
object and resumes; every failure is one line."""
from __future__ import annotations

import shutil

import pytest

from janus.config import Config
from janus.imaging import cached_thumbnail
from janus.storage import open_store
from tests.backup.helpers import (
    assert_one_line_error,
    file_store,
    ingest,
    invoke,
    png,
    rows,
    rows_of_live,
    run_module,
    sha,
    store_listing,
)
from tests.helpers import make_user
from tests.storage import backing_dir, closed_port, s3_env_at


@pytest.fixture
def bucket_env(s3_server, monkeypatch, tmp_path):
    """The service's settings, as the commands read them: a bucket store."""
    url = s3_server.new_url()
    for name, value in {**s3_server.env(), "JANUS_STORAGE_URL": url,
                        "JANUS_DATA_DIR": str(tmp_path / "data"),
                        "JANUS_STORAGE_DIR": str(tmp_path / "local-storage")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JANUS_BACKUP_DIR", raising=False)
    return Config.from_env()


def _seed(config: Config):
    alice, bob = make_user("alice"), make_user("bob")
    first = ingest(alice, png(1), "one.png", config)
    ingest(alice, png(2), "two.png", config)
    ingest(bob, png(1), "shared.png", config)
    cached_thumbnail(file_store(config), first.storage_key, 64).close()
    return first


def test_a_lost_bucket_is_rebuilt_from_an_archive_in_a_bucket(
        db, database_url, db_factory, s3_server, bucket_env):
    _seed(bucket_env)
    live = store_listing(backing_dir(bucket_env))
    assert len(live) == 3  # two originals and a thumbnail, in the bucket
    backups = s3_server.new_url("janus-backups")
    code, out, err = invoke("create", "--to", backups, "--database", database_url)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"backup written: {backups}/janus-backup-") and "3 files" in out
    archive = out.split()[2]

    shutil.rmtree(backing_dir(bucket_env))  # every object of the store is lost
    target = db_factory.new_url()
    code, out, err = invoke("restore", archive, "--database", target)
    assert (code, err) == (0, ""), err
    assert f"and {bucket_env.storage_url}:" in out and "3 files" in out
    assert store_listing(backing_dir(bucket_env)) == live
    assert rows(target)["images"] == rows_of_live("images")


@pytest.mark.parametrize("direction", ["folder to bucket", "bucket to folder"])
def test_an_archive_restores_into_the_targets_own_kind_of_store(
        db, database_url, db_factory, s3_server, bucket_env, tmp_path, direction):
    folder, bucket = tmp_path / "folder-store", s3_server.new_url()
    source, into = (["--storage-dir", folder], ["--storage-url", bucket])
    if direction == "bucket to folder":
        source, into = into, source
    config = Config.from_env({"JANUS_STORAGE_URL": source[1]} if source[0] == "--storage-url"
                             else {"JANUS_STORAGE_URL": "", "JANUS_STORAGE_DIR": folder})
    _seed(config)
    live = store_listing(backing_dir(config))
    code, out, err = invoke("create", "--to", tmp_path / "backups", "--database", database_url,
                            *source)
    assert code == 0, err
    target_config = Config.from_env({"JANUS_STORAGE_URL": into[1]}
                                    if into[0] == "--storage-url"
                                    else {"JANUS_STORAGE_URL": "",
                                          "JANUS_STORAGE_DIR": into[1]})
    code, out, err = invoke("restore", out.split()[2], "--database", db_factory.new_url(),
                            *into)
    assert (code, err) == (0, ""), err
    assert store_listing(backing_dir(target_config)) == live


def test_keep_prunes_the_archives_in_the_bucket(db, database_url, s3_server, bucket_env):
    _seed(bucket_env)
    backups = s3_server.new_url("janus-backups")
    written = []
    for _ in range(3):
        code, out, err = invoke("create", "--to", backups, "--keep", "2",
                                "--database", database_url)
        assert code == 0, err
        written.append(out.split()[2])
    assert len(set(written)) == 3  # never one name twice, even within one second
    folder = backing_dir(Config.from_env({"JANUS_STORAGE_URL": backups}))
    assert sorted(p.name for p in folder.iterdir()) == \
        sorted(url.rsplit("/", 1)[1] for url in written[1:])
    assert "removed 1 older" in out


@pytest.mark.parametrize("args, needles", [
    (["restore", "s3://janus-backups/none/janus-backup-20200101T000000Z.tar"],
     ["does not exist"]),
    (["restore", "s3://janus-backups/none/notes.txt"], ["does not name an archive"]),
    (["create", "--to", "s3://Not_A_Bucket/x"], ["--to", "bucket name"]),
    (["restore", "x.tar", "--storage-url", "/not/a/bucket"], ["--storage-url", "s3://"]),
    (["restore", "x.tar", "--storage-url", "s3://janus-test/x", "--storage-dir", "/tmp/x"],
     ["not both"]),
])
def test_bucket_failures_are_one_line(db, database_url, bucket_env, args, needles):
    code, out, err = invoke(*args, "--database", database_url)
    assert_one_line_error(code, out, err, *needles)


# -- copy-store ---------------------------------------------------------------------------------
def test_copy_store_moves_a_local_store_into_a_bucket_and_checks_it(
        db, bucket_env, monkeypatch):
    local = Config.from_env({"JANUS_STORAGE_URL": ""})
    first = _seed(local)
    source = store_listing(backing_dir(local))
    target_dir = backing_dir(bucket_env)

    code, out, err = invoke("copy-store", "--thumbnails")  # from JANUS_STORAGE_DIR to _URL
    assert (code, err) == (0, ""), err
    assert out.count("\n") == 1 and "2 originals copied, 0 already there, 2 verified" in out
    assert "1 thumbnails" in out
    assert store_listing(target_dir) == source
    # The service on the bucket serves the same bytes.
    assert open_store(bucket_env).read(first.storage_key) == png(1)

    code, out, err = invoke("copy-store", "--thumbnails")  # idempotent
    assert "0 originals copied, 2 already there, 2 verified" in out and "0 thumbnails" in out
    damaged = target_dir / first.storage_key
    damaged.write_bytes(b"half an upload")  # an interrupted or damaged copy
    code, out, err = invoke("copy-store")
    assert "1 originals copied, 1 already there, 2 verified" in out
    assert sha(damaged.read_bytes()) == first.sha256


def test_copy_store_refuses_a_damaged_source_and_an_unreachable_target(
        db, bucket_env, monkeypatch, s3_server):
    local = Config.from_env({"JANUS_STORAGE_URL": ""})
    first = _seed(local)
    (backing_dir(local) / first.storage_key).write_bytes(b"rotten")
    code, out, err = invoke("copy-store")
    assert_one_line_error(code, out, err, first.storage_key, "does not match its name",
                          "damaged")

    (backing_dir(local) / first.storage_key).write_bytes(png(1))
    env = {**s3_env_at(f"http://127.0.0.1:{closed_port()}", bucket_env.storage_url),
           "JANUS_STORAGE_DIR": str(local.storage_dir), "PATH": "/usr/bin:/bin"}
    code, out, err = run_module("copy-store", env=env)  # the real command, as an operator runs it
    assert_one_line_error(code, out, err, "cannot be reached")
    assert "127.0.0.1" not in err.split("failed:", 1)[1]
