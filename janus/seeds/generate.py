"""``python -m janus.seeds --generate logs=1000000,users=1000,...``: bulk synthetic rows.

Adds the asked number of rows per domain (users, admins, images, analytics,
logs, security; any subset, counts are rows to ADD) to an already migrated
database, in the order of ``DOMAINS``. Rows come from ``janus.seeds.synthetic``
and refer to users and images already in the database (including the ones
this run just added). Users get unique emails and usernames numbered above
every existing ``users.id`` and ONE shared argon2 hash, of the password
``janus-generated``; images are metadata-only records (``storage_key`` NULL)
with random perceptual hashes and ~2% planted near-duplicates.

Writing: each batch is one ``executemany`` of a prepared INSERT on the
DB-API cursor (sqlite3), or one ``COPY ... FROM STDIN`` in CSV (PostgreSQL:
psycopg2's ``executemany`` is a round trip per row; COPY was ~1.3-2x faster
than a multi-row INSERT by ``execute_values`` here), committed in its own
transaction (janus.seeds.writer). ``python -m bench.generate`` compares the
rate with a raw ``executemany`` of the same rows.

Ctrl-C stops after the batch in progress is committed (a second Ctrl-C
abandons it: it is rolled back), prints the rows added per domain and exits
with status 130. Bad specs and databases give one line on stderr and status 1.
"""
from __future__ import annotations

import contextlib
import dataclasses
import random
import signal
import sys
import threading
import time
from array import array

import peewee as pw

import janus.seeds.synthetic as synthetic
from janus.config import Config, ConfigError
from janus.db import is_postgres, shown_url
from janus.errors import first_line
from janus.models import utcnow
from janus.seeds.connection import connected, fail
from janus.seeds.schema import DOMAINS, SeedError
from janus.seeds.writer import Writer

# Rows per batch (one statement, one transaction). Measured with
# ``python -m bench.generate --batches``: beyond a few thousand rows the rate
# stays flat on both backends, while Ctrl-C waits for the batch in progress.
BATCH_ROWS = 5000
# At most this many users' emails are held in memory for security events.
MAX_ACCOUNTS = 50_000
# SQLite page cache of the generating connection (KiB; the default is 2 MiB):
# with 1,000,000 logs the indexes outgrow 2 MiB and every insert pays page I/O.
SQLITE_CACHE_KIB = 256 * 1024
USAGE = "DOMAIN=COUNT[,DOMAIN=COUNT...]"
TABLES = {"users": "users", "admins": "admins", "images": "images",
          "analytics": "analytics", "logs": "logs", "security": "security"}


def _after_batch(domain: str, added: dict[str, int]) -> None:
    """Called after every committed batch; tests replace it (interrupts)."""


def parse_spec(text: str) -> dict[str, int]:
    """``"logs=1000,users=10"`` -> {"users": 10, "logs": 1000} in DOMAINS order."""
    spec: dict[str, int] = {}
    items = [item.strip() for item in (text or "").split(",")]
    if not any(items):
        raise SeedError(f"--generate: expected {USAGE}, got an empty spec")
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name:
            raise SeedError(f"--generate: expected {USAGE}, got {item!r}")
        if name not in DOMAINS:
            raise SeedError(f"--generate: unknown domain {name!r}: choose from "
                            f"{', '.join(DOMAINS)}")
        if name in spec:
            raise SeedError(f"--generate: domain {name!r} given twice")
        try:
            count = int(raw)
        except ValueError:
            count = None
        if count is None or count < 0 or not raw.replace("_", "").isdigit():
            raise SeedError(f"--generate: the count for {name} must be a non-negative "
                            f"integer, got {raw!r}")
        spec[name] = count
    return {name: spec[name] for name in DOMAINS if name in spec}


@dataclasses.dataclass
class Result:
    url: str
    added: dict[str, int]
    seconds: float
    interrupted: bool = False

    def counts(self) -> str:
        return ", ".join(f"{domain} +{n}" for domain, n in self.added.items())


class _StopFlag:
    """SIGINT while generating: the first asks to stop after the current
    batch, a second one interrupts at once (the batch is rolled back)."""

    def __init__(self):
        self.requested = False

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def _ids(db, sql: str, *columns) -> list[array]:
    out = [array("q") for _ in columns]
    cursor = db.execute_sql(sql)
    while chunk := cursor.fetchmany(20000):
        for values, row in zip(out, zip(*chunk, strict=True), strict=True):
            values.extend(v if v is not None else 0 for v in row)
    return out


