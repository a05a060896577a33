"""The console's dashboard: the /analytics/summary figures as SVG charts with
their tables, the days filter, hostile names, and a fixed query count, on
both backends."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import peewee as pw
import pytest
from markupsafe import escape
from playhouse.test_utils import count_queries

from janus.models import utcnow
from janus.repos.logs import logs
from janus.repos.users import users
from janus.web.console.pages_dashboard import every_day
from tests.api.helpers import call
from tests.console.probes import HOSTILE, assert_inert, assert_shown_as_text
from tests.helpers import make_image, set_time

CHARTS = ["actions-per-day", "failed-logins-per-day", "uploads-per-user", "images-by-format",
          "images-by-colour-type", "top-actions"]


def make_log(user_id: int, action: str):
    return logs.record(action, "test", user=user_id)


def svg(text: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}"'
                      r".*?</svg>", text, re.S)
    assert match, chart_id
    return ET.fromstring(match.group(0))


def table_rows(text: str, caption: str) -> list[list[str]]:
    match = re.search(rf"<caption>{re.escape(str(escape(caption)))}</caption>(.*?)</table>",
                      text, re.S)
    assert match, caption
    rows = [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", match.group(1))][1:]  # [0]: headings
    return [] if rows == [["No data"]] else rows


@pytest.fixture
def activity(client, alice, bob):
    """Uploads by two users, audit rows on two days, failed sign-ins today."""
    for n in range(3):
        make_image(alice.id, format="PNG", color_type="RGB", filename=f"a{n}.png")
    make_image(bob.id, format="JPEG", color_type="L")
    set_time(make_log(alice.id, action="image.viewed"), utcnow() - timedelta(days=2))
    for _ in range(2):
        res = call(client, "POST", "/auth/login", json={"login": "alice", "password": "wrong!!!"})
        assert res.status_int == 401


def test_every_chart_is_drawn_with_its_table(as_moderator, activity, alice):
    res = as_moderator.get("/console")
    assert res.status_int == 200
    text = res.text
    assert "<h1>Dashboard</h1>" in text
    for chart_id in CHARTS:
        root = svg(text, chart_id)
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert f'aria-labelledby="{chart_id}-heading"' in text
    # the long per-day tables are behind a disclosure, the others open
    assert text.count("<summary>") == 2
    assert "<summary>Failed sign-ins per day: the numbers</summary>" in text
    assert table_rows(text, "Uploads per user") == [["alice", "3"], ["bob", "1"]]
    assert table_rows(text, "Images by format") == [["PNG", "3"], ["JPEG", "1"]]
    assert table_rows(text, "Images by colour type") == [["RGB", "3"], ["L", "1"]]
    today, two_days_ago = utcnow().date(), (utcnow() - timedelta(days=2)).date()
    assert table_rows(text, "Failed sign-ins per day") == [[today.isoformat(), "2"]]
    per_day = dict(table_rows(text, "Audit actions per day"))
    assert per_day[two_days_ago.isoformat()] == "1"
    # the column chart has a column for every day of the window, empty ones too
    columns = svg(text, "actions-per-day").findall(".//{http://www.w3.org/2000/svg}rect[@fill]")
    assert len([c for c in columns if c.find("{http://www.w3.org/2000/svg}title") is not None]) \
        == 31
    assert_inert(text)


def test_totals_count_every_table(as_moderator, activity):
    rows = table_rows(as_moderator.get("/console").text, "Rows of each table")
    totals = {name: (total, window) for name, total, window in rows}
    assert totals["Images"] == ("4", "4")
    assert set(totals) == {"Users", "Admins", "Images", "Audit rows", "Analytics rows",
                           "Security events"}


def test_the_days_filter_narrows_the_window(as_moderator, activity):
    text = as_moderator.get("/console", params={"days": "1"}).text
    assert 'value="1"' in text and "the last 1 day," in text
    two_days_ago = (utcnow() - timedelta(days=2)).date().isoformat()
    assert two_days_ago not in dict(table_rows(text, "Audit actions per day"))
    assert two_days_ago in dict(table_rows(as_moderator.get("/console").text,
                                           "Audit actions per day"))
    columns = [c for c in svg(text, "actions-per-day").iter("{http://www.w3.org/2000/svg}rect")
               if c.find("{http://www.w3.org/2000/svg}title") is not None]
    assert len(columns) in (1, 2)  # yesterday's part and today
    long = as_moderator.get("/console", params={"days": "366"}).text
    assert "the last 366 days" in long


@pytest.mark.parametrize("days", ["0", "367", "-1", "week", "1.5", "9" * 30])
def test_a_bad_days_value_is_a_422_page(as_moderator, days):
    res = as_moderator.get("/console", params={"days": days})
    assert res.status_int == 422 and res.content_type == "text/html"
    assert "Days must be a whole number from 1 to 366." in res.text
    assert 'name="days"' in res.text and "<svg" not in res.text


def test_no_data_is_said_not_drawn_broken(as_moderator):
    text = as_moderator.get("/console").text
    for chart_id in ("uploads-per-user", "images-by-format", "failed-logins-per-day"):
        root = svg(text, chart_id)
        assert "No data" in "".join(root.itertext()) or chart_id == "failed-logins-per-day"
    assert "<td colspan=\"2\">No data</td>" in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_stay_text(as_moderator, hostile):
    owner = users.create(email="h@example.com", username=f"u{hostile}", password_hash="x")
    make_image(owner.id, format="PNG", color_type=hostile[:16])
    make_log(owner.id, action=hostile)
    text = as_moderator.get("/console").text
    assert_inert(text)
    for shown in (f"u{hostile}", hostile[:16], hostile):
        assert_shown_as_text(text, shown)
    for chart_id in CHARTS:
        svg(text, chart_id)  # still well-formed XML


def test_the_dashboard_costs_the_same_queries_whatever_the_data(as_moderator, make_actor):
    as_moderator.get("/console")

    def counted(days: str) -> int:
        with count_queries() as counter:
            assert as_moderator.get("/console", params={"days": days}).status_int == 200
        return counter.count

    empty = counted("30")
    for n in range(12):
        owner = make_actor(name=f"uploader{n}")
        make_image(owner.id, format=["PNG", "JPEG", "GIF"][n % 3])
        set_time(make_log(owner.id, action=f"act{n}"), utcnow() - timedelta(days=n))
    # the session, then the summary's four aggregations
    assert empty == counted("30") == counted("366") == 5


def test_every_day_fills_the_gaps():
    rows = [{"day": "2026-11-02", "count": 4}, {"day": "2026-11-05", "count": 1}]
    assert every_day(rows, date(2026, 11, 1), date(2026, 11, 5)) == [
        ("2026-11-01", 0), ("2026-11-02", 4), ("2026-11-03", 0), ("2026-11-04", 0),
        ("2026-11-05", 1)]
    assert every_day([], date(2026, 11, 2), date(2026, 11, 1)) == []


def test_the_dashboard_names_who_is_signed_in(as_moderator):
    res = as_moderator.get("/console")
    assert res.status_int == 200
    assert "<strong>mod</strong> (moderator)" in res.text
    assert '<a href="/console" aria-current="page">Dashboard</a>' in res.text


def test_a_deadlock_on_a_page_is_retried_and_counted_as_the_apis(app, as_moderator,
                                                                  monkeypatch):
    """The console runs through the API's DatabasePlugin: the same retries,
    the same janus_database_conflicts_total."""
    import janus.web.console.pages_dashboard as dashboard
    from janus.web import plugins
    from tests.api.test_metrics import DriverError, delta, scrape

    monkeypatch.setattr(plugins, "RETRY_PAUSE", 0)
    original, calls = dashboard.summarise, []

    def deadlocked(*args, **kwargs):
        calls.append(1)
        if len(calls) < plugins.ATTEMPTS:
            exc = pw.OperationalError("deadlock detected")
            exc.orig = DriverError()
            raise exc
        return original(*args, **kwargs)

    monkeypatch.setattr(dashboard, "summarise", deadlocked)
    before = scrape(app)
    assert as_moderator.get("/console").status_int == 200
    assert len(calls) == plugins.ATTEMPTS
    assert delta(before, scrape(app), "janus_database_conflicts_total") == plugins.ATTEMPTS - 1
