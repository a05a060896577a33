"""An image's console page (the original, metadata, EXIF, latest analysis,
near-duplicates) and the superadmin's actions on it (run the analysis,
delete: the API's services and audit rows), with XSS probes, on both
backends."""
from __future__ import annotations

import re
from datetime import timedelta

import limits
import pytest
from playhouse.test_utils import count_queries

from janus.models import Analytics, Image, Log, utcnow
from janus.services.images import ANALYSIS_TOPIC
from tests.console.image_fixtures import store_of
from tests.console.probes import HOSTILE, Tags, assert_inert, assert_shown_as_text
from tests.helpers import make_analytics, make_image, set_time
from tests.images import camera_jpeg, half_black_white, photo_like, save
from tests.storage import backing_dir


# -- an image's page -------------------------------------------------------------------------
def test_the_image_page_shows_the_original_metadata_and_exif(as_moderator, put, alice):
    image = put(alice, camera_jpeg(), "camera.jpg")
    res = as_moderator.get(f"/console/images/{image.id}")
    assert res.status_int == 200
    text = res.text
    assert "<h1>camera.jpg</h1>" in text
    assert f'<img src="/console/images/{image.id}/file" alt="The original of camera.jpg"' in text
    for shown in ("<dt>Camera make</dt><dd>Canon</dd>", "<dt>Camera model</dt><dd>EOS 5D</dd>",
                  "<dd>1/250 s</dd>", "<dd>f/2.8</dd>", "<dd>2024-05-01T12:34:56</dd>",
                  "<dt>Resolution</dt><dd>300 × 300 dpi</dd>", "<dt>Format</dt><dd>JPEG</dd>",
                  "This image has not been analysed yet."):
        assert shown in text, shown
    assert f'href="/console/users/{alice.id}"' in text
    assert f'<a href="/console/images?owner={alice.id}">All images of alice</a>' in text


def test_a_tiff_is_previewed_by_its_thumbnail(as_moderator, put, alice):
    image = put(alice, save(photo_like(6, (80, 60)), "TIFF"), "scan.tif")
    res = as_moderator.get(f"/console/images/{image.id}")
    assert f'src="/console/images/{image.id}/thumb?size=512"' in res.text
    assert "browsers do not show TIFF files" in res.text


def test_a_metadata_only_record_has_a_page_without_pictures(as_moderator, alice):
    record = make_image(alice.id, filename="kept-elsewhere.png")
    res = as_moderator.get(f"/console/images/{record.id}")
    assert res.status_int == 200
    assert "metadata-only record" in res.text and "no perceptual hash" in res.text
    assert not [s for s in Tags(res.text).attrs("src") if "/console/images/" in s]


def test_an_unknown_image_is_a_404_page(as_moderator):
    res = as_moderator.get("/console/images/999999")
    assert res.status_int == 404 and "<h1>Not found</h1>" in res.text


def test_analysis_is_run_shown_and_audited_like_the_api(as_superadmin, contrasty):
    page = f"/console/images/{contrasty.id}"
    res = as_superadmin.post(f"{page}/analysis", {"k": "4"})
    assert res.status_int == 303 and res.headers["Location"].endswith(page)
    row = Analytics.get(Analytics.image == contrasty.id)
    assert row.research_topic == ANALYSIS_TOPIC and row.user_id == as_superadmin.actor.id
    log = Log.select().where(Log.action == "image.analysed").get()
    assert log.user_id == as_superadmin.actor.id
    assert log.log_metadata["changes"] == {"image_id": contrasty.id, "k": 4}
    text = as_superadmin.get(page).text
    assert f"Analysed image {contrasty.id} (4 colours)." in text  # the flash, once
    assert "21.00:1 between the two main colours (#000000 and #ffffff)" in text
    assert "every pixel is opaque" in text and "yes, some pixels" not in text
    assert text.count('class="verdict-pass">Pass') == 4  # black on white passes everything
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="palette"' in text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="histogram"' in text
    assert 'fill="#000000"' in text and 'fill="#ffffff"' in text
    assert '<th scope="row">#000000</th><td>50.0 %</td>' in text
    assert '<th scope="row">0–31</th><td>50.0 %</td>' in text
    assert "Analysed image" not in as_superadmin.get(page).text


@pytest.mark.parametrize(("k", "flash"), [("0", "whole number from 1 to 16"),
                                          ("17", "whole number from 1 to 16"),
                                          ("many", "whole number from 1 to 16")])
