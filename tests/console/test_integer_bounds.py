"""The console range-checks every integer as the API does (issue 15, item 6),
and answers its own way: a 422 page (the filter form saying which filter was
not used, or the error page), never a 500, on either backend. Ids are
1..2**31-1 (janus.models.MAX_ID); one in range that names nothing is the
404 page.

Every route with an id in its path comes from the console's own route list
(``app.janus_console.routes``), so a new one is covered without editing this
file; the pages' integer filters are listed in ``FILTERS``."""
from __future__ import annotations

import pytest

from janus.models import MAX_ID, Analytics
from tests.console.helpers import ROUTES, fill, params_of, route_id
from tests.images import photo_like, save

# As in tests/api/test_integer_bounds.py: past 64 bits, the edges of 64 and
# 32 bits (2**31 overflows PostgreSQL's int4), zero and below.
OUT_OF_RANGE = (99999999999999999999, 2**63, 2**63 - 1, 2**31, MAX_ID + 1, 0, -1)
ID_ROUTES = [route for route in ROUTES if params_of(route.path) and route.level is not None]
# Each page's integer query parameters (the Struct fields it reads).
FILTERS = {"/console": ("days",),
           "/console/images": ("owner", "min_width", "min_height", "limit"),
           "/console/users": ("limit",),
           "/console/audit": ("user_id", "object_id", "limit"),
           "/console/security": ("user_id", "limit")}
# A filter that also takes a name: "-1" is a username there, not a number.
NAMES = {"owner"}


def is_page(res, status: int) -> None:
    assert res.status_int == status, res.text[:2000]
    assert res.content_type == "text/html", res.headers


# The issue's requests, verbatim.
@pytest.mark.parametrize("url", ["/console/audit?user_id=99999999999999999999",
                                 "/console/security?user_id=99999999999999999999",
                                 "/console/images?owner=99999999999999999999"])
def test_the_issues_64_bit_ids_are_a_422_page(as_moderator, url):
    res = as_moderator.get(url)
    is_page(res, 422)
    assert "2147483647" in res.text  # the page says what the bound is


def test_every_route_with_an_id_is_covered():
    assert {route_id(r) for r in ID_ROUTES} >= {
        "GET /console/users/<user_id:int>", "GET /console/images/<image_id:int>",
        "POST /console/security/unlock/<user_id:int>"}
    assert all(params_of(r.path) == [name] for r in ID_ROUTES
               for name in params_of(r.path)), "one id per path, as fill() below assumes"


@pytest.mark.parametrize("route", ID_ROUTES, ids=route_id)
def test_an_id_out_of_range_is_a_422_page_one_in_range_the_404_page(as_superadmin, route):
    def send(value):
        path = fill(route.path, {name: value for name in params_of(route.path)})
        if route.method == "GET":
            return as_superadmin.get(path)
        return as_superadmin.post(path, {"confirm": "yes", "k": "3", "admin_level": "none"})

    for value in OUT_OF_RANGE:
        is_page(send(value), 422)
    is_page(send(MAX_ID), 404)


@pytest.mark.parametrize("page, name", [(page, name) for page, names in FILTERS.items()
                                        for name in names])
def test_an_integer_filter_out_of_range_is_a_422_page(as_moderator, page, name):
    for value in OUT_OF_RANGE:
        res = as_moderator.get(f"{page}?{name}={value}")
        assert res.status_int < 500, (value, res.text[:2000])
        if value < 0 and name in NAMES:
            is_page(res, 200)  # looked up as a user name: "There is no user '-1'"
        else:
            is_page(res, 422)


def test_the_number_of_colours_out_of_range_analyses_nothing(as_superadmin, alice, put):
    image = put(alice, save(photo_like(7), "PNG"))
    for k in ("99999999999999999999", str(2**63), "0", "-1", "17"):
        res = as_superadmin.post(f"/console/images/{image.id}/analysis", {"k": k})
        assert res.status_int == 303, (k, res.text[:2000])
        shown = as_superadmin.get(res.headers["Location"])
        is_page(shown, 200)
        assert "whole number from 1 to 16" in shown.text, k
    assert not Analytics.select().exists()
