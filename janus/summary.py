"""Analytics summaries: every figure is one SQL aggregation (GROUP BY / COUNT)
that runs on SQLite and PostgreSQL alike; no rows are loaded into Python.

``summarise(days, user=None)`` covers everything; with a ``user`` it covers
only that user's own rows (images they own, their logs, analytics and
security events).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import peewee as pw

from janus.db import is_postgres
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


def _counts(model, when_field, owner_field, since, user) -> dict:
    rows = _scoped(model.select(), owner_field, user)
    return {"total": rows.count(), "in_window": rows.where(when_field >= since).count()}


def _grouped(query, key, count_alias="count") -> list[dict]:
    return [{key: k, count_alias: n} for k, n in query.tuples()]


def _per_day(model, when_field, owner_field, since, user, *conditions) -> list[dict]:
    bucket = day(when_field)
    query = (model.select(bucket.alias("day"), pw.fn.COUNT(model.id))
             .where(when_field >= since, *conditions)
             .group_by(bucket).order_by(bucket))
    query = _scoped(query, owner_field, user)
    return [{"day": _day_text(d), "count": n} for d, n in query.tuples()]


def summarise(days: int, user: User | None = None) -> dict:
    since = utcnow() - timedelta(days=days)
    counts = {
        "users": _counts(User, User.created_at, User.id, since, user),
        "images": _counts(Image, Image.created_at, Image.owner, since, user),
        "logs": _counts(Log, Log.timestamp, Log.user, since, user),
        "analytics": _counts(Analytics, Analytics.created_at, Analytics.user, since, user),
        "security": _counts(SecurityEvent, SecurityEvent.timestamp, SecurityEvent.user,
                            since, user),
    }
    if user is None:  # a user's own scope has no admins table to count
        counts["admins"] = _counts(Admin, Admin.created_at, Admin.user, since, None)

    # Like every figure below, formats and colour types cover the window.
    images = _scoped(Image.select().where(Image.created_at >= since), Image.owner, user)
    by_format = _grouped(images.select(Image.format, pw.fn.COUNT(Image.id))
                         .group_by(Image.format).order_by(pw.fn.COUNT(Image.id).desc(),
                                                           Image.format), "format")
    by_color = _grouped(images.select(Image.color_type, pw.fn.COUNT(Image.id))
                        .group_by(Image.color_type).order_by(pw.fn.COUNT(Image.id).desc(),
                                                              Image.color_type), "color_type")
    n = pw.fn.COUNT(Log.id)
    top_actions = _grouped(
        _scoped(Log.select(Log.action, n).where(Log.timestamp >= since), Log.user, user)
        .group_by(Log.action).order_by(n.desc(), Log.action).limit(TOP_ACTIONS), "action")
    uploads = (Image.select(Image.owner, User.username, pw.fn.COUNT(Image.id))
               .join(User, on=(Image.owner == User.id))
               .where(Image.created_at >= since)
               .group_by(Image.owner, User.username)
               .order_by(pw.fn.COUNT(Image.id).desc(), Image.owner))
    uploads = _scoped(uploads, Image.owner, user)
    return {
        "days": days,
        "since": since,
        "scope": "all" if user is None else "own",
        "counts": counts,
        "images_by_format": by_format,
        "images_by_color_type": by_color,
        "actions_per_day": _per_day(Log, Log.timestamp, Log.user, since, user),
        "top_actions": top_actions,
        "failed_logins_per_day": _per_day(SecurityEvent, SecurityEvent.timestamp,
                                          SecurityEvent.user, since, user,
                                          SecurityEvent.action == "login_failed"),
        "uploads_per_user": [{"user_id": uid, "username": name, "count": c}
                             for uid, name, c in uploads.tuples()],
    }