def test_a_bad_colour_count_changes_nothing(as_superadmin, contrasty, k, flash):
    res = as_superadmin.post(f"/console/images/{contrasty.id}/analysis", {"k": k})
    assert res.status_int == 303
    assert not Analytics.select().exists()
    assert flash in as_superadmin.get(res.headers["Location"]).text


def test_analysing_a_record_without_a_file_says_why(as_superadmin, alice):
    record = make_image(alice.id)
    res = as_superadmin.post(f"/console/images/{record.id}/analysis")
    assert res.status_int == 303
    assert "has no uploaded file to analyse" in as_superadmin.get(res.headers["Location"]).text
    assert not Analytics.select().exists()


def test_analysing_an_image_whose_file_is_gone_says_so(app, as_superadmin, contrasty):
    (backing_dir(app.config["janus.config"]) / contrasty.storage_key).unlink()
    res = as_superadmin.post(f"/console/images/{contrasty.id}/analysis")
    assert res.status_int == 303
    assert "stored file is missing" in as_superadmin.get(res.headers["Location"]).text


def test_the_latest_analysis_is_shown(as_moderator, contrasty, superadmin):
    old = make_analytics(ANALYSIS_TOPIC, {"contrast_ratio": 3.5}, image=contrasty.id,
                         user=superadmin.id)
    set_time(old, utcnow() - timedelta(days=1))
    make_analytics(ANALYSIS_TOPIC, {"contrast_ratio": 5.25}, image=contrasty.id)
    make_analytics("something_else", {"contrast_ratio": 9.0}, image=contrasty.id)
    text = as_moderator.get(f"/console/images/{contrasty.id}").text
    assert "5.25:1" in text and "3.50:1" not in text and "9.00:1" not in text
    # AA for normal text, AAA only for large text
    assert re.findall(r'class="verdict-(pass|fail)"', text) == ["pass", "pass", "fail", "pass"]


def test_delete_needs_the_confirmation_then_deletes_like_the_api(app, as_superadmin, contrasty):
    page = f"/console/images/{contrasty.id}"
    res = as_superadmin.post(f"{page}/delete")
    assert res.status_int == 303 and res.headers["Location"].endswith(page)
    assert Image.get_or_none(Image.id == contrasty.id) is not None
    assert "Tick the confirmation box" in as_superadmin.get(page).text
    res = as_superadmin.post(f"{page}/delete", {"confirm": "yes"})
    assert res.status_int == 303 and res.headers["Location"].endswith("/console/images")
    assert Image.get_or_none(Image.id == contrasty.id) is None
    log = Log.get(Log.action == "image.deleted")
    assert log.user_id == as_superadmin.actor.id
    assert log.log_metadata["object_id"] == contrasty.id
    assert not store_of(app).exists(contrasty.storage_key)
    assert f"Deleted image {contrasty.id} (contrast.png)." in as_superadmin.get(
        res.headers["Location"]).text
    assert as_superadmin.get(page).status_int == 404


@pytest.mark.parametrize("action", ["analysis", "delete"])
@pytest.mark.parametrize("token", ["", "0" * 64])
def test_actions_without_a_valid_csrf_token_change_nothing(as_superadmin, contrasty, action,
                                                           token):
    res = as_superadmin.post(f"/console/images/{contrasty.id}/{action}", {"confirm": "yes"},
                             csrf=token or "")
    assert res.status_int == 403 and "<h1>Forbidden</h1>" in res.text
    assert Image.get_or_none(Image.id == contrasty.id) is not None
    assert not Analytics.select().exists() and not Log.select().where(
        Log.action.in_(["image.analysed", "image.deleted"])).exists()


def test_a_moderator_sees_no_action_forms(as_moderator, as_superadmin, contrasty):
    page = f"/console/images/{contrasty.id}"
    forms = Tags(as_moderator.get(page).text).attrs("action")
    assert f"{page}/analysis" not in forms and f"{page}/delete" not in forms
    assert "Only superadmins can run the analysis or delete images." in \
        as_moderator.get(page).text
    forms = Tags(as_superadmin.get(page).text).attrs("action")
    assert f"{page}/analysis" in forms and f"{page}/delete" in forms


def test_near_duplicates_are_a_grid_with_distances(as_moderator, put, alice, bob, contrasty):
    twin = put(bob, save(half_black_white(), "PNG", compress_level=1), "twin.png")
    far = put(bob, save(photo_like(9, (64, 64)), "PNG"), "far.png")
    text = as_moderator.get(f"/console/images/{contrasty.id}").text
    assert f'<a href="/console/images/{twin.id}">' in text
    assert "Distance 0 of 64" in text
    assert f'/console/images/{far.id}"' not in text


