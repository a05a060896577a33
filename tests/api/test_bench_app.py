"""The bench's in-process pieces against the real app, on each backend: its
WSGI calls answer like HTTP, the cursor walk reaches the page it names, and
the hand-written summary SQL (B5's baseline) computes what the route does."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from bench import bigdata, inprocess, summary_sql
from janus.models import Log, SecurityEvent, utcnow
from janus.repos.base import naive_utc
from tests.helpers import make_image


def test_a_wsgi_call_answers_like_the_http_route(app, alice):
    status, body = inprocess.call(app, "GET", "/auth/me", alice.token)
    assert status.startswith("200") and json.loads(body)["id"] == alice.id
    status, body = inprocess.call(app, "GET", f"/users/{alice.id}")
    assert status.startswith("401") and json.loads(body)["error"]


def test_following_the_cursor_reaches_the_page_asked_for(app, superadmin, monkeypatch):
    now = utcnow()
    Log.insert_many([{"action": "bench.row", "module": "bench", "level": "info",
                      "timestamp": now - timedelta(seconds=n)} for n in range(7)]).execute()
    monkeypatch.setattr(bigdata, "LIMIT", 2)
    cursor, _ = bigdata._follow(app, superadmin.token, 3)  # opens page 4
    page = inprocess.get_json(app, f"/logs?limit=2&cursor={cursor}", superadmin.token)
    newest = inprocess.get_json(app, "/logs?limit=8", superadmin.token)["items"]
    assert [row["id"] for row in page["items"]] == [row["id"] for row in newest[6:8]]


def test_hand_written_summary_sql_agrees_with_the_route(app, world, superadmin):
    recent, old = utcnow() - timedelta(days=2), utcnow() - timedelta(days=40)
    for when in (recent, recent, old):
        make_image(world["bob"].id, created_at=when)
        SecurityEvent.create(action="login_failed", account="x@example.com", ip="10.0.0.1",
                             timestamp=when)
        Log.create(action="bench.row", module="bench", level="info", timestamp=when)
    route = inprocess.get_json(app, "/analytics/summary?days=30", superadmin.token)
    since = naive_utc(datetime.fromisoformat(route["since"].replace("Z", "+00:00")))
    with_route_window = summary_sql.run(30, since)
    assert summary_sql.check(route, with_route_window) == []
    assert route["counts"]["security"] == {"total": 3, "in_window": 2}
    shifted = summary_sql.run(30, since - timedelta(days=20))  # takes in the old rows too
    assert summary_sql.check(route, shifted)
