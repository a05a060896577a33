"""?sort=, ?count=true and the Link header on every list, on both backends.

Each list's sortable fields come from its declaration (janus.lists), so a
field added there is tested here without an edit. The rows have ties in
every sortable field; the expected order is the database's own ORDER BY
(field, id) over the rows the viewer may see, which a walk through every
page (following the ``Link`` header, janus.web.registry.Api.get_list) must
reproduce exactly: each row once, in order.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
import webtest

from janus.lists.images import IMAGES
from janus.lists.records import ANALYTICS, LOGS, SECURITY_EVENTS
from janus.lists.users import ADMINS, USERS
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.repos.logs import logs
from janus.repos.security import security_events
from tests.api.helpers import CLIENT_IP, call, next_link, walk
from tests.api.helpers import assert_error as error_of
from tests.helpers import T0, make_analytics, make_image, make_user, set_admin_level, spread

# path -> (declaration, the column that says whose a row is, or None: moderators only)
LISTS = {
    "/users": (USERS, User.id),
    "/admins": (ADMINS, None),
    "/images": (IMAGES, Image.owner),
    "/logs": (LOGS, Log.user),
    "/security-events": (SECURITY_EVENTS, SecurityEvent.user),
    "/analytics": (ANALYTICS, Analytics.user),
}
# A filter per list, which keeps some of the rows and not others: its query
# parameters, and the same condition written out here.
FILTERS = {
    "/users": ({"role": "user"}, User.role == "user"),
    "/admins": ({"admin_level": "moderator"}, Admin.admin_level == "moderator"),
    "/images": ({"min_width": 300}, Image.width >= 300),
    "/logs": ({"module": "beta"}, Log.module == "beta"),
    "/security-events": ({"action": "sort_b"}, SecurityEvent.action == "sort_b"),
    "/analytics": ({"research_topic": "b"}, Analytics.research_topic == "b"),
}
CASES = [(path, sort, viewer) for path, (listing, owner) in LISTS.items()
         for sort in listing.orders for viewer in ("owner", "moderator")
         if owner is not None or viewer == "moderator"]


def _rows(actors) -> None:
    """Eight rows of every list, alice's and bob's, tied in every sortable field."""
    alice, bob = actors["alice"].user, actors["bob"].user
    owners = [alice if n % 3 else bob for n in range(8)]
    names = ["a", "b", "a", "c", "b", "a", "c", "b"]
    widths = [100, 200, 100, 300, 400, 200, 400, 100]
    made = {
        Image: [make_image(owner.id, filename=f"{name}.png", width=width,
                           file_size=width * 10)
                for owner, name, width in zip(owners, names, widths, strict=True)],
        Log: [logs.record(f"sort_{name}", "alpha" if n % 2 else "beta", user=owner)
              for n, (owner, name) in enumerate(zip(owners, names, strict=True))],
        SecurityEvent: [security_events.record(f"sort_{name}", user=owner)
                        for owner, name in zip(owners, names, strict=True)],
        Analytics: [make_analytics(name, user=owner.id)
                    for owner, name in zip(owners, names, strict=True)],
        User: [make_user(f"sorted{n}") for n in range(4)],
    }
    made[Admin] = [set_admin_level(user, level) for user, level in
                   zip(made[User][:3], ("moderator", "superadmin", "moderator"), strict=True)]
    for rows in made.values():  # tied times too
        spread(rows, [0, 0, 0.5, 1, 1, 1, -1, 2.25][:len(rows)])


def _expected(path: str, sort: str, actor, viewer: str, where=None) -> list[int]:
    """The ids the viewer may see, in the database's ORDER BY (field, id)."""
    listing, owner = LISTS[path]
    order = listing.orders[sort]
    model = listing.repo.model
    query = model.select(model.id)
    if viewer == "owner":
        query = query.where(owner == actor.id)
    if where is not None:
        query = query.where(where)
    keys = ((order.column.desc(), model.id.desc()) if order.descending
            else (order.column.asc(), model.id.asc()))
    return [row.id for row in query.order_by(*keys)]


@pytest.fixture
def rows(actors):
    _rows(actors)
    return actors


