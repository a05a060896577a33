"""Temporary databases for the bench: created, migrated, filled, dropped.

SQLite lives in the bench's temp directory; PostgreSQL gets a database of its
own (``janus_bench_<random>``) on the server named by JANUS_BENCH_POSTGRES_URL
(default: postgres@127.0.0.1:5432), dropped at the end even after an error.
Users and tokens are made through Janus's own code (with cheap argon2: this is
setup, not what is measured); bulk rows are inserted directly. bench/similarity.py
reuses these helpers for its own, larger databases.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
from peewee_migrate import Router

from janus import passwords
from janus.db import init_database
from janus.models import Analytics, Image, Log
from janus.repos.users import users
from janus.services.auth import issue_token

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("JANUS_BENCH_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
_quiet = logging.getLogger("bench.migrations")
_quiet.setLevel(logging.WARNING)


class Unavailable(RuntimeError):
    """The backend cannot be reached; that half of the bench is skipped."""


@dataclasses.dataclass
class Dataset:
    url: str
    tokens: list[str]  # one bearer token per bench user
    user_ids: list[int]  # the bench users, in the order of tokens
    image_ids: list[list[int]]  # per user, ids of images that user owns
    counts: dict


@contextlib.contextmanager
def sqlite_url(tmp_dir: Path, name: str = "janus-bench.db"):
    path = tmp_dir / name
    try:
        yield f"sqlite:///{path}"
    finally:  # the temp dir goes at the end anyway; this frees the space sooner
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)


def _pg_admin():
    try:
        conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["?"])[0]
        raise Unavailable(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {first}") from None
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def postgres_url():
    name = f"janus_bench_{uuid.uuid4().hex[:10]}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        conn = _pg_admin()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def postgres_version() -> str | None:
    try:
        conn = _pg_admin()
    except Unavailable:
        return None
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    conn.close()
    return version


def random_phashes(count: int, seed: int) -> list[int]:
    """Random 64-bit hashes as signed BIGINTs, as janus.imaging.phash_to_int gives."""
    rng = random.Random(seed)
    return [signed(rng.getrandbits(64)) for _ in range(count)]


def signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def image_rows(owner_ids: list[int], count: int, start: datetime,
               phashes: list[int] | None = None):
    """Image records owned in turn by ``owner_ids`` (row n by owner n % len)."""
    for n in range(count):
        owner = owner_ids[n % len(owner_ids)]
        when = start + timedelta(seconds=n)
        yield {"owner": owner, "filename": f"img_{n:05d}.png", "format": "PNG",
               "width": 640 + n % 1000, "height": 480 + n % 700, "color_type": "RGB",
               "bit_depth": 8, "compression_method": "deflate", "file_size": 10_000 + n,
               "sha256": hashlib.sha256(str(n).encode()).hexdigest(), "storage_key": None,
               "image_metadata": {"dpi": [72, 72], "exif": {"Make": "Bench", "n": n}},
               "phash": phashes[n] if phashes else None,
               "created_at": when, "updated_at": when}


def _log_rows(owner_ids: list[int], count: int, start: datetime):
    for n in range(count):
        yield {"user": owner_ids[n % len(owner_ids)], "action": "image.created",
               "module": "image", "level": "info", "timestamp": start + timedelta(seconds=n),
               "log_metadata": {"object_type": "image", "object_id": n + 1}}


def insert(db, model, rows, batch: int = 200) -> None:
    rows = list(rows)
    with db.atomic():
        for i in range(0, len(rows), batch):
            model.insert_many(rows[i:i + batch]).execute()


def migrate(url: str):
    """Point Janus at the empty database ``url``, migrate it and return it."""
    db = init_database(url)
    Router(db, migrate_dir=PROJECT_ROOT / "migrations", logger=_quiet).run()
    return db


def register_users(n: int) -> list:
    passwords.configure(time_cost=1, memory_cost_kib=8)  # setup only
    return [users.register(f"bench{i}@example.com", f"bench{i}", "bench-password-1")
            for i in range(n)]


def prepare(url: str, n_users: int = 4, n_images: int = 2000, n_logs: int = 2000) -> Dataset:
    """Migrate the empty database at ``url`` and fill it; return what the load needs.
    Images get random perceptual hashes (for GET /images/<id>/similar)."""
    db = migrate(url)
    db.connect(reuse_if_open=True)
    try:
        people = register_users(n_users)
        tokens = [issue_token(user, 24 * 3600).plain for user in people]
        owner_ids = [user.id for user in people]
        start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
        insert(db, Image, image_rows(owner_ids, n_images, start, random_phashes(n_images, 1)))
        insert(db, Log, _log_rows(owner_ids, n_logs, start))
        insert(db, Analytics, ({"research_topic": "seed", "data": {"n": n}, "user": owner_ids[0],
                                 "created_at": start, "updated_at": start} for n in range(200)))
        image_ids = [[row.id for row in Image.select(Image.id).where(Image.owner == uid)
                      .order_by(Image.id.desc()).limit(64)] for uid in owner_ids]
    finally:
        db.close()
        db.close_all()
    counts = {"users": n_users, "images": n_images, "logs": n_logs, "analytics": 200}
    return Dataset(url, tokens, owner_ids, image_ids, counts)
