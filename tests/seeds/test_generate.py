"""``python -m janus.seeds --generate``: synthetic bulk rows, on both backends."""

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from janus.db import hamming_sql, sqlite_path
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.passwords import verify_password
from janus.seeds import generate, main
from janus.seeds.synthetic import GENERATED_PASSWORD, GENERATED_PASSWORD_HASH
from janus.seeds.writer import Writer
from tests.helpers import PROJECT_ROOT
from tests.seeds.helpers import assert_one_line_error, fresh_migrated_url

MODELS = {"users": User, "admins": Admin, "images": Image, "analytics": Analytics,
          "logs": Log, "security": SecurityEvent}


def counts() -> dict[str, int]:
    return {name: model.select().count() for name, model in MODELS.items()}


def run(capsys, url, spec, *extra):
    code = main(["--database", url, "--generate", spec, *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(generate, "BATCH_ROWS", 10)
    return 10


def test_adds_exactly_the_rows_asked(db, database_url, capsys, small_batches):
    spec = dict(users=34, admins=3, images=45, analytics=27, logs=123, security=61)
    code, out, err = run(capsys, database_url, ",".join(f"{k}={v}" for k, v in spec.items()))
    assert code == 0, err
    assert err == ""
    assert counts() == spec
    assert out.startswith("generated into ") and out.count("\n") == 1
    assert "users +34, admins +3, images +45, analytics +27, logs +123, security +61" in out


def test_subset_of_domains_in_any_order(db, database_url, capsys):
    assert run(capsys, database_url, "users=5")[0] == 0
    code, out, err = run(capsys, database_url, "security=7, logs=4")
    assert code == 0, err
    assert counts() == dict(users=5, admins=0, images=0, analytics=0, logs=4, security=7)
    assert "logs +4, security +7" in out  # reported in load order


def test_foreign_keys_are_valid(db, database_url, capsys, small_batches):
    code, _, err = run(capsys, database_url,
                       "users=25,admins=4,images=60,analytics=80,logs=150,security=120")
    assert code == 0, err
    user_ids = {u for (u,) in User.select(User.id).tuples()}
    image_ids = {i for (i,) in Image.select(Image.id).tuples()}
    assert {o for (o,) in Image.select(Image.owner).tuples()} <= user_ids
    for model in (Log, SecurityEvent, Analytics):
        assert {u for (u,) in model.select(model.user).tuples()} - {None} <= user_ids
    assert {i for (i,) in Analytics.select(Analytics.image).tuples()} - {None} <= image_ids
    assert Analytics.select().where(Analytics.image.is_null(False)).count() > 0
    # Admin rows and User.role stay in step, as janus.repos.admins keeps them.
    admin_users = {u for (u,) in Admin.select(Admin.user).tuples()}
    assert len(admin_users) == 4 and admin_users <= user_ids
    assert {u for (u,) in User.select(User.id).where(User.role == "admin").tuples()} \
        == admin_users
    assert Admin.select().where(Admin.admin_level == "superadmin").count() >= 1
    # Known accounts are the user's email; unknown ones have no user.
    emails = dict(User.select(User.id, User.email).tuples())
    for uid, account in SecurityEvent.select(SecurityEvent.user, SecurityEvent.account).tuples():
        if uid is not None:
            assert account == emails[uid]


def test_images_are_metadata_only_with_phashes(db, database_url, capsys):
    code, _, err = run(capsys, database_url, "users=10,images=600")
    assert code == 0, err
    rows = list(Image.select().tuples())
    assert Image.select().where(Image.storage_key.is_null(False)).count() == 0
    assert Image.select().where(Image.phash.is_null()).count() == 0
    phashes = [p for (p,) in Image.select(Image.phash).tuples()]
    assert all(-(1 << 63) <= p < (1 << 63) for p in phashes)
    assert any(p < 0 for p in phashes)  # the upper half of 64 bits is stored as negative
    # Planted near-duplicates (~2%): pairs within 6 bits of each other.
    near = sum(1 for a, b in itertools.combinations(phashes, 2) if hamming_sql(a, b) <= 6)
    assert near >= 2, near
    image = Image.select().first()
    assert image.format in ("JPEG", "PNG", "WEBP", "GIF", "TIFF")
    assert image.width > 0 and image.height > 0 and image.file_size > 0
    assert isinstance(image.image_metadata, dict) and "exif" in image.image_metadata
    assert len({(o, s) for o, s in Image.select(Image.owner, Image.sha256).tuples()}) == len(rows)


def test_users_have_unique_emails_and_one_shared_hash(db, database_url, capsys):
    code, _, err = run(capsys, database_url, "users=400")
    assert code == 0, err
    emails = [e for (e,) in User.select(User.email).tuples()]
    names = [n for (n,) in User.select(User.username).tuples()]
    assert len(set(emails)) == len(emails) == 400
    assert len(set(names)) == len(names) == 400
    # Booleans and NULLs survive the bulk path (COPY's CSV on PostgreSQL).
    assert 0 < User.select().where(User.is_active == False).count() < 40  # noqa: E712
    assert 0 < User.select().where(User.last_login_at.is_null()).count() < 100
    assert all(e == e.lower() and "@" in e for e in emails)
    assert {h for (h,) in User.select(User.password_hash).tuples()} == {GENERATED_PASSWORD_HASH}
    assert verify_password(GENERATED_PASSWORD_HASH, GENERATED_PASSWORD)


def test_running_twice_adds_more(db, database_url, capsys, small_batches):
    spec = "users=30,admins=2,images=20,analytics=10,logs=25,security=15"
    for _ in range(2):
        code, _, err = run(capsys, database_url, spec)
        assert code == 0, err
    assert counts() == dict(users=60, admins=4, images=40, analytics=20, logs=50, security=30)
    assert User.select(User.email).distinct().count() == 60


def test_generates_on_top_of_the_demo_seeds(db, database_url, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("JANUS_STORAGE_DIR", str(tmp_path / "storage"))
    assert main(["--database", database_url]) == 0
    before = counts()
    code, _, err = run(capsys, database_url, "users=20,admins=2,logs=30")
    assert code == 0, err
    after = counts()
    assert after["users"] == before["users"] + 20 and after["logs"] == before["logs"] + 30
    # Generated accounts count as verified, as seeded ones do.
    assert not User.select().where(User.email_verified_at.is_null()).exists()
    assert after["admins"] == before["admins"] + 2


def test_timestamps_spread_over_90_days_with_ties(db, database_url, capsys):
    code, _, err = run(capsys, database_url, "users=5,logs=3000")
    assert code == 0, err
    stamps = [t for (t,) in Log.select(Log.timestamp).order_by(Log.id).tuples()]
    assert stamps == sorted(stamps)  # ids and times grow together within a run
    span = stamps[-1] - stamps[0]
    assert 80 <= span.days <= 90
    assert 10 < len(stamps) - len(set(stamps)) < 300  # ~3% ties for the id tie-breaker
    assert len({t.date() for t in stamps}) > 80


# -- refusals: one line on stderr, exit 1, nothing written -------------------
@pytest.mark.parametrize("spec, needle", [
    ("", "empty spec"),
    ("logs", "expected DOMAIN=COUNT"),
    ("=5", "expected DOMAIN=COUNT"),
    ("tokens=5", "unknown domain 'tokens'"),
    ("logs=many", "non-negative integer, got 'many'"),
    ("logs=-3", "non-negative integer, got '-3'"),
    ("logs=1.5", "non-negative integer"),
    ("logs=1e6", "non-negative integer"),
    ("users=1,users=2", "given twice"),
])
def test_bad_spec_is_one_line(db, database_url, capsys, spec, needle):
    code, out, err = run(capsys, database_url, spec)
    assert_one_line_error(code, out, err, needle)
    assert sum(counts().values()) == 0


def test_other_options_are_refused(db, database_url, capsys):
    code, out, err = run(capsys, database_url, "users=1", "--only", "users")
    assert_one_line_error(code, out, err, "cannot be combined with --only")


def test_unmigrated_database_is_refused(db_factory, capsys):
    url = db_factory.new_url()  # SQLite: no file yet; PostgreSQL: an empty database
    code, out, err = run(capsys, url, "users=5")
    assert_one_line_error(code, out, err, "janus-migrate")


def test_missing_users_is_refused(db, database_url, capsys):
    code, out, err = run(capsys, database_url, "logs=10,images=3")
    assert_one_line_error(code, out, err, "users table is empty", "users=N")
    assert sum(counts().values()) == 0


def test_too_many_admins_is_refused(db, database_url, capsys):
    assert run(capsys, database_url, "users=3")[0] == 0
    code, out, err = run(capsys, database_url, "admins=5,users=1")
    assert_one_line_error(code, out, err, "admins=5", "only 4")
    assert counts()["users"] == 3


# -- interrupts: whole batches stay, exit 130, no traceback -----------------
def _assert_interrupted(code, out, err, committed):
    assert code == 130
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "interrupted" in err and committed in err, err


def test_keyboard_interrupt_after_n_batches(db, database_url, capsys, monkeypatch,
                                            small_batches):
    assert run(capsys, database_url, "users=5")[0] == 0

    def after_batch(domain, added):
        if added.get("logs") == 3 * small_batches:
            raise KeyboardInterrupt
    monkeypatch.setattr(generate, "_after_batch", after_batch)
    code, out, err = run(capsys, database_url, "logs=1000,security=50")
    _assert_interrupted(code, out, err, "logs +30, security +0")
    assert counts()["logs"] == 30 and counts()["security"] == 0


def test_interrupt_inside_a_batch_rolls_that_batch_back(db, database_url, capsys, monkeypatch,
                                                        small_batches):
    write, calls = Writer.write, []

    def interrupted_write(self, rows):
        calls.append(len(rows))
        write(self, rows)  # the rows are in the transaction ...
        if len(calls) == 4:
            raise KeyboardInterrupt  # ... which is rolled back
    monkeypatch.setattr(Writer, "write", interrupted_write)
    code, out, err = run(capsys, database_url, "users=100")
    _assert_interrupted(code, out, err, "users +30")
    assert counts()["users"] == 30


def test_sigint_stops_after_the_current_batch(db, database_url, capsys, monkeypatch,
                                              small_batches):
    def after_batch(domain, added):
        if added[domain] == 2 * small_batches:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
    monkeypatch.setattr(generate, "_after_batch", after_batch)
    code, out, err = run(capsys, database_url, "users=15,logs=100")
    _assert_interrupted(code, out, err, "users +15, logs +20")
    assert counts()["logs"] == 20
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_ctrl_c_in_a_real_process(db_factory):
    url = fresh_migrated_url(db_factory)
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    assert subprocess.run([sys.executable, "-m", "janus.seeds", "--database", url,
                           "--generate", "users=50"], env=env, capture_output=True,
                          cwd=PROJECT_ROOT).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "janus.seeds", "--database", url,
                             "--generate", "logs=50000000"], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    from janus.db import make_database
    reader = make_database(url, pool_size=1)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            (n,), = reader.execute_sql("SELECT COUNT(*) FROM logs").fetchall()
            if n > 0:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        (n,), = reader.execute_sql("SELECT COUNT(*) FROM logs").fetchall()
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.close_all()
    assert proc.returncode == 130, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert n > 0 and n % generate.BATCH_ROWS == 0
    assert f"logs +{n} (whole batches only)" in err


def test_database_error_midway_is_one_line(db, database_url, capsys, monkeypatch,
                                           small_batches):
    import peewee as pw
    write, calls = Writer.write, []

    def failing_write(self, rows):
        calls.append(1)
        if len(calls) == 3:
            raise pw.IntegrityError("UNIQUE constraint failed: users.email")
        write(self, rows)
    monkeypatch.setattr(Writer, "write", failing_write)
    code, out, err = run(capsys, database_url, "users=50")
    assert_one_line_error(code, out, err, "UNIQUE constraint failed",
                          "committed before it: users +20")
    assert counts()["users"] == 20


SEARCHED = {"users": "users", "images": "images", "logs": "logs", "analytics": "analytics",
            "security": "security"}  # domain -> table with an FTS5 index on SQLite


def _search_state() -> dict:
    """SQLite: each searched table's insert trigger (its SQL), after an FTS5
    integrity check of its index against the table (raises if they differ)."""
    from janus.db import database
    found = {}
    for table in SEARCHED.values():
        fts = f"{table}_search"
        database.execute_sql(f"INSERT INTO \"{fts}\" (\"{fts}\") VALUES ('integrity-check')")
        found[table] = database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (f"{fts}_insert",)).fetchall()
    return found


def _searchable(text: str = "") -> tuple[int, int]:
    """How many logs the FTS5 index finds for ``text`` (default: the first
    log's action) and how many a plain LIKE finds."""
    from janus.db import database
    text = text or Log.select().order_by(Log.id).first().action
    (fts,), = database.execute_sql("SELECT COUNT(*) FROM logs_search WHERE logs_search "
                                   "MATCH ?", (f'"{text}"',)).fetchall()
    (like,), = database.execute_sql("SELECT COUNT(*) FROM logs WHERE action LIKE ? OR "
                                    "module LIKE ?", (f"%{text}%",) * 2).fetchall()
    return fts, like


def test_generated_rows_are_indexed_for_search_and_the_triggers_stay(
        db, database_url, capsys, small_batches):
    """SQLite: a batch indexes its rows in one statement with the insert
    trigger away (janus.seeds.writer); after it the index holds every row
    and the trigger is back as it was, indexing the next write."""
    from janus.db import is_postgres
    from janus.repos.logs import logs
    if is_postgres():
        pytest.skip("SQLite only: PostgreSQL's trigram indexes need no trigger")
    before = _search_state()
    assert all(before.values())
    # A connection open before the load (a running service's) sees no schema
    # change, and deletes as before (SQLite 3.40 failed a stale one's DELETE).
    service = sqlite3.connect(sqlite_path(database_url))
    service.execute("PRAGMA foreign_keys = ON")
    (version,), = service.execute("PRAGMA schema_version").fetchall()
    spec = "users=25,images=25,analytics=25,logs=95,security=25"
    assert run(capsys, database_url, spec)[0] == 0
    assert _search_state() == before
    assert service.execute("PRAGMA schema_version").fetchall() == [(version,)]
    with service:
        service.execute("DELETE FROM logs WHERE id = -1")
    service.close()
    found, like = _searchable()
    assert counts()["logs"] == 95 and found == like > 0
    logs.record("a.trigger.wrote.this", "m")
    assert _searchable("trigger.wrote") == (1, 1)


def test_an_interrupted_batch_leaves_the_search_index_and_trigger(
        db, database_url, capsys, monkeypatch, small_batches):
    """The batch's trigger drop, rows and index fill roll back together."""
    from janus.db import is_postgres
    if is_postgres():
        pytest.skip("SQLite only: PostgreSQL's trigram indexes need no trigger")
    assert run(capsys, database_url, "users=5")[0] == 0
    before = _search_state()
    write, calls = Writer.write, []

    def interrupted_write(self, rows):
        calls.append(len(rows))
        write(self, rows)  # trigger dropped, rows in, index filled, trigger back ...
        if len(calls) == 3:
            raise KeyboardInterrupt  # ... and all of it rolled back
    monkeypatch.setattr(Writer, "write", interrupted_write)
    code, out, err = run(capsys, database_url, "logs=100")
    _assert_interrupted(code, out, err, "logs +20")
    assert counts()["logs"] == 20 and _search_state() == before
    found, like = _searchable()
    assert found == like > 0
