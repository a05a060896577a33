"""GET /console: the dashboard (a placeholder until the charts arrive)."""
from __future__ import annotations

from tests.console.helpers import queries


def test_the_dashboard_names_who_is_signed_in(as_moderator):
    res = as_moderator.get("/console")
    assert res.status_int == 200
    assert "<h1>Dashboard</h1>" in res.text and "mod" in res.text and "moderator" in res.text
    assert 'aria-current="page"' in res.text


def test_the_dashboard_costs_one_query(as_superadmin):
    as_superadmin.get("/console")  # warm-up: the app's first request checks migrations
    assert queries(as_superadmin, "/console") == 1  # the session, user and level
