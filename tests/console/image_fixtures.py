"""Fixtures of the images pages' tests: uploads through the service into the
app's file store."""
from __future__ import annotations

import pytest

from janus.access import Actor as DomainActor
from janus.services.images import upload
from janus.storage import Store, open_store
from tests.images import half_black_white, save


def store_of(app) -> Store:
    return open_store(app.config["janus.config"])


@pytest.fixture
def put(app):
    """put(actor, data, filename) -> Image: an upload through the service."""
    def put(actor, data: bytes, filename: str = "photo.png"):
        return upload(DomainActor(actor.user), data, filename, store_of(app),
                      app.config["janus.config"].max_image_pixels)
    return put


@pytest.fixture
def contrasty(put, alice):
    return put(alice, save(half_black_white(), "PNG"), "contrast.png")
