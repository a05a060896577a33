"""Analytics summaries in four SQL aggregations, on SQLite and PostgreSQL alike:

1. every table's total and in-window count, as scalar sub-queries of one SELECT;
2. images in the window grouped by (format, colour type, owner);
3. logs in the window grouped by (day, action);
4. failed logins in the window grouped by day.

3 and 4 count the service's own rows (``source = service``): what a client
posted to POST /logs or POST /security-events is stored and listed, and
counts for nothing. The totals of 1 count every stored row.

The grouped rows (at most one per combination that occurs) are folded into
the figures here; no table row is loaded into Python.

``summarise(days, user=None)`` covers everything; with a ``user`` it covers
only that user's own rows (images they own, their logs, analytics and
security events).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import peewee as pw

from janus.db import database, is_postgres
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User, utcnow

TOP_ACTIONS = 10


def day(field: pw.Field):
    """The UTC calendar day of a timestamp column, portably."""
    if is_postgres():
        return pw.Cast(field, "DATE")
    # SQLite: 'YYYY-MM-DD' text. coerce(False): peewee would otherwise parse
    # it back with the column's datetime converter.
    return pw.fn.DATE(field).coerce(False)


def _day_text(value) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)


def _scoped(query, field, user):
    return query if user is None else query.where(field == user.id)


def _counts(since: datetime, user: User | None) -> dict:
    """Total and in-window rows of every table, in one statement."""
    tables = {
        "users": (User, User.created_at, User.id),
        "images": (Image, Image.created_at, Image.owner),
        "logs": (Log, Log.timestamp, Log.user),
        "analytics": (Analytics, Analytics.created_at, Analytics.user),
        "security": (SecurityEvent, SecurityEvent.timestamp, SecurityEvent.user),
    }
    if user is None:  # a user's own scope has no admins table to count
        tables["admins"] = (Admin, Admin.created_at, Admin.user)
    columns = []
    for name, (model, when, owner) in tables.items():
        rows = _scoped(model.select(pw.fn.COUNT(model.id)), owner, user)
        columns += [rows.alias(f"{name}_total"),
                    rows.where(when >= since).alias(f"{name}_in_window")]
    values = database.execute(pw.Select(columns=columns)).fetchone()
    return {name: {"total": values[2 * n], "in_window": values[2 * n + 1]}
            for n, name in enumerate(tables)}


def _ranked(counter: Counter, key: str, limit: int | None = None) -> list[dict]:
    """Most first, ties by name (as ORDER BY count DESC, name would)."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [{key: name, "count": n} for name, n in ranked[:limit]]


def _images(since: datetime, user: User | None) -> dict:
    n = pw.fn.COUNT(Image.id)
    query = (Image.select(Image.format, Image.color_type, Image.owner, User.username, n)
             .join(User, on=(Image.owner == User.id))
             .where(Image.created_at >= since)
             .group_by(Image.format, Image.color_type, Image.owner, User.username))
    formats, colours, uploads, names = Counter(), Counter(), Counter(), {}
    for fmt, colour, owner, username, count in _scoped(query, Image.owner, user).tuples():
        formats[fmt] += count
        colours[colour] += count
        uploads[owner] += count
        names[owner] = username
    per_user = sorted(uploads.items(), key=lambda item: (-item[1], item[0]))
    return {"images_by_format": _ranked(formats, "format"),
            "images_by_color_type": _ranked(colours, "color_type"),
            "uploads_per_user": [{"user_id": uid, "username": names[uid], "count": c}
                                 for uid, c in per_user]}


def _logs(since: datetime, user: User | None) -> dict:
    bucket = day(Log.timestamp)
    query = (Log.select(bucket, Log.action, pw.fn.COUNT(Log.id))
             .where((Log.timestamp >= since) & (Log.source == "service"))
             .group_by(bucket, Log.action))
    per_day, actions = Counter(), Counter()
    for when, action, count in _scoped(query, Log.user, user).tuples():
        per_day[_day_text(when)] += count
        actions[action] += count
    return {"actions_per_day": [{"day": d, "count": c} for d, c in sorted(per_day.items())],
            "top_actions": _ranked(actions, "action", TOP_ACTIONS)}


def _failed_logins(since: datetime, user: User | None) -> list[dict]:
    bucket = day(SecurityEvent.timestamp)
    query = (SecurityEvent.select(bucket, pw.fn.COUNT(SecurityEvent.id))
             .where((SecurityEvent.timestamp >= since) & (SecurityEvent.source == "service")
                    & (SecurityEvent.action == "login_failed"))
             .group_by(bucket).order_by(bucket))
    return [{"day": _day_text(d), "count": n}
            for d, n in _scoped(query, SecurityEvent.user, user).tuples()]


def summarise(days: int, user: User | None = None) -> dict:
    since = utcnow() - timedelta(days=days)
    return {
        "days": days,
        "since": since,
        "scope": "all" if user is None else "own",
        "counts": _counts(since, user),
        **_images(since, user),
        **_logs(since, user),
        "failed_logins_per_day": _failed_logins(since, user),
    }
