"""Uploads and deletes of the same bytes by different owners, interleaved
deterministically in two threads (two pooled connections): no committed
images row may lose its file, on either backend and on either store (on S3
the upload's ``place`` finds the object gone and PUTs it again).

The deleter is paused inside ``release`` just before it removes the file
(after it decided that no row uses it); the uploader then runs, and the
deleter resumes as soon as the uploader finished or is about to open its
transaction (where, with the per-key lock, it waits for the deleter). No
sleeps: events order the steps.
"""
from __future__ import annotations

import threading

import pytest

from janus.access import Actor
from janus.db import database
from janus.models import Image
from janus.services import images as image_service
from tests.helpers import make_user
from tests.images import photo_like, save
from tests.storage import both_stores

pytestmark = both_stores

MAX_PIXELS = 50_000_000
WAIT = 60  # seconds: only a deadlock would get near it, and then the test fails


class Worker(threading.Thread):
    """A thread with its own pooled connection that keeps its exception."""

    def __init__(self, name, target):
        super().__init__(name=name, daemon=True)
        self.target, self.error, self.result = target, None, None

    def run(self):
        database.connect(reuse_if_open=True)
        try:
            self.result = self.target()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            database.close()


def interleave(db, store, monkeypatch, deleter_target, uploader_target):
    """Run the deleter until it is about to remove the file, then the
    uploader; let the deleter go on once the uploader is done or begins a
    transaction. Returns both workers, joined."""
    at_delete, go = threading.Event(), threading.Event()
    kind = type(store)
    real_delete, real_begin = kind.delete, db.begin

    def paused_delete(self, key):
        if threading.current_thread().name == "deleter":
            at_delete.set()
            assert go.wait(WAIT), "the uploader never got going"
        real_delete(self, key)

    def signalling_begin(*args, **kwargs):
        if threading.current_thread().name == "uploader":
            go.set()  # from here on the uploader may wait for the deleter's lock
        return real_begin(*args, **kwargs)

    monkeypatch.setattr(kind, "delete", paused_delete)
    monkeypatch.setattr(db, "begin", signalling_begin)
    deleter = Worker("deleter", deleter_target)
    deleter.start()
    assert at_delete.wait(WAIT) or deleter.error, "the deleter never reached the file"

    def upload_then_go():
        try:
            return uploader_target()
        finally:
            go.set()
    uploader = Worker("uploader", upload_then_go)
    uploader.start()
    for worker in (uploader, deleter):
        worker.join(WAIT)
        assert not worker.is_alive(), f"{worker.name} is stuck"
    for worker in (uploader, deleter):
        assert worker.error is None, f"{worker.name}: {worker.error!r}"
    return deleter, uploader


def test_a_delete_racing_an_upload_of_the_same_bytes_keeps_the_file(db, store, monkeypatch):
    alice, bob = Actor(make_user()), Actor(make_user())
    data = save(photo_like(41, (64, 48)), "PNG")
    alices = image_service.upload(alice, data, "a.png", store, MAX_PIXELS)

    _, uploader = interleave(
        db, store, monkeypatch,
        lambda: image_service.delete_image(alice, alices.id, store),
        lambda: image_service.upload(bob, data, "b.png", store, MAX_PIXELS))

    bobs = uploader.result
    assert [row.id for row in Image.select()] == [bobs.id]
    assert store.exists(bobs.storage_key), "Bob's committed row lost its file"
    assert store.read(bobs.storage_key) == data


def test_a_failed_upload_racing_another_owners_upload_keeps_the_file(db, store, monkeypatch):
    """The other path to the same loss: a failed upload's cleanup (here, a
    broken audit write) deciding the file is unused while Bob's upload runs."""
    alice, bob = Actor(make_user()), Actor(make_user())
    data = save(photo_like(42, (64, 48)), "PNG")
    real_record = image_service.record_change

    def audit_down_for_alice(user, *args, **kwargs):
        if user.id == alice.id:
            raise RuntimeError("audit store down")
        return real_record(user, *args, **kwargs)
    monkeypatch.setattr(image_service, "record_change", audit_down_for_alice)

    def alice_fails():
        with pytest.raises(RuntimeError, match="audit store down"):
            image_service.upload(alice, data, "a.png", store, MAX_PIXELS)

    # Alice's failed upload wrote the file only if her row got that far; make
    # sure there is a file for her cleanup to remove.
    store.put(data)
    _, uploader = interleave(
        db, store, monkeypatch, alice_fails,
        lambda: image_service.upload(bob, data, "b.png", store, MAX_PIXELS))

    bobs = uploader.result
    assert [row.owner_id for row in Image.select()] == [bob.id]
    assert store.exists(bobs.storage_key), "Bob's committed row lost its file"
