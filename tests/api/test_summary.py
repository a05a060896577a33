"""GET /analytics/summary: every figure compared with the same figure counted
here in plain Python over the rows this test wrote (not the app's SQL), on
both backends, for admins (all data) and plain users (their own rows)."""
from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User, utcnow
from tests.api.helpers import assert_error, call, error_paths
from tests.helpers import image_fields

WINDOWS = (1, 7, 30, 366)
OLDEST = 45  # days; everything is within the 366-day window
FORMATS = [("PNG", "RGBA"), ("PNG", "P"), ("PNG", "L"), ("JPEG", "RGB"), ("JPEG", "L"),
           ("GIF", "P"), ("WEBP", "RGB"), ("TIFF", "I;16")]
ACTIONS = [f"demo.action{n:02d}" for n in range(14)]  # more than the 10 top actions
SECURITY_ACTIONS = ["login_failed", "login_failed", "login_succeeded", "logout"]


def safe_age(rng: random.Random) -> timedelta:
    """A random age up to OLDEST days, at least an hour away from every window
    boundary, so the few seconds the request takes cannot move a row across."""
    while True:
        days = rng.uniform(0.05, OLDEST)
        if all(abs(days - w) > 0.05 for w in WINDOWS):
            return timedelta(days=days)


@pytest.fixture
def world(db, make_actor):
    """Actors plus images, logs, analytics and security events of known shape;
    returns plain Python lists of what was written."""
    actors = {"root": make_actor("superadmin", name="root"),
              "mod": make_actor("moderator", name="mod"),
              "alice": make_actor(name="alice"), "bob": make_actor(name="bob"),
              "carol": make_actor(name="carol")}  # carol owns nothing
    # Only the rows written below exist (registration may have logged events).
    Log.delete().execute()
    SecurityEvent.delete().execute()
    assert Image.select().count() == Analytics.select().count() == 0

    rng, now = random.Random(4), utcnow()
    users = []
    for name, actor in actors.items():
        created = now - safe_age(rng)
        User.update(created_at=created).where(User.id == actor.id).execute()
        users.append({"id": actor.id, "username": name, "created_at": created})
    admins = []
    for admin in Admin.select():
        created = now - safe_age(rng)
        Admin.update(created_at=created).where(Admin.id == admin.id).execute()
        admins.append({"id": admin.id, "created_at": created})

    owners = [actors[n].id for n in ("alice", "alice", "alice", "bob", "bob", "root", "mod")]
    images = []
    for _ in range(40):
        fmt, mode = rng.choice(FORMATS)
        row = Image.create(**image_fields(rng.choice(owners), format=fmt, color_type=mode))
        created = now - safe_age(rng)
        Image.update(created_at=created).where(Image.id == row.id).execute()
        images.append({"id": row.id, "owner": row.owner_id, "format": fmt, "color_type": mode,
                       "created_at": created})

    log_users = owners + [None, None]  # system rows with no user
    weights = [rng.randint(1, 9) for _ in ACTIONS]
    logs = []
    for _ in range(160):
        action = rng.choices(ACTIONS, weights)[0]
        row = Log.create(action=action, module="demo", user=rng.choice(log_users),
                         timestamp=now - safe_age(rng))
        logs.append({"user": row.user_id, "action": action, "at": row.timestamp})

    events = []
    for _ in range(60):
        action = rng.choice(SECURITY_ACTIONS)
        user = rng.choice(log_users)
        row = SecurityEvent.create(action=action, user=user, account="someone",
                                   timestamp=now - safe_age(rng))
        events.append({"user": row.user_id, "action": action, "at": row.timestamp})

    analytics = []
    for _ in range(20):
        user = rng.choice(log_users)
        row = Analytics.create(research_topic="colour", data={"n": 1}, user=user,
                               image=rng.choice(images)["id"])
        created = now - safe_age(rng)
        Analytics.update(created_at=created).where(Analytics.id == row.id).execute()
        analytics.append({"user": row.user_id, "created_at": created})

    return {"actors": actors, "users": users, "admins": admins, "images": images, "logs": logs,
            "events": events, "analytics": analytics}


