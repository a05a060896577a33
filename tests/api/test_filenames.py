"""A client's file name is cleaned (stripped, NFC) or refused (a path, a
control character, blank, too long) on every way an image row is written:
an upload, a metadata-only record and a PATCH of its filename. (The seed
loader's way: tests/seeds/test_seeds.py.) The rule has one home,
janus.repos.images; its cases are in tests/test_imaging_inspect.py."""
from __future__ import annotations

import pytest

from janus.models import Image
from tests.api.helpers import assert_error, call, error_paths, image_body, row_counts, upload
from tests.images import photo_like, save

_png = save(photo_like(3, (40, 30)), "PNG")
# sent -> stored: surrounding blanks go, a decomposed é becomes the composed one
CLEANED = [(" cat.png ", "cat.png"), ("e\u0301t\u00e9.png", "\u00e9t\u00e9.png")]
REFUSED = ["../x.png", "a/b.png", "C:\\x.png", "a\tb.png", "  ", "x" * 256]


def _upload(client, actor, name):
    return upload(client, actor, _png, name)


def _record(client, actor, name):
    return call(client, "POST", "/images", actor, json=image_body(filename=name))


def _patch(client, actor, name):
    image = call(client, "POST", "/images", actor, json=image_body())
    assert image.status_int == 201, image.text
    return call(client, "PATCH", f"/images/{image.json['id']}", actor, json={"filename": name})


WRITES = {"upload": _upload, "record": _record, "patch": _patch}


@pytest.mark.parametrize("sent, stored", CLEANED)
@pytest.mark.parametrize("way", list(WRITES))
def test_a_filename_is_cleaned_on_every_write(client, alice, way, sent, stored):
    res = WRITES[way](client, alice, sent)
    assert res.status_int in (200, 201), res.text
    assert res.json["filename"] == stored
    assert Image.get_by_id(res.json["id"]).filename == stored


@pytest.mark.parametrize("sent", REFUSED)
@pytest.mark.parametrize("way", list(WRITES))
def test_a_hostile_filename_is_refused_on_every_write(client, alice, way, sent):
    before = row_counts() if way != "patch" else None
    res = WRITES[way](client, alice, sent)
    assert error_paths(assert_error(res, 422, "validation_error")) == ["$.filename"]
    if before is not None:
        assert row_counts() == before
    else:  # the record keeps its name
        assert Image.select().where(Image.filename == sent).count() == 0
