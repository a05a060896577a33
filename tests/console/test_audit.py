"""GET /console/audit: the filtered timeline, its keyset pages, each row's
before/after diff and its links, refused filters as a 422 page, hostile
values escaped, and a fixed query count whatever the page size."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from janus.access import Actor
from janus.models import Log, User
from janus.repos.logs import logs
from janus.schemas.images import ImageCreateIn
from janus.schemas.records import AnalyticsCreateIn, LogCreateIn
from janus.schemas.users import UserPatchIn
from janus.services import accounts, admins, images, records
from tests.console.helpers import queries
from tests.helpers import T0

PATH = "/console/audit"
HOSTILE = ('<script>alert(1)</script>', '"onmouseover="alert(1)', "javascript:alert(1)")


def domain(actor, level="superadmin") -> Actor:
    return Actor(User.get_by_id(actor.id), level)


def entry_ids(res) -> list[int]:
    return [int(li["id"].removeprefix("log-")) for li in res.html.select("ol.timeline > li")]


def entry(res, log_id: int):
    found = res.html.select_one(f"#log-{log_id}")
    assert found is not None, res.text[:3000]
    return found


def diff_rows(li) -> list[tuple[str, str, str]]:
    return [tuple(cell.get_text(" ", strip=True) for cell in tr.select("th, td"))
            for tr in li.select("table.diff tbody tr")]


def metadata_only(owner: Actor, filename: str):
    return images.create_record(owner, ImageCreateIn(
        filename=filename, format="PNG", width=1, height=1, color_type="RGB", bit_depth=8,
        file_size=10))


def newest(action: str) -> Log:
    return Log.select().where(Log.action == action).order_by(Log.id.desc()).first()


def test_a_deactivation_shows_its_diff_and_links_actor_and_object(as_superadmin, superadmin,
                                                                   alice):
    accounts.set_active(domain(superadmin), alice.id, False)
    row = newest("user.updated")
    res = as_superadmin.get(PATH)
    assert res.status_int == 200, res.text
    li = entry(res, row.id)
    assert diff_rows(li) == [("is_active", "true", "false")]
    hrefs = {a.get_text(strip=True): a["href"] for a in li.select(".entry-head a")}
    assert hrefs == {superadmin.user.username: f"/console/users/{superadmin.id}",
                     f"user {alice.id}": f"/console/users/{alice.id}"}
    assert li.select_one("time")["datetime"] == row.timestamp.isoformat() + "Z"


def test_a_creation_has_no_before_and_a_deletion_no_after(as_superadmin, superadmin, alice):
    image = metadata_only(domain(alice, None), "a.png")
    created = newest("image.created")
    res = as_superadmin.get(PATH)
    assert ("filename", "not recorded", "a.png") in diff_rows(entry(res, created.id))
    assert entry(res, created.id).select_one(f'a[href="/console/images/{image.id}"]')
    accounts.delete_user(domain(superadmin), alice.id, store=None)  # alice has no files
    deleted = newest("user.deleted")
    res = as_superadmin.get(PATH)
    assert ("username", "alice", "not recorded") in diff_rows(entry(res, deleted.id))
    # the deleted user's own rows remain, with no actor to link
    assert "the system" in entry(res, created.id).get_text()


def test_a_grant_links_the_admin_rows_user(as_superadmin, superadmin, alice):
    admins.grant(domain(superadmin), User.get_by_id(alice.id), "moderator")
    row = newest("admin.granted")
    li = entry(as_superadmin.get(PATH), row.id)
    assert ("admin_level", "null", "moderator") in diff_rows(li)
    assert li.select_one(f'a[href="/console/users/{alice.id}"]').get_text() == f"user {alice.id}"


def test_an_analysis_links_its_image(as_superadmin, superadmin, alice):
    image = metadata_only(domain(alice, None), "c.png")
    records.create_analytics(domain(alice, None), AnalyticsCreateIn(
        research_topic="t", data={}, image_id=image.id))
    li = entry(as_superadmin.get(PATH), newest("analytics.created").id)
    assert li.select_one(f'a[href="/console/images/{image.id}"]').get_text() == \
        f"image {image.id}"


@pytest.fixture
def trail(superadmin, alice):
    """Four audit rows a minute apart from T0 (name -> id), and the image's id."""
    root, user = domain(superadmin), domain(alice, None)
    accounts.set_active(root, alice.id, False)
    accounts.set_active(root, alice.id, True)
    records.append_log(user, LogCreateIn(action="photo.viewed", module="gallery"))
    made = metadata_only(user, "b.png")
    rows = list(Log.select().where(Log.action != "user.created").order_by(Log.id))
    for n, row in enumerate(rows):
        Log.update(timestamp=T0 + timedelta(minutes=n)).where(Log.id == row.id).execute()
    assert len(rows) == 4
    return {"off": rows[0].id, "on": rows[1].id, "viewed": rows[2].id, "image": rows[3].id,
            "image_id": made.id}