# -- the figures, counted here ------------------------------------------------------
def by_count(counter: Counter) -> list[tuple]:
    """(key, count), most first, ties by key: the order every ranking uses."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def ranked(counter: Counter, key: str) -> list[dict]:
    return [{key: k, "count": n} for k, n in by_count(counter)]


def per_day(times) -> list[dict]:
    days = Counter(t.date().isoformat() for t in times)
    return [{"day": d, "count": n} for d, n in sorted(days.items())]


def window(rows, field, since) -> dict:
    return {"total": len(rows), "in_window": sum(r[field] >= since for r in rows)}


def expected(world: dict, since: datetime, me: int | None) -> dict:
    """The summary as counted in Python; ``me`` None for everything."""
    def own(rows, field):
        return rows if me is None else [r for r in rows if r[field] == me]

    images = own(world["images"], "owner")
    logs = own(world["logs"], "user")
    events = own(world["events"], "user")
    analytics = own(world["analytics"], "user")
    users = own(world["users"], "id")
    counts = {"users": window(users, "created_at", since),
              "images": window(images, "created_at", since),
              "logs": window(logs, "at", since),
              "analytics": window(analytics, "created_at", since),
              "security": window(events, "at", since)}
    if me is None:
        counts["admins"] = window(world["admins"], "created_at", since)
    recent_logs = [r for r in logs if r["at"] >= since]
    recent_images = [r for r in images if r["created_at"] >= since]
    names = {u["id"]: u["username"] for u in world["users"]}
    uploads = Counter(r["owner"] for r in recent_images)
    return {
        "scope": "all" if me is None else "own",
        "counts": counts,
        "images_by_format": ranked(Counter(r["format"] for r in recent_images), "format"),
        "images_by_color_type": ranked(Counter(r["color_type"] for r in recent_images),
                                       "color_type"),
        "actions_per_day": per_day(r["at"] for r in recent_logs),
        "top_actions": ranked(Counter(r["action"] for r in recent_logs), "action")[:10],
        "failed_logins_per_day": per_day(r["at"] for r in events
                                         if r["action"] == "login_failed" and r["at"] >= since),
        "uploads_per_user": [{"user_id": uid, "username": names[uid], "count": n}
                             for uid, n in by_count(uploads)],
    }


def summary(client, actor, days: int):
    """(response, since as the request saw it, naive UTC)."""
    before = utcnow()
    res = call(client, "GET", "/analytics/summary", actor, params={"days": days})
    after = utcnow()
    assert res.status_int == 200, res.text
    since = datetime.fromisoformat(res.json["since"].replace("Z", "+00:00"))
    since = since.astimezone(UTC).replace(tzinfo=None)
    assert before - timedelta(days=days) <= since <= after - timedelta(days=days)
    return res, since


# -- the tests ----------------------------------------------------------------------
@pytest.mark.parametrize("days", WINDOWS)
@pytest.mark.parametrize("name, everything", [("root", True), ("mod", True), ("alice", False),
                                              ("bob", False), ("carol", False)])
def test_summary_matches_figures_counted_in_python(client, world, name, everything, days):
    actor = world["actors"][name]
    res, since = summary(client, actor, days)
    body = res.json
    assert body["days"] == days
    want = expected(world, since, None if everything else actor.id)
    assert {key: body[key] for key in want} == want


def test_the_data_has_the_shape_the_comparison_needs(world):
    """Guards the fixture: without rows on both sides of each window, ties and
    more than ten actions, the comparison above could pass vacuously."""
    now = utcnow()
    for days in WINDOWS[:-1]:
        since = now - timedelta(days=days)
        for rows, field in ((world["images"], "created_at"), (world["logs"], "at"),
                            (world["events"], "at")):
            inside = sum(r[field] >= since for r in rows)
            assert 0 < inside < len(rows), (days, field)
    month = now - timedelta(days=30)
    recent = Counter(r["action"] for r in world["logs"] if r["at"] >= month)
    assert len(recent) > 10  # the top-10 cut matters
    assert len(recent.values()) > len(set(recent.values()))  # and so does the tie-break
    alice = world["actors"]["alice"].id
    formats = Counter(r["format"] for r in world["images"] if r["owner"] == alice)
    assert len(formats) > 1 and max(formats.values()) > 1
    assert {r["action"] for r in world["events"] if r["user"] == alice} >= {"login_failed"}
    assert any(r["user"] is None for r in world["logs"])  # rows a user's scope must skip


def test_plain_users_see_only_their_own_rows(client, world):
    alice = world["actors"]["alice"]
    mine, _ = summary(client, alice, 30)
    everything, _ = summary(client, world["actors"]["root"], 30)
    assert mine.json["scope"] == "own" and everything.json["scope"] == "all"
    assert "admins" not in mine.json["counts"] and "admins" in everything.json["counts"]
    assert mine.json["counts"]["users"]["total"] == 1
    assert {u["user_id"] for u in mine.json["uploads_per_user"]} == {alice.id}
    assert len(everything.json["uploads_per_user"]) > 1
    for key in ("images", "logs", "security", "analytics"):
        assert mine.json["counts"][key]["total"] < everything.json["counts"][key]["total"], key


def test_a_user_with_no_rows_gets_zeroes_and_empty_lists(client, world):
    res, _ = summary(client, world["actors"]["carol"], 366)
    body = res.json
    assert body["counts"]["images"] == body["counts"]["logs"] == {"total": 0, "in_window": 0}
    for key in ("images_by_format", "images_by_color_type", "actions_per_day", "top_actions",
                "failed_logins_per_day", "uploads_per_user"):
        assert body[key] == [], key


def test_default_window_is_30_days(client, world):
    res = call(client, "GET", "/analytics/summary", world["actors"]["root"])
    assert res.status_int == 200, res.text
    assert res.json["days"] == 30
    explicit, _ = summary(client, world["actors"]["root"], 30)
    assert res.json["counts"] == explicit.json["counts"]


def test_summary_writes_nothing(client, world):
    counts = [m.select().count() for m in (Log, SecurityEvent, Image, Analytics)]
    summary(client, world["actors"]["alice"], 7)
    assert [m.select().count() for m in (Log, SecurityEvent, Image, Analytics)] == counts


@pytest.mark.parametrize("days", ["0", "367", "-1", "seven", "7.5", ""])
def test_days_out_of_range_is_422(client, alice, days):
    res = call(client, "GET", "/analytics/summary", alice, params={"days": days})
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == ["$.days"]


def test_summary_needs_authentication(client, db):
    assert_error(call(client, "GET", "/analytics/summary"), 401, "unauthorized")
