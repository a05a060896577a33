"""The console's gallery (filters, keyset pages, cached thumbnails only) and
its picture routes (/console/images/<id>/file and /thumb), on both backends.
Access by level is the generated matrix's (test_access_matrix.py)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from PIL import Image as PILImage
from playhouse.test_utils import count_queries

from janus.models import Image, utcnow
from janus.storage.base import thumbnail_name
from tests.console.probes import Tags
from tests.helpers import make_image, set_time
from tests.images import photo_like, save
from tests.storage import backing_dir


def gallery_names(res) -> list[str]:
    return re.findall(r'<a href="/console/images/\d+">\s*(?:<img[^>]*>|<span[^>]*>[^<]*</span>)?'
                      r"\s*([^<]+?)</a>", res.text)


# -- the gallery ---------------------------------------------------------------------------------
@pytest.fixture
def gallery(put, alice, bob):
    """Four uploads and a metadata-only record, at known times and sizes."""
    rows = {
        "a.png": put(alice, save(photo_like(1, (64, 48)), "PNG"), "a.png"),
        "b.jpg": put(alice, save(photo_like(2, (300, 200)), "JPEG"), "b.jpg"),
        "c.png": put(bob, save(photo_like(3, (40, 30)).convert("RGBA"), "PNG"), "c.png"),
        "d.gif": put(bob, save(photo_like(4, (120, 90)).convert("P"), "GIF"), "d.gif"),
        "e.tif": make_image(bob.id, filename="e.tif", format="TIFF", color_type="L",
                            width=2000, height=1000),
    }
    now = utcnow()
    for days, name in enumerate(rows):
        set_time(rows[name], now - timedelta(days=10 * days))
    return rows


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["a.png", "b.jpg", "c.png", "d.gif", "e.tif"]),
    ({"owner": "alice"}, ["a.png", "b.jpg"]),
    ({"owner": "bob@example.com"}, ["c.png", "d.gif", "e.tif"]),
    ({"format": "png"}, ["a.png", "c.png"]),
    ({"color_type": "RGBA"}, ["c.png"]),
    ({"min_width": "100"}, ["b.jpg", "d.gif", "e.tif"]),
    ({"min_width": "100", "min_height": "100"}, ["b.jpg", "e.tif"]),
    ({"since": "{-25}"}, ["a.png", "b.jpg", "c.png"]),
    ({"until": "{-15}"}, ["c.png", "d.gif", "e.tif"]),
    ({"since": "{-25}", "until": "{-15}", "owner": "bob"}, ["c.png"]),
])
def test_the_gallery_filters(as_moderator, gallery, params, expected):
    today = utcnow().date()
    for name, value in params.items():
        if value.startswith("{"):
            params[name] = (today + timedelta(days=int(value[1:-1]))).isoformat()
    res = as_moderator.get("/console/images", params=params)
    assert res.status_int == 200, res.text
    assert gallery_names(res) == expected


def test_the_owner_filter_takes_an_id(as_moderator, gallery, alice):
    res = as_moderator.get("/console/images", params={"owner": str(alice.id)})
    assert gallery_names(res) == ["a.png", "b.jpg"]


def test_an_unknown_owner_says_so(as_moderator, gallery):
    res = as_moderator.get("/console/images", params={"owner": "nobody-here"})
    assert res.status_int == 200
    assert "There is no user &#39;nobody-here&#39;." in res.text and gallery_names(res) == []


@pytest.mark.parametrize("params", [
    {"min_width": "-3"}, {"min_width": "wide"}, {"since": "yesterday"}, {"until": "2026-13-01"},
    {"limit": "7"}, {"limit": "100000"}, {"cursor": "not-a-cursor"},
    {"since": "2026-05-02", "until": "2026-05-01"},
])
def test_bad_filters_are_a_422_page_not_an_error(as_moderator, gallery, params):
    res = as_moderator.get("/console/images", params=params)
    assert res.status_int == 422, res.text
    assert res.content_type == "text/html"
    assert "Check the filters." in res.text and 'role="alert"' in res.text
    assert 'name="owner"' in res.text  # the form is still there to fix them


def test_keyset_pages_walk_every_image_once(as_moderator, alice):
    made = [make_image(alice.id, filename=f"r{n:02}.png") for n in range(30)]
    seen, path, pages = [], "/console/images?limit=24", 0
    while path:
        res = as_moderator.get(path)
        assert res.status_int == 200
        names = gallery_names(res)
        assert len(names) <= 24
        seen += names
        pages += 1
        nxt = re.search(r'<a href="([^"]+)" rel="next">', res.text)
        path = nxt.group(1).replace("&amp;", "&") if nxt else None
        if pages > 1:
            assert "First page" in res.text
    assert pages == 2
    assert seen == [f"r{n:02}.png" for n in reversed(range(30))] and len(made) == 30


def test_next_page_links_keep_the_filters(as_moderator, alice, bob):
    for n in range(26):
        make_image(alice.id if n % 2 else bob.id, filename=f"k{n}.png")
    res = as_moderator.get("/console/images", params={"owner": "alice", "limit": "24"})
    assert "rel=\"next\"" not in res.text  # 13 of alice's: one page
    res = as_moderator.get("/console/images", params={"format": "PNG", "limit": "24"})
    link = re.search(r'<a href="([^"]+)" rel="next">', res.text).group(1).replace("&amp;", "&")
    assert "format=PNG" in link and "limit=24" in link and "cursor=" in link
    assert len(gallery_names(as_moderator.get(link))) == 2


def test_the_gallery_shows_thumbnails_for_files_and_a_placeholder_for_records(
        as_moderator, gallery):
    res = as_moderator.get("/console/images")
    srcs = Tags(res.text).attrs("src")
    assert srcs == [f"/console/images/{gallery[n].id}/thumb?size=256"
                    for n in ("a.png", "b.jpg", "c.png", "d.gif")]
    assert "No file: a metadata-only record" in res.text
    assert 'width="256" height="171"' in res.text  # b.jpg, 300 x 200, scaled
    assert 'width="64" height="48"' in res.text  # a.png, never enlarged


def test_the_gallery_page_makes_no_thumbnail(app, as_moderator, gallery):
    assert as_moderator.get("/console/images").status_int == 200
    assert not list((backing_dir(app.config["janus.config"]) / "thumbnails").glob("**/*.webp"))


def test_gallery_queries_do_not_grow_with_the_page(as_moderator, alice, bob):
    for n in range(100):
        make_image((alice if n % 2 else bob).id, filename=f"q{n}.png")
    as_moderator.get("/console/images")  # warm-up
    counted = {}
    for limit in (24, 96):
        with count_queries() as counter:
            assert as_moderator.get(f"/console/images?limit={limit}").status_int == 200
        counted[limit] = counter.count
    with count_queries() as counter:
        assert as_moderator.get("/console/images?limit=96&owner=alice").status_int == 200
    # the session, the page with its owners; an owner's name costs one lookup
    assert counted[24] == counted[96] == 2
    assert counter.count == 3


# -- thumbnails and files --------------------------------------------------------------------
def test_a_thumbnail_is_made_once_then_read_from_the_cache(app, as_moderator, contrasty):
    path = f"/console/images/{contrasty.id}/thumb?size=128"
    res = as_moderator.get(path)
    assert res.status_int == 200 and res.content_type == "image/webp"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # the browser may keep it, but asks again each time (a 304 while unchanged)
    assert res.headers["Cache-Control"] == "private, no-cache"
    assert as_moderator.get(path, headers={"If-None-Match": res.headers["ETag"]}).status_int \
        == 304
    root = backing_dir(app.config["janus.config"])
    cached = root / thumbnail_name(contrasty.storage_key, 128)
    assert cached.is_file() and cached.read_bytes() == res.body
    (root / contrasty.storage_key).unlink()  # from now on only the cache can answer
    again = as_moderator.get(path)
    assert again.status_int == 200 and again.body == res.body
    with PILImage.open(cached) as im:
        assert max(im.size) == 128


@pytest.mark.parametrize("size", ["100", "0", "abc", "-64", "99999999999999999999"])
def test_thumbnail_sizes_are_the_apis(as_moderator, contrasty, size):
    res = as_moderator.get(f"/console/images/{contrasty.id}/thumb?size={size}")
    assert res.status_int == 404 and res.content_type == "text/html"


def test_the_original_is_sent_as_an_image(as_moderator, put, alice):
    data = save(photo_like(5, (50, 40)), "JPEG")
    image = put(alice, data, 'a "quoted" name.jpg')
    res = as_moderator.get(f"/console/images/{image.id}/file")
    assert res.status_int == 200 and res.body == data
    assert res.content_type == "image/jpeg"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Content-Disposition"] == \
        "inline; filename*=UTF-8''a%20%22quoted%22%20name.jpg"
    etag = res.headers["ETag"]
    assert as_moderator.get(f"/console/images/{image.id}/file",
                            headers={"If-None-Match": etag}).status_int == 304


@pytest.mark.parametrize("route", ["file", "thumb"])
def test_no_picture_for_a_record_without_a_file_or_an_unknown_image(as_moderator, alice, route):
    record = make_image(alice.id)
    for image_id in (record.id, record.id + 1000):
        res = as_moderator.get(f"/console/images/{image_id}/{route}")
        assert res.status_int == 404 and res.content_type == "text/html"


def test_a_row_whose_format_is_not_an_image_gets_no_bytes(as_moderator, contrasty):
    Image.update(format="HTML").where(Image.id == contrasty.id).execute()
    res = as_moderator.get(f"/console/images/{contrasty.id}/file")
    assert res.status_int == 404 and res.content_type == "text/html"
    assert b"\x89PNG" not in res.body