@pytest.mark.parametrize(("params", "expected"), [
    ({"action": "user.updated"}, ["on", "off"]),
    ({"module": "gallery"}, ["viewed"]),
    ({"user_id": "alice"}, ["image", "viewed"]),
    ({"object_type": "user", "object_id": "alice"}, ["on", "off"]),
    ({"object_type": "image", "object_id": "image_id"}, ["image"]),
    ({"since": "2024-03-01T12:01", "until": "2024-03-01T12:03"}, ["viewed", "on"]),
    ({"since": "2024-03-01T12:02:00Z"}, ["image", "viewed"]),
    ({"action": "", "module": " ", "user_id": ""}, ["image", "viewed", "on", "off"]),
    ({"action": "no.such"}, []),
    ({"colour": "red"}, ["image", "viewed", "on", "off"]),  # not a filter: ignored
])
def test_filters(as_superadmin, trail, alice, params, expected):
    named = {"alice": alice.id, "image_id": trail["image_id"]}
    params = {key: named.get(value, value) for key, value in params.items()}
    res = as_superadmin.get(f"{PATH}?{urlencode(params)}")
    assert res.status_int == 200, res.text
    shown = [i for i in entry_ids(res) if i in trail.values()]
    assert shown == [trail[name] for name in expected]
    if not expected:
        assert "No audit entries match" in res.text
    # the form shows the filters used
    for key, value in params.items():
        if str(value).strip() and key not in ("object_type", "colour"):
            assert res.html.select_one(f'[name="{key}"]')["value"] == str(value)


@pytest.mark.parametrize(("query", "field"), [
    ("user_id=abc", "user_id"), ("object_id=0", "object_id"), ("since=yesterday", "since"),
    ("limit=1000", "limit"), ("cursor=not-a-cursor", "cursor"),
    ("object_type=a+b", "object_type"), ("since=0", "since"), ("module=a%00b", "module"),
    ("until=2024-13-01T00:00", "until"),
])
def test_a_refused_filter_is_a_422_page_naming_it(as_superadmin, trail, query, field):
    res = as_superadmin.get(f"{PATH}?{query}")
    assert res.status_int == 422, res.text
    assert res.content_type == "text/html"
    alert = res.html.select_one('[role="alert"]').get_text()
    assert f"“{field}”" in alert
    assert entry_ids(res) == []
    assert res.html.select_one("h1").get_text() == "Audit log"


def test_a_query_string_that_is_not_utf8_is_a_400_page(as_superadmin):
    res = as_superadmin.get(PATH + "?action=%ff")
    assert res.status_int == 400, res.text
    assert res.content_type == "text/html"


def test_pages_walk_every_row_once_keeping_the_filters(as_superadmin, superadmin, alice):
    root = domain(superadmin)
    for n in range(7):
        accounts.update_user(root, alice.id, UserPatchIn(username=f"alice{n}"))
    expected = [row.id for row in Log.select().where(Log.action == "user.updated")
                .order_by(Log.timestamp.desc(), Log.id.desc())]
    seen, path = [], f"{PATH}?action=user.updated&limit=3"
    while path:
        res = as_superadmin.get(path)
        assert res.status_int == 200, res.text
        seen += entry_ids(res)
        older = res.html.select_one('a[rel="next"]')
        path = older["href"] if older else None
        if path:
            assert "action=user.updated" in path and "limit=3" in path
    assert seen == expected and len(expected) == 7
    newest_page = res.html.find("a", string="Newest entries")["href"]
    assert parse_qs(urlsplit(newest_page).query) == {"action": ["user.updated"], "limit": ["3"]}


def test_a_page_costs_the_same_whatever_its_size(as_superadmin, trail):
    as_superadmin.get(PATH)  # warm-up
    small, full = queries(as_superadmin, f"{PATH}?limit=1"), queries(as_superadmin, PATH)
    assert small == full == 2  # the session; the rows with their actors


def test_moderators_read_it(as_moderator, trail):
    res = as_moderator.get(PATH)
    assert res.status_int == 200
    assert set(trail.values()) - {trail["image_id"]} <= set(entry_ids(res))


def test_hostile_values_are_escaped(as_superadmin, superadmin, alice, make_actor):
    hostile_name = '<script>alert(1)</script>"onmouseover=x'
    User.update(username=hostile_name).where(User.id == alice.id).execute()
    metadata = {"object_type": "user", "object_id": alice.id,
                "changes": {HOSTILE[0]: [HOSTILE[1], HOSTILE[2]]},
                HOSTILE[1]: HOSTILE[0], "href": "javascript:alert(1)"}
    # A service row (shown as a diff) and a client's copy (shown as sent).
    logs.record("x.updated", "m", user=alice.id, metadata=metadata)
    records.append_log(domain(alice, None), LogCreateIn(action="x.updated", module="m",
                                                        log_metadata=metadata))
    res = as_superadmin.get(PATH)
    assert res.status_int == 200
    text = res.text
    assert "<script>alert" not in text and '"onmouseover=' not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not [a for a in res.html.select("a[href]") if "javascript:" in a["href"]]
    assert not res.html.select("[onmouseover]")
    service = Log.get((Log.action == "x.updated") & (Log.source == "service"))
    assert diff_rows(entry(res, service.id)) == [(HOSTILE[0], HOSTILE[1], HOSTILE[2])]
    assert "reported by" in entry(res, newest("x.updated").id).get_text(" ", strip=True)