def test_image_page_queries_do_not_grow_with_the_near_duplicates(as_moderator, put, alice, bob,
                                                                contrasty, make_actor):
    page = f"/console/images/{contrasty.id}"
    as_moderator.get(page)

    def counted() -> int:
        with count_queries() as counter:
            assert as_moderator.get(page).status_int == 200
        return counter.count

    alone = counted()
    for n in range(4):
        owner = make_actor(name=f"twin{n}")
        put(owner, save(half_black_white(), "PNG", compress_level=n + 1), f"t{n}.png")
    make_analytics(ANALYSIS_TOPIC, {"contrast_ratio": 2.0}, image=contrasty.id, user=alice.id)
    # the session, the image with its owner, the latest analysis with its
    # author, the image again and its near-duplicates
    assert counted() == alone == 5


# -- hostile data ----------------------------------------------------------------------------
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_filenames_stay_text(as_superadmin, put, alice, hostile):
    image = put(alice, save(photo_like(8, (32, 32)), "PNG"), f"{hostile}.png")
    assert image.filename == f"{hostile}.png"
    for path in ("/console/images", f"/console/images/{image.id}"):
        res = as_superadmin.get(path)
        assert res.status_int == 200
        assert_inert(res.text)
        assert_shown_as_text(res.text, f"{hostile}.png")
    res = as_superadmin.post(f"/console/images/{image.id}/delete", {"confirm": "yes"})
    flash = as_superadmin.get(res.headers["Location"])
    assert_inert(flash.text)
    assert_shown_as_text(flash.text, f"Deleted image {image.id} ({hostile}.png).")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_exif_and_metadata_stay_text(as_moderator, put, alice, hostile):
    uploaded = put(alice, camera_jpeg(model=hostile), "camera.jpg")
    record = make_image(alice.id, image_metadata={
        "exif": {"Make": hostile, "Software": ["<script>"], "ISO": {"x": hostile},
                 "FNumber": "f/<b>"},
        "dpi": [hostile, 2], "frames": hostile, "animated": hostile})
    for image in (uploaded, record):
        res = as_moderator.get(f"/console/images/{image.id}")
        assert res.status_int == 200
        assert_inert(res.text)
        assert_shown_as_text(res.text, hostile)
    text = as_moderator.get(f"/console/images/{record.id}").text
    assert "<dd>f/&lt;b&gt;</dd>" in text and "&lt;script&gt;" not in text  # lists are left out


HOSTILE_ANALYSES = [
    {"dominant_colors": [{"hex": '#000000" onload="alert(1)', "share": 0.5},
                         {"hex": "javascript:alert(1)", "share": 0.5}],
     "histogram": [1, "<script>", 3], "contrast_ratio": "<b>21</b>"},
    {"dominant_colors": "<script>alert(1)</script>", "histogram": {"a": 1},
     "contrast_ratio": 1e308, "has_transparency": "<script>"},
    {"dominant_colors": [{"hex": "#ABCDEF", "share": 2}, None, 5, {"hex": "#aabbcc"}],
     "histogram": [-1.0, 2.0], "brightness": {"normalised": "<i>"}},
    ["not", "a", "dict"],
]


@pytest.mark.parametrize("data", HOSTILE_ANALYSES)
def test_a_hostile_analysis_row_is_read_defensively(as_moderator, contrasty, alice, data):
    # Anyone may file an analytics row under the analysis topic (POST /analytics).
    make_analytics(ANALYSIS_TOPIC, data, image=contrasty.id, user=alice.id)
    res = as_moderator.get(f"/console/images/{contrasty.id}")
    assert res.status_int == 200
    assert_inert(res.text)
    fills = set(Tags(res.text).attrs("fill"))
    assert all(f == "none" or f.startswith("url(#") or re.fullmatch(r"#[0-9a-f]{6}", f)
               for f in fills), fills
    assert "alert(1)" not in res.text


def test_the_console_counts_analyses_against_the_apis_rate(app, as_superadmin, contrasty):
    app.janus_console.limits.rules["analysis"] = limits.parse_many("1/minute")
    page = f"/console/images/{contrasty.id}"
    first = as_superadmin.post(f"{page}/analysis")
    assert "Analysed image" in as_superadmin.get(first.headers["Location"]).text
    second = as_superadmin.post(f"{page}/analysis")
    assert second.status_int == 303
    assert "Too many analyses: try again in" in as_superadmin.get(second.headers["Location"]).text
    assert Analytics.select().count() == 1
