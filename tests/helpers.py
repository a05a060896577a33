"""Helpers shared by the tests at every level (tests/api/helpers.py has the
HTTP ones, tests/images.py the image builders, tests/schema.py the schema
introspection of the migration tests).

Cheap row builders and a keyset-pagination walker for the repository tests:
users get ``password_hash="x"``: hashing with argon2 costs ~50 ms and most
tests never log in.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

from peewee_migrate import Router

from janus.models import Admin, User
from janus.repos.analytics import analytics
from janus.repos.images import images
from janus.repos.users import users

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def migrate(db) -> None:
    Router(db, migrate_dir=MIGRATIONS_DIR).run()


def stored_files(root) -> list:
    """Every file under ``root`` (originals, thumbnails, temp files), sorted."""
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


_seq = itertools.count(1)

# A fixed moment, so tests build exact orderings without sleeping.
T0 = datetime(2024, 3, 1, 12, 0, 0)


def make_user(name: str | None = None, **fields) -> User:
    """A user row; its (fake) password counts as one that met the admin rule,
    so tests about levels may grant them (tests/test_password_policy.py and
    the grant-refusal tests set ``password_rule`` themselves)."""
    name = name or f"user{next(_seq)}"
    fields.setdefault("password_hash", "x")
    fields.setdefault("password_rule", "admin")
    return users.create(email=f"{name}@example.com", username=name, **fields)


def image_fields(owner, **fields) -> dict:
    n = next(_seq)
    base = dict(owner=owner, filename=f"img{n}.png", format="PNG", width=640, height=480,
                color_type="RGB", bit_depth=8, file_size=1000 + n)
    base.update(fields)
    return base


def make_image(owner, **fields):
    return images.create(**image_fields(owner, **fields))


def make_analytics(topic="colour", data=None, **fields):
    return analytics.create(research_topic=topic, data={"n": 1} if data is None else data,
                            **fields)


def set_time(row, when: datetime):
    """Move a row's ordering timestamp (created_at or timestamp) in the database."""
    model = type(row)
    field = getattr(model, model.ordering_field)
    model.update({field: when}).where(model.id == row.id).execute()
    return row


# Offsets (seconds from T0) with ties and with and without microseconds: on
# SQLite the times compare as text, where "12:00:00" and "12:00:00.500000"
# must still sort as times.
TIE_OFFSETS = [0, 0, 0.5, 1, 1, 1, -1, 2.25]


def spread(rows, offsets=TIE_OFFSETS):
    """Give ``rows`` the timestamps T0 + offsets; return the ids newest first
    (ties broken by the higher id), the order every list must follow."""
    assert len(rows) == len(offsets)
    keyed = []
    for row, offset in zip(rows, offsets, strict=True):
        when = T0 + timedelta(seconds=offset)
        set_time(row, when)
        keyed.append((when, row.id))
    return [row_id for _when, row_id in sorted(keyed, reverse=True)]


def walk(repo, query=None, limit=3) -> tuple[list[int], int]:
    """Follow next_cursor to the end; return the ids seen and the page count."""
    ids, cursor, pages = [], None, 0
    while True:
        page = repo.page(query, limit=limit, cursor=cursor)
        pages += 1
        assert len(page.items) <= limit
        ids.extend(row.id for row in page.items)
        if page.next_cursor is None:
            return ids, pages
        assert page.items, "a page with a next cursor must not be empty"
        cursor = page.next_cursor
        assert pages < 1000, "pagination does not terminate"


def set_admin_level(user, level: str) -> Admin:
    """Test set-up only: make ``user`` an admin at ``level`` without the audit
    rows a real grant (janus.services.admins.grant) writes."""
    row = Admin.create(user=user.id, admin_level=level)
    User.update(role="admin").where(User.id == user.id).execute()
    return row
