"""POST /images/<id>/analysis (pixel statistics stored as an analytics row)
and GET /images/<id>/similar (near-duplicates by perceptual hash, in SQL)."""
from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from PIL import Image, ImageDraw

from janus.models import Analytics, Log
from janus.models import Image as ImageRow
from tests.api.helpers import assert_error, call, error_paths, image_body, row_counts, upload
from tests.images import half_black_white, p_image, photo_like, rgba_with_hole, save

MASK = (1 << 64) - 1


def uploaded(client, actor, data: bytes, filename: str = "x.png") -> dict:
    res = upload(client, actor, data, filename)
    assert res.status_int == 201, res.text
    return res.json


def analyse(client, actor, image_id: int, **params):
    query = f"?{urlencode(params)}" if params else ""  # a query string, not a form body
    return call(client, "POST", f"/images/{image_id}/analysis{query}", actor)


def wcag(a, b) -> float:
    """WCAG 2 contrast ratio, written out here independently of the app."""
    def luminance(rgb):
        def channel(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = map(channel, rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# -- known answers ---------------------------------------------------------------------
def test_half_black_half_white(client, alice):
    image = uploaded(client, alice, save(half_black_white((200, 100)), "PNG"))
    res = analyse(client, alice, image["id"])
    assert res.status_int == 201, res.text
    body = res.json
    assert (body["research_topic"], body["image_id"], body["user_id"]) == \
        ("image_analysis", image["id"], alice.id)
    data = body["data"]
    assert data["contrast_ratio"] == 21.0
    assert sorted((c["hex"], c["rgb"], c["share"]) for c in data["dominant_colors"]) == \
        [("#000000", [0, 0, 0], 0.5), ("#ffffff", [255, 255, 255], 0.5)]
    assert data["brightness"] == {"mean": 127.5, "normalised": 0.5}
    assert data["contrast"]["rms"] == 127.5
    assert data["has_transparency"] is False
    assert len(data["histogram"]) == 256
    assert data["histogram"][0] == data["histogram"][255] == 0.5
    assert sum(data["histogram"][1:255]) == 0
    assert data["source_size"] == [200, 100]
    # The hash the upload stored for similarity search is the analysis' hash.
    assert data["phash"] == f"{ImageRow.get_by_id(image['id']).phash & MASK:016x}"


# Vertical stripes: (colour, width in a 100 px wide image) -> share width/100.
STRIPES = [((200, 30, 30), 40), ((20, 20, 160), 30), ((240, 240, 90), 20), ((0, 0, 0), 10)]


def stripes() -> Image.Image:
    im = Image.new("RGB", (100, 60))
    draw, x = ImageDraw.Draw(im), 0
    for colour, width in STRIPES:
        draw.rectangle((x, 0, x + width - 1, 59), fill=colour)
        x += width
    return im


@pytest.mark.parametrize("fmt, params", [("PNG", {}), ("BMP", {}), ("WEBP", {"lossless": True}),
                                         ("TIFF", {}), ("GIF", {})])
def test_stripes_match_figures_computed_here(client, alice, fmt, params):
    im = stripes()
    image = uploaded(client, alice, save(im, fmt, **params), f"stripes.{fmt.lower()}")
    res = analyse(client, alice, image["id"])
    assert res.status_int == 201, res.text
    data = res.json["data"]
    assert [(tuple(c["rgb"]), c["share"]) for c in data["dominant_colors"]] == \
        [(colour, width / 100) for colour, width in STRIPES]
    assert data["contrast_ratio"] == round(wcag(STRIPES[0][0], STRIPES[1][0]), 2)
    luma = list(im.convert("L").tobytes())  # Pillow's BT.601 luma, pixel by pixel
    mean = sum(luma) / len(luma)
    assert data["brightness"]["mean"] == pytest.approx(mean, abs=1e-3)
    rms = (sum((v - mean) ** 2 for v in luma) / len(luma)) ** 0.5
    assert data["contrast"]["rms"] == pytest.approx(rms, abs=1e-3)
    histogram = [luma.count(v) / len(luma) for v in range(256)]
    assert data["histogram"] == pytest.approx(histogram, abs=1e-6)
    assert data["has_transparency"] is False


@pytest.mark.parametrize("data, expected", [
    pytest.param(save(rgba_with_hole(0), "PNG"), True, id="rgba-transparent-pixel"),
    pytest.param(save(rgba_with_hole(254), "PNG"), True, id="rgba-translucent-pixel"),
    pytest.param(save(rgba_with_hole(255), "PNG"), False, id="rgba-all-opaque"),
    pytest.param(save(rgba_with_hole(0), "WEBP", lossless=True), True, id="webp-rgba"),
    pytest.param(p_image(True), True, id="palette-with-trns"),
    pytest.param(p_image(False), False, id="palette-opaque"),
    pytest.param(save(half_black_white(), "JPEG"), False, id="jpeg"),
])
def test_transparency(client, alice, data, expected):
    with Image.open(io.BytesIO(data)) as im:  # what the bytes hold, read here
        alpha = im.convert("RGBA").getchannel("A")
        assert (alpha.getextrema()[0] < 255) is expected
    image = uploaded(client, alice, data)
    res = analyse(client, alice, image["id"])
    assert res.status_int == 201, res.text
    assert res.json["data"]["has_transparency"] is expected


@pytest.mark.parametrize("k", [1, 2, 4, 16])
def test_k_bounds_the_dominant_colours(client, alice, k):
    image = uploaded(client, alice, save(stripes(), "PNG"))
    res = analyse(client, alice, image["id"], k=k)
    assert res.status_int == 201, res.text
    data = res.json["data"]
    assert data["parameters"]["k"] == k
    assert len(data["dominant_colors"]) == min(k, len(STRIPES))
    assert sum(c["share"] for c in data["dominant_colors"]) == pytest.approx(1, abs=1e-3)
    shares = [c["share"] for c in data["dominant_colors"]]
    assert shares == sorted(shares, reverse=True)
    if k == 1:
        assert data["contrast_ratio"] == 1.0


@pytest.mark.parametrize("k", ["0", "17", "-1", "five", "2.5"])
def test_invalid_k_is_422_and_stores_nothing(client, alice, k):
    image = uploaded(client, alice, save(stripes(), "PNG"))
    before = row_counts()
    error = assert_error(analyse(client, alice, image["id"], k=k), 422, "validation_error")
    assert error_paths(error) == ["$.k"]
    assert row_counts() == before


# -- stored as an analytics row ---------------------------------------------------------
def test_result_is_stored_linked_to_the_image_and_audited(client, alice):
    image = uploaded(client, alice, save(half_black_white(), "PNG"))
    res = analyse(client, alice, image["id"], k=3)
    assert res.status_int == 201, res.text
    row = Analytics.get_by_id(res.json["id"])
    assert (row.image_id, row.user_id, row.research_topic) == \
        (image["id"], alice.id, "image_analysis")
    assert row.data == res.json["data"]

    listed = call(client, "GET", "/analytics", alice, params={"image_id": image["id"]})
    assert listed.status_int == 200, listed.text
    assert listed.json["items"] == [res.json]

    audit = Log.get(Log.action == "image.analysed")
    assert audit.user_id == alice.id
    assert audit.log_metadata == {"object_type": "analytics", "object_id": row.id,
                                  "changes": {"image_id": image["id"], "k": 3}}


def test_every_analysis_is_a_new_row_with_the_same_numbers(client, alice):
    image = uploaded(client, alice, save(photo_like(41, (300, 200)), "JPEG"))
    first, second = (analyse(client, alice, image["id"]) for _ in range(2))
    assert (first.status_int, second.status_int) == (201, 201)
    assert first.json["id"] != second.json["id"]
    assert first.json["data"] == second.json["data"]
    assert Analytics.select().where(Analytics.image == image["id"]).count() == 2
    assert Log.select().where(Log.action == "image.analysed").count() == 2


def test_deleting_the_image_deletes_its_analyses(client, alice):
    image = uploaded(client, alice, save(half_black_white(), "PNG"))
    assert analyse(client, alice, image["id"]).status_int == 201
    assert call(client, "DELETE", f"/images/{image['id']}", alice).status_int == 204
    assert Analytics.select().count() == 0


def test_metadata_only_record_is_409(client, alice):
    created = call(client, "POST", "/images", alice, json=image_body())
    assert created.status_int == 201, created.text
    before = row_counts()
    assert_error(analyse(client, alice, created.json["id"]), 409, "conflict")
    assert row_counts() == before


def test_a_missing_stored_file_is_404_not_500(client, app, alice):
    image = uploaded(client, alice, save(half_black_white(), "PNG"))
    sha = image["sha256"]
    (app.config["janus.config"].storage_dir / sha[:2] / sha[2:4] / sha).unlink()
    before = row_counts()
    assert_error(analyse(client, alice, image["id"]), 404, "not_found")
    assert row_counts() == before


def test_another_users_image_is_404_and_admins_may_analyse(client, alice, bob, moderator):
    image = uploaded(client, alice, save(half_black_white(), "PNG"))
    before = row_counts()
    assert_error(analyse(client, bob, image["id"]), 404, "not_found")
    assert_error(analyse(client, bob, 999999), 404, "not_found")
    assert_error(analyse(client, None, image["id"]), 401, "unauthorized")
    assert row_counts() == before
    res = analyse(client, moderator, image["id"])
    assert res.status_int == 201, res.text
    assert (res.json["image_id"], res.json["user_id"]) == (image["id"], moderator.id)


# -- similar ------------------------------------------------------------------------------
PHOTO = photo_like(31)


def painted(box) -> Image.Image:
    """PHOTO with a red rectangle over ``box``: an edit the hash partly sees."""
    im = PHOTO.copy()
    ImageDraw.Draw(im).rectangle(box, fill=(255, 0, 0))
    return im


def popcount_distance(a_id: int, b_id: int) -> int:
    a, b = (ImageRow.get_by_id(i).phash for i in (a_id, b_id))
    return ((a ^ b) & MASK).bit_count()


# Encoded once: name -> (bytes, filename), all Alice's.
ALICES = {
    "original": (save(PHOTO, "PNG"), "original.png"),
    "reencoded": (save(PHOTO, "JPEG", quality=60), "q60.jpg"),
    "resized": (save(PHOTO.resize((320, 240)), "PNG"), "small.png"),
    "edited": (save(painted((0, 0, 100, 75)), "PNG"), "edited.png"),
    "more_edited": (save(painted((0, 0, 160, 120)), "PNG"), "more.png"),
    "unrelated": (save(photo_like(32), "PNG"), "other.png"),
}


@pytest.fixture
def family(client, alice, bob):
    """Alice's photo, its JPEG re-encoding, a resized and two edited copies, an
    unrelated photo and a metadata-only record; Bob holds the very same bytes
    as her original."""
    ids = {name: uploaded(client, alice, data, filename)["id"]
           for name, (data, filename) in ALICES.items()}
    meta = call(client, "POST", "/images", alice, json=image_body())
    assert meta.status_int == 201, meta.text
    ids["metadata_only"] = meta.json["id"]
    ids["bobs_copy"] = uploaded(client, bob, ALICES["original"][0], "original.png")["id"]
    return ids


def similar(client, actor, image_id: int, **params):
    return call(client, "GET", f"/images/{image_id}/similar", actor, params=params)


def expected_order(origin: int, candidates) -> list[tuple[int, int]]:
    """(id, distance), nearest first, ties newest first: computed in Python."""
    rows = [ImageRow.get_by_id(i) for i in candidates]
    ranked = sorted(rows, key=lambda r: (popcount_distance(origin, r.id),
                                         -r.created_at.timestamp(), -r.id))
    return [(r.id, popcount_distance(origin, r.id)) for r in ranked]


def found(res) -> list[tuple[int, int]]:
    return [(item["image"]["id"], item["distance"]) for item in res.json["items"]]


NEAR = ("reencoded", "resized", "edited", "more_edited")


def test_near_duplicates_are_found_nearest_first(client, alice, family):
    # Preconditions on the hashes themselves, so the search has something to tell:
    # every copy is within 10 bits, at more than one distance; the other photo is not.
    near = {name: popcount_distance(family["original"], family[name]) for name in NEAR}
    assert max(near.values()) <= 10 and len(set(near.values())) >= 3, near
    assert popcount_distance(family["original"], family["unrelated"]) > 10
    res = similar(client, alice, family["original"], max_distance=10)
    assert res.status_int == 200, res.text
    assert (res.json["image_id"], res.json["max_distance"]) == (family["original"], 10)
    assert found(res) == expected_order(family["original"], [family[n] for n in NEAR])
    distances = [d for _id, d in found(res)]
    assert distances == sorted(distances)
    assert all(item["image"]["owner_id"] == alice.id for item in res.json["items"])


def test_max_distance_is_inclusive_and_excludes_farther_images(client, alice, family):
    ranked = expected_order(family["original"], [family[n] for n in NEAR])
    cut = ranked[-1][1] - 1  # just below the farthest copy
    res = similar(client, alice, family["original"], max_distance=cut)
    assert res.status_int == 200, res.text
    assert found(res) == [(i, d) for i, d in ranked if d <= cut]
    assert len(found(res)) < len(ranked)
    res = similar(client, alice, family["original"], max_distance=ranked[-1][1])
    assert found(res) == ranked


def test_only_visible_images_are_searched(client, alice, bob, moderator, family):
    mine = {i for i, _d in found(similar(client, alice, family["original"], max_distance=32))}
    assert family["bobs_copy"] not in mine and family["original"] not in mine
    assert family["metadata_only"] not in mine

    res = similar(client, moderator, family["original"], max_distance=10)
    assert res.status_int == 200, res.text
    assert found(res) == expected_order(
        family["original"], [family["bobs_copy"]] + [family[n] for n in NEAR])
    assert found(res)[0] == (family["bobs_copy"], 0)

    res = similar(client, bob, family["bobs_copy"], max_distance=32)
    assert res.status_int == 200, res.text
    assert res.json["items"] == []  # Bob owns nothing else


def test_max_distance_zero_and_limit(client, moderator, family):
    everything = [i for key, i in family.items() if key not in ("original", "metadata_only")]
    identical = [(i, d) for i, d in expected_order(family["original"], everything) if d == 0]
    assert (family["bobs_copy"], 0) in identical
    res = similar(client, moderator, family["original"], max_distance=0)
    assert res.status_int == 200, res.text
    assert found(res) == identical
    res = similar(client, moderator, family["original"], max_distance=10, limit=1)
    assert res.status_int == 200, res.text
    assert found(res) == identical[:1] == [(family["bobs_copy"], 0)]  # ties: newest first


def test_default_max_distance_is_10(client, alice, family):
    res = similar(client, alice, family["original"])
    assert res.status_int == 200, res.text
    assert res.json["max_distance"] == 10
    assert found(res) == found(similar(client, alice, family["original"], max_distance=10))


@pytest.mark.parametrize("params, path", [
    ({"max_distance": "-1"}, "$.max_distance"), ({"max_distance": "33"}, "$.max_distance"),
    ({"max_distance": "ten"}, "$.max_distance"), ({"max_distance": "1.5"}, "$.max_distance"),
    ({"limit": "0"}, "$.limit"), ({"limit": "101"}, "$.limit"),
])
def test_out_of_range_parameters_are_422(client, alice, params, path):
    image = uploaded(client, alice, ALICES["resized"][0])
    error = assert_error(similar(client, alice, image["id"], **params), 422, "validation_error")
    assert error_paths(error) == [path]


def test_metadata_only_record_has_no_hash_409(client, alice, family):
    assert_error(similar(client, alice, family["metadata_only"]), 409, "conflict")


def test_another_users_image_is_404(client, alice, bob, family):
    assert_error(similar(client, bob, family["original"]), 404, "not_found")
    assert_error(similar(client, alice, family["bobs_copy"]), 404, "not_found")
