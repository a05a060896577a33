"""Issue 15, items 1 and 2 in the console: a row a client posted (POST /logs,
POST /security-events) is marked "reported by" its poster and looks unlike
the service's own; a reported failure locks nothing the console lists."""
from __future__ import annotations

import pytest

from tests.api.helpers import call

FORGED_GRANT = {"action": "admin.granted", "module": "admins",
                "log_metadata": {"object_type": "admin", "object_id": 1,
                                 "changes": {"admin_level": [None, "superadmin"]}}}


def _newest_grant(client, superadmin, source: str) -> int:
    rows = call(client, "GET", "/logs", superadmin,
                params={"action": "admin.granted", "source": source}).json["items"]
    return rows[0]["id"]


def test_a_forged_grant_is_shown_as_reported_beside_a_real_one(client, as_superadmin, alice,
                                                               bob, superadmin):
    assert call(client, "POST", "/logs", alice, FORGED_GRANT).status_int == 201
    assert call(client, "POST", "/admins", superadmin,
                {"user_id": bob.id, "admin_level": "moderator"}).status_int == 201
    forged = _newest_grant(client, superadmin, "client")
    real = _newest_grant(client, superadmin, "service")

    res = as_superadmin.get("/console/audit", params={"action": "admin.granted"})
    forged_li, real_li = res.html.select_one(f"#log-{forged}"), res.html.select_one(f"#log-{real}")
    assert "reported" in forged_li.get("class", [])
    assert "reported" not in real_li.get("class", [])
    head = forged_li.select_one(".entry-head").get_text(" ", strip=True)
    assert "reported by alice" in head and forged_li.select_one(".reported-badge")
    # Shown as sent, never as a change: no diff table, no object link.
    assert not forged_li.select("table.diff")
    assert "changes" in forged_li.select_one("dl.details").get_text(" ", strip=True)
    assert real_li.select("table.diff") and not real_li.select(".reported-badge")
    assert "by root" in real_li.select_one(".entry-head").get_text(" ", strip=True)


@pytest.mark.parametrize("source, reported", [("client", True), ("service", False)])
def test_the_audit_log_filters_by_source(client, as_superadmin, alice, bob, superadmin,
                                         source, reported):
    assert call(client, "POST", "/logs", alice, FORGED_GRANT).status_int == 201
    assert call(client, "POST", "/admins", superadmin,
                {"user_id": bob.id, "admin_level": "moderator"}).status_int == 201
    res = as_superadmin.get("/console/audit", params={"source": source})
    assert res.status_int == 200
    items = res.html.select("ol.timeline > li")
    assert items and {"reported" in li.get("class", []) for li in items} == {reported}


def test_reported_failures_are_marked_and_lock_nothing(client, as_superadmin, moderator,
                                                       superadmin):
    email = superadmin.user.email
    for n in range(20):
        res = call(client, "POST", "/security-events", moderator,
                   {"action": "login_failed", "account": email, "ip": f"198.51.100.{n + 1}"})
        assert res.status_int == 201
    res = as_superadmin.get("/console/security", params={"account": email,
                                                         "action": "login_failed"})
    assert "No account is locked out." in res.text
    rows = res.html.select("table.events tbody tr")
    assert len(rows) == 20
    for row in rows:
        assert "reported" in row.get("class", [])
        assert "reported by mod" in row.select_one("th").get_text(" ", strip=True)
    only_service = as_superadmin.get("/console/security",
                                     params={"account": email, "action": "login_failed",
                                             "source": "service"})
    assert not only_service.html.select("table.events tbody tr")


def test_a_users_page_marks_their_reported_rows(client, as_superadmin, alice, moderator):
    assert call(client, "POST", "/logs", alice, FORGED_GRANT).status_int == 201
    assert call(client, "POST", "/security-events", moderator,
                {"action": "login_failed", "user_id": alice.id}).status_int == 201
    res = as_superadmin.get(f"/console/users/{alice.id}")
    for section in ("audit", "security"):
        rows = res.html.select_one(f"h2#{section}").find_next("table").select("tbody tr")
        reported = [row for row in rows if "reported" in row.get("class", [])]
        assert len(reported) == 1, section
        assert reported[0].select_one(".reported-badge")
    audit_row = res.html.select_one("h2#audit").find_next("table").select_one("tr.reported")
    assert "admin 1" not in audit_row.get_text(" ", strip=True)  # not read as an object