@pytest.mark.parametrize("path, sort, viewer", CASES)
def test_every_sort_pages_through_every_row_once_in_order(client, rows, path, sort, viewer):
    actor = rows["alice" if viewer == "owner" else "moderator"]
    items, pages = walk(client, path, actor, limit=3, sort=sort)
    expected = _expected(path, sort, actor, viewer)
    assert [item["id"] for item in items] == expected
    assert pages == max(1, -(-len(expected) // 3))
    # Values the test can order by itself (numbers, times) are monotonic.
    field = sort.lstrip("-")
    values = [item[field] for item in items]
    if values and not isinstance(values[0], str) or field in ("created_at", "timestamp"):
        values = [datetime.fromisoformat(v) if isinstance(v, str) else v for v in values]
        assert values == sorted(values, reverse=sort.startswith("-"))


@pytest.mark.parametrize("path", sorted(LISTS))
def test_the_default_is_newest_first(client, rows, path):
    listing, _owner = LISTS[path]
    actor = rows["moderator"]
    default = call(client, "GET", path, actor, params={"limit": 500}).json["items"]
    named = call(client, "GET", path, actor,
                 params={"limit": 500, "sort": listing.default_sort}).json["items"]
    assert listing.default_sort in ("-created_at", "-timestamp")
    assert default == named
    assert [item["id"] for item in default] == _expected(path, listing.default_sort, actor,
                                                         "moderator")


@pytest.mark.parametrize("path, viewer", sorted({(path, viewer) for path, _s, viewer in CASES}))
def test_count_follows_the_filters_and_what_the_viewer_sees(client, rows, path, viewer):
    listing, _owner = LISTS[path]
    actor = rows["alice" if viewer == "owner" else "moderator"]
    sort = next(key for key in listing.orders if key != listing.default_sort)
    params, condition = FILTERS[path]
    # walk checks every page's total is the number of rows it finds in all
    items, _pages = walk(client, path, actor, limit=2, sort=sort, count=True, **params)
    found = [item["id"] for item in items]
    assert found == _expected(path, sort, actor, viewer, condition)
    everything = _expected(path, sort, actor, viewer)
    assert found
    if path != "/users" or viewer == "moderator":  # alice sees herself only
        assert len(found) < len(everything), "the filter must leave rows out"
    unfiltered = call(client, "GET", path, actor, params={"count": "true", "limit": 1}).json
    assert unfiltered["total"] == len(everything)
    plain = call(client, "GET", path, actor, params={"limit": 1}).json
    assert plain["total"] is None


def test_alice_counts_only_her_own_rows(client, rows):
    alice, moderator = rows["alice"], rows["moderator"]
    for path in ("/images", "/logs", "/security-events", "/analytics"):
        mine = call(client, "GET", path, alice, params={"count": "true"}).json["total"]
        every = call(client, "GET", path, moderator, params={"count": "true"}).json["total"]
        _listing, owner = LISTS[path]
        model = owner.model
        assert mine == model.select().where(owner == alice.id).count() < every, path


@pytest.mark.parametrize("path", sorted(LISTS))
def test_an_unknown_sort_is_a_422_naming_the_allowed_values(client, rows, path):
    listing, _owner = LISTS[path]
    for bad in ("password_hash", "-id", "email desc", "", "--created_at"):
        error = error_of(call(client, "GET", path, rows["moderator"], params={"sort": bad}),
                         422, "validation_error")
        (detail,) = error["details"]
        assert detail["path"] == "$.sort"
        assert sorted(detail["allowed"]) == sorted(listing.orders)
        assert all(key in error["message"] for key in listing.orders)


def _cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_cursor_continues_only_its_own_sort(client, rows, path):
    listing, _owner = LISTS[path]
    actor = rows["moderator"]
    other = next(key for key in listing.orders if key != listing.default_sort)
    first = call(client, "GET", path, actor, params={"limit": 1}).json
    assert first["next_cursor"]
    res = call(client, "GET", path, actor,
               params={"limit": 1, "sort": other, "cursor": first["next_cursor"]})
    error = error_of(res, 422, "validation_error")
    assert error["details"][0]["path"] == "$.cursor"
    assert f"sort={listing.default_sort}" in error["message"], error


@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_cursor_from_before_sorting_is_a_clear_422(client, rows, path):
    earlier = _cursor(T0.isoformat(), 5)  # the format before ?sort=: [time, id]
    res = call(client, "GET", path, rows["moderator"], params={"cursor": earlier})
    error = error_of(res, 422, "validation_error")
    assert "earlier version" in error["message"] and "first page" in error["message"]


BAD_VALUES = ["x", 1.5, None, True, [], {}, 2**70, -(2**70), "a\u0000b", "\ud800", "é" * 2000,
              "2024-13-45T00:00:00"]


@pytest.mark.parametrize("path, sort", [(path, sort) for path, (listing, _o) in LISTS.items()
                                        for sort in listing.orders if sort.startswith("-")])
def test_a_forged_cursor_is_a_422_never_a_500(client, rows, path, sort):
    actor = rows["moderator"]
    forged = [_cursor(2, sort, value, 1) for value in BAD_VALUES]
    forged += [_cursor(2, sort, "a", 0), _cursor(2, sort, "a", 2**40), _cursor(3, sort, "a", 1),
               _cursor(2, sort), _cursor(2, 7, "a", 1), _cursor("2", sort, "a", 1),
               "%%%", "bm90IGpzb24"]
    for cursor in forged:
        res = call(client, "GET", path, actor, params={"sort": sort, "cursor": cursor})
        if res.status_int == 200:  # a well-formed value of the column: a position
            continue
        error = error_of(res, 422, "validation_error")
        assert error["details"][0]["path"] == "$.cursor", (cursor, error)


def test_link_keeps_the_query_and_honours_janus_public_url(rows, make_config):
    from janus.web.app import create_app
    app = create_app(make_config(JANUS_PUBLIC_URL="https://janus.example/api"))
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    actor = rows["moderator"]
    res = call(client, "GET", "/logs", actor,
               params={"limit": 2, "sort": "action", "module": "beta", "count": "true"})
    link = next_link(res)
    assert link.startswith("https://janus.example/api/logs?"), link
    assert "module=beta" in link and "sort=action" in link and "count=true" in link
    assert f"cursor={res.json['next_cursor']}" in link
    last = call(client, "GET", "/logs", actor, params={"limit": 500})
    assert last.json["next_cursor"] is None and "Link" not in last.headers