class Generator:
    def __init__(self, db: pw.Database, spec: dict[str, int], rng: random.Random,
                 batch: int, progress: bool):
        self.db, self.spec, self.rng, self.batch, self.progress = db, spec, rng, batch, progress
        self.now = utcnow()
        self.added = {domain: 0 for domain in spec}

    # -- checks before the first write ----------------------------------------
    def check(self) -> None:
        db = self.db
        (users,), = db.execute_sql("SELECT COUNT(*) FROM users").fetchall()
        wanted_users = self.spec.get("users", 0)
        needs_users = [d for d, n in self.spec.items() if d != "users" and n > 0]
        if needs_users and users + wanted_users == 0:
            raise SeedError(f"--generate: the users table is empty and {', '.join(needs_users)} "
                            "need users: add users=N to the spec, e.g. users=1000,"
                            + ",".join(f"{d}={self.spec[d]}" for d in needs_users))
        if self.spec.get("admins"):
            (free,), = db.execute_sql(
                "SELECT COUNT(*) FROM users u WHERE NOT EXISTS "
                "(SELECT 1 FROM admins a WHERE a.user_id = u.id)").fetchall()
            if free + wanted_users < self.spec["admins"]:
                raise SeedError(f"--generate: admins={self.spec['admins']} needs as many users "
                                f"without an admin row, and there will be only "
                                f"{free + wanted_users}: ask for more users")

    # -- sources of rows -------------------------------------------------------
    def _user_picker(self) -> synthetic.Picker:
        (ids,) = _ids(self.db, "SELECT id FROM users", "id")
        return synthetic.Picker(self.rng, ids)

    def batches(self, domain: str, count: int):
        rng, now, batch, db = self.rng, self.now, self.batch, self.db
        if domain == "users":
            (top,), = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM users").fetchall()
            return synthetic.users(rng, now, count, top + 1, batch)
        if domain == "admins":
            order = "random()"
            chosen = [uid for (uid,) in db.execute_sql(
                "SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM admins a "
                f"WHERE a.user_id = u.id) ORDER BY {order} LIMIT {int(count)}").fetchall()]
            granted = db.execute_sql("SELECT user_id FROM admins WHERE admin_level = "
                                     "'superadmin' ORDER BY id LIMIT 1").fetchall()
            return synthetic.admins(rng, now, chosen, granted[0][0] if granted else None, batch)
        if domain == "images":
            return synthetic.images(rng, now, self._user_picker(), count, batch)
        if domain == "analytics":
            ids, owners = _ids(db, "SELECT id, owner_id FROM images", "id", "owner_id")
            return synthetic.analytics(rng, now, self._user_picker(), ids, owners, count, batch)
        if domain == "logs":
            (top,), = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM images").fetchall()
            return synthetic.logs(rng, now, self._user_picker(), top or 1000, count, batch)
        (total,), = db.execute_sql("SELECT COUNT(*) FROM users").fetchall()
        sample = "" if total <= MAX_ACCOUNTS else f" ORDER BY random() LIMIT {MAX_ACCOUNTS}"
        accounts = db.execute_sql(f"SELECT id, email FROM users{sample}").fetchall()
        return synthetic.security(rng, now, accounts, count, batch)

    # -- writing ---------------------------------------------------------------
    def _write(self, writer: Writer, domain: str, rows: list[tuple]) -> None:
        with self.db.atomic():
            writer.write(rows)
            if domain == "admins":  # role follows the admins table (janus.repos.admins)
                ids = ", ".join(str(int(row[0])) for row in rows)
                self.db.execute_sql(f"UPDATE users SET role = 'admin' WHERE id IN ({ids})")

    def run(self, stop: _StopFlag) -> bool:
        """Write every domain; False when stopped early (Ctrl-C)."""
        from tqdm import tqdm
        for domain, count in self.spec.items():
            if stop.requested:
                return False
            if count == 0:
                continue
            writer = Writer(self.db, TABLES[domain], synthetic.COLUMNS[domain])
            with tqdm(total=count, desc=f"{domain:<9}", unit=" rows", unit_scale=True,
                      disable=None if self.progress else True, file=sys.stderr,
                      mininterval=0.25, smoothing=0.1) as bar:
                for rows in self.batches(domain, count):
                    self._write(writer, domain, rows)
                    self.added[domain] += len(rows)
                    bar.update(len(rows))
                    _after_batch(domain, dict(self.added))
                    if stop.requested:
                        return False
        return True


def generate(url: str, spec: dict[str, int], *, batch: int | None = None,
             seed: int | None = None, progress: bool = False) -> Result:
    """Add ``spec``'s rows to the migrated database at ``url``. Raises SeedError;
    an interrupt (SIGINT or KeyboardInterrupt) returns what was committed."""
    began = time.perf_counter()
    stop = _StopFlag()
    with connected(url) as db:
        gen = Generator(db, spec, random.Random(seed), batch or BATCH_ROWS, progress)
        interrupted = False
        try:
            gen.check()
            if not is_postgres(db):  # index pages of a large table stay in memory
                db.execute_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            with stop.installed():
                interrupted = not gen.run(stop)
        except KeyboardInterrupt:  # the batch in progress was rolled back
            interrupted = True
        except pw.DatabaseError as exc:
            done = Result(url, gen.added, 0.0)
            kept = f"; committed before it: {done.counts()}" if any(gen.added.values()) else ""
            raise SeedError(f"database error on {shown_url(url)}: {first_line(exc)}{kept}") \
                from None
    return Result(shown_url(url), gen.added, time.perf_counter() - began, interrupted)


def main(spec_text: str, database: str | None, extra_options: list[str] = ()) -> int:
    """The --generate branch of ``python -m janus.seeds``; returns the exit status."""
    try:
        if extra_options:
            raise SeedError(f"--generate cannot be combined with {', '.join(extra_options)}")
        spec = parse_spec(spec_text)
        url = database or Config.from_env().database_url
        result = generate(url, spec, progress=True)
    except SeedError as exc:
        fail(str(exc))
        return 1
    except ConfigError as exc:
        fail(f"janus.seeds: {exc}")
        return 1
    except KeyboardInterrupt:  # before the first batch (connecting, checking)
        print("janus.seeds: interrupted; nothing generated", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        fail(f"janus.seeds: unexpected {type(exc).__name__}: {first_line(exc)}")
        return 1
    total = sum(result.added.values())
    rate = total / result.seconds if result.seconds else 0.0
    if result.interrupted:
        print(f"janus.seeds: interrupted; committed to {result.url}: {result.counts()} "
              f"(whole batches only)", file=sys.stderr)
        return 130
    print(f"generated into {result.url}: {result.counts()} in {result.seconds:.1f} s "
          f"({rate:,.0f} rows/s)")
    return 0
