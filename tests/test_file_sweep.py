"""The start-up sweep of the file store (janus.services.files.sweep): what a
killed process left behind goes once it is older than the grace period;
anything a row uses, anything younger and anything outside the store's
layout stays; a second sweeper on the host skips; a racing upload of an
orphan's bytes keeps its file.

File ages are set with os.utime against a fixed ``now``: no clocks, no sleeps.
The same tests run on both stores: on S3, the folder rclone serves holds the
bucket's objects, and an object's LastModified is its file's mtime there.
"""
from __future__ import annotations

import os

import pytest

from janus.access import Actor
from janus.models import Image
from janus.services import images as image_service
from janus.services.files import sweep
from janus.storage.base import thumbnail_name
from tests.helpers import make_user, stored_files
from tests.images import photo_like, save
from tests.storage import backing_dir, both_stores
from tests.test_file_race import MAX_PIXELS, interleave

pytestmark = both_stores

NOW = 2_000_000_000.0
GRACE = 3600
OLD, YOUNG = NOW - GRACE - 1, NOW - GRACE + 1


def _age(path, mtime):
    os.utime(path, (mtime, mtime))
    return path


def _file(path, mtime):
    """A new file at ``path``, last modified at ``mtime``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return _age(path, mtime)


def _thumb(store, key, mtime):
    """A thumbnail of ``key`` (its directory as old as the file)."""
    path = _file(backing_dir(store) / thumbnail_name(key, 64), mtime)
    _age(path.parent, mtime)
    return path


@pytest.fixture
def scene(db, store):
    """One file of each kind, named by what the sweep must do with it."""
    root = backing_dir(store)
    owner = Actor(make_user())
    used = image_service.upload(owner, save(photo_like(51, (40, 30)), "PNG"), "u.png", store,
                                MAX_PIXELS)
    used_path = _age(root / used.storage_key, OLD)
    orphan_old = store.put(save(photo_like(52, (40, 30)), "PNG"))
    orphan_young = store.put(save(photo_like(53, (40, 30)), "PNG"))
    stray_thumb_key = "ef/01/ef01" + "2" * 60
    beside = (root / orphan_old).parent
    keep = {
        "used original": used_path,
        "used thumbnail": _thumb(store, used.storage_key, OLD),
        "young orphan": _age(root / orphan_young, YOUNG),
        "young temp file": _file(beside / ".tmp-young.png", YOUNG),
        "not the store's": _file(root / "ab" / "notes.txt", OLD),
        "not a key": _file(root / "ab" / "cd" / "abcd", OLD),
        "temp file outside the layout": _file(root / "elsewhere" / ".tmp-mine", OLD),
    }
    gone = {
        "old orphan": _age(root / orphan_old, OLD),
        "old orphan's thumbnail": _thumb(store, orphan_old, OLD),
        "thumbnail without original or row": _thumb(store, stray_thumb_key, OLD),
        "temp file beside originals": _file(beside / ".tmp-abc", OLD),
        "temp thumbnail": _file(root / "thumbnails" / used.storage_key / ".tmp-x.webp", OLD),
        "health probe": _file(root / ".tmp-probe-1", OLD),
    }
    return keep, gone


def test_sweep_removes_old_leftovers_and_nothing_else(store, scene):
    keep, gone = scene
    report = sweep(store, GRACE, now=NOW)
    assert sorted(stored_files(backing_dir(store))) == sorted(keep.values())
    assert (report.temp_files, report.originals, report.thumbnail_dirs) == (3, 1, 1)
    assert report.skipped is None
    assert Image.select().count() == 1  # rows are never touched
    again = sweep(store, GRACE, now=NOW)  # idempotent
    assert (again.temp_files, again.originals, again.thumbnail_dirs) == (0, 0, 0)


def test_a_zero_grace_period_sweeps_young_leftovers_too(store, scene):
    keep, _ = scene
    sweep(store, 0, now=NOW)
    young = {keep["young orphan"], keep["young temp file"]}
    assert young.isdisjoint(stored_files(backing_dir(store)))
    assert keep["used original"].exists()


def test_a_second_sweeper_on_the_host_skips(store, scene):
    _, gone = scene
    with store.sweep_guard() as ours:  # another worker is sweeping
        assert ours
        report = sweep(store, GRACE, now=NOW)
        assert report.skipped == "another process is sweeping"
        assert all(path.exists() for path in gone.values())
    assert sweep(store, GRACE, now=NOW).skipped is None
    assert not any(path.exists() for path in gone.values())


def test_a_sweep_racing_an_upload_of_an_orphans_bytes_keeps_the_file(db, store, monkeypatch):
    """Another worker starts (and sweeps) while a user uploads bytes whose
    file a killed process left: the upload's row must keep its file."""
    data = save(photo_like(54, (40, 30)), "PNG")
    key = store.put(data)
    _age(backing_dir(store) / key, OLD)
    bob = Actor(make_user())
    _, uploader = interleave(db, store, monkeypatch, lambda: sweep(store, GRACE, now=NOW),
                              lambda: image_service.upload(bob, data, "b.png", store, MAX_PIXELS))
    assert uploader.result.storage_key == key
    assert store.exists(key), "the uploaded row lost its file to the sweep"
