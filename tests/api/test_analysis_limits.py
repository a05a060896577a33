"""Bounds on POST /images/<id>/analysis (issue 15, item 5): a rate per user
(JANUS_RATE_LIMIT_ANALYSIS), a copy of the service's stored result for the
same bytes and k instead of a second decode (any owner's), and the decode
gate's 503 documented in the OpenAPI document."""
from __future__ import annotations

import pytest
import webtest
from prometheus_client import REGISTRY

from janus.models import Analytics
from janus.web.app import create_app
from tests.api.helpers import assert_error, call, upload
from tests.images import photo_like, save


def decodes() -> float:
    return REGISTRY.get_sample_value("janus_image_decodes_total") or 0.0


def uploaded(client, actor, data: bytes) -> int:
    res = upload(client, actor, data, "x.png")
    assert res.status_int == 201, res.text
    return res.json["id"]


def analyse(client, actor, image_id: int, k: int = 5):
    return call(client, "POST", f"/images/{image_id}/analysis?k={k}", actor)


@pytest.fixture
def limited_client(db, make_config):
    def make(**env):
        return webtest.TestApp(create_app(make_config(**env)))
    return make


def test_analysis_is_limited_per_user(limited_client, make_actor):
    client = limited_client(JANUS_RATE_LIMIT_ANALYSIS="2/minute")
    alice, bob = make_actor(name="alice"), make_actor(name="bob")
    image = uploaded(client, alice, save(photo_like(1, (40, 30)), "PNG"))
    bobs = uploaded(client, bob, save(photo_like(2, (40, 30)), "PNG"))
    assert [analyse(client, alice, image).status_int for _ in range(2)] == [201, 201]
    rows = Analytics.select().count()
    res = analyse(client, alice, image)
    error = assert_error(res, 429, "too_many_requests")
    assert error["message"] == "too many analysis requests from this user; try again later"
    assert error["details"] == {"limit": "2 per 1 minute"}
    assert 0 < int(res.headers["Retry-After"]) <= 60
    assert Analytics.select().count() == rows  # nothing stored
    # Another user (same client address) has an allowance of their own.
    assert analyse(client, bob, bobs).status_int == 201


def test_an_empty_analysis_rate_turns_the_limit_off(limited_client, make_actor):
    client = limited_client(JANUS_RATE_LIMIT_ANALYSIS="")
    alice = make_actor(name="alice")
    image = uploaded(client, alice, save(photo_like(3, (40, 30)), "PNG"))
    assert {analyse(client, alice, image).status_int for _ in range(4)} == {201}


def test_the_same_bytes_are_analysed_once_whoever_owns_them(client, make_actor):
    alice, bob = make_actor(name="alice"), make_actor(name="bob")
    data = save(photo_like(4, (64, 48)), "PNG")
    first = analyse(client, alice, uploaded(client, alice, data))
    assert first.status_int == 201, first.text
    bobs_image = uploaded(client, bob, data)  # the same bytes, another owner
    before = decodes()
    copy = analyse(client, bob, bobs_image)
    assert copy.status_int == 201, copy.text
    assert decodes() == before  # copied: no decode at all
    assert copy.json["id"] != first.json["id"]
    assert (copy.json["user_id"], copy.json["image_id"]) == (bob.id, bobs_image)
    assert copy.json["data"] == first.json["data"]
    # Another k is another analysis: decoded.
    other_k = analyse(client, bob, bobs_image, k=3)
    assert other_k.status_int == 201 and decodes() == before + 1
    assert len(other_k.json["data"]["dominant_colors"]) <= 3


def test_a_clients_analytics_row_is_never_copied(client, make_actor):
    """Anyone may post an analytics row with the topic image_analysis: an
    analysis of the same bytes must not take its (forged) values."""
    alice, bob = make_actor(name="alice"), make_actor(name="bob")
    data = save(photo_like(5, (64, 48)), "PNG")
    alices = uploaded(client, alice, data)
    forged = {"version": 1, "parameters": {"k": 5}, "brightness": {"mean": 1.0},
              "dominant_colors": [], "phash": "0" * 16}
    res = call(client, "POST", "/analytics", alice,
               json={"research_topic": "image_analysis", "image_id": alices, "data": forged})
    assert res.status_int == 201, res.text
    bobs = uploaded(client, bob, data)
    before = decodes()
    real = analyse(client, bob, bobs)
    assert real.status_int == 201 and decodes() == before + 1
    assert real.json["data"]["brightness"] != forged["brightness"]


def test_the_openapi_document_lists_429_and_503_on_analysis(client):
    responses = client.get("/openapi.json").json["paths"]["/images/{image_id}/analysis"][
        "post"]["responses"]
    assert {"429", "503"} <= set(responses)
    assert "decodes" in responses["503"]["description"]
