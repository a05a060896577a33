"""``janus-migrate`` (janus.migrate): migrations from any directory, on both
backends, with one-line failures; and what happens after ``pw_migrate`` run
outside the repository root applied nothing: every consumer refuses the
database in one line naming ``janus-migrate``."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import webtest
from click.testing import CliRunner

from janus import migrate as janus_migrate
from janus.config import Config
from janus.db import database
from janus.migrate import MIGRATE_TABLE, migration_names
from janus.models import MODELS
from janus.web.app import create_app
from tests.helpers import PROJECT_ROOT
from tests.test_migrations import applied, opened, tables

BIN = Path(sys.executable).parent
NAMES = migration_names()
APP_TABLES = {model._meta.table_name for model in MODELS}
UNREACHABLE = "postgresql://postgres@127.0.0.1:9/janus"


def run(args, cwd, **env) -> subprocess.CompletedProcess:
    """A command as an operator types it, in ``cwd``, DATABASE_URL only if given."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(env)
    return subprocess.run([str(a) for a in args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=120)


def assert_one_line_failure(result, *fragments) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


ENTRIES = {
    "console script, --database": lambda url: ([BIN / "janus-migrate", "--database", url], {}),
    "python -m, DATABASE_URL": lambda url: ([sys.executable, "-m", "janus.migrate"],
                                            {"DATABASE_URL": url}),
}


@pytest.mark.parametrize("entry", ENTRIES)
def test_migrates_a_fresh_database_from_outside_the_repository(db_factory, tmp_path, entry):
    url = db_factory.new_url()
    args, env = ENTRIES[entry](url)

    first = run(args, tmp_path, **env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [f"applied {name}" for name in NAMES] + [
        f"{url}: up to date ({len(NAMES)} migration(s) applied)"]
    assert applied(url) == NAMES
    assert tables(url) == APP_TABLES | {MIGRATE_TABLE}
    assert list(tmp_path.iterdir()) == []  # no ./migrations made in the cwd

    again = run(args, tmp_path, **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{url}: already up to date ({len(NAMES)} migrations)"
    assert applied(url) == NAMES


@pytest.mark.parametrize(("url", "fragments"), [
    ("postgress://janus@127.0.0.1/janus", ["unsupported DATABASE_URL scheme 'postgress'"]),
    ("sqlite:///:memory:", ["SQLite needs a file path"]),
    (UNREACHABLE, [f"cannot connect to {UNREACHABLE}: ", "Connection refused"]),
    ("postgresql://postgres@127.0.0.1:5432/janus_no_such_db",
     ["cannot connect to ", 'database "janus_no_such_db" does not exist']),
], ids=["scheme", "sqlite-memory", "unreachable", "no-such-database"])
def test_a_mistyped_url_is_one_line_and_exit_1(tmp_path, url, fragments):
    result = run([BIN / "janus-migrate"], tmp_path, DATABASE_URL=url)
    line = assert_one_line_failure(result, *fragments)
    assert line.startswith("janus-migrate: ")
    assert result.stdout == ""
    assert not (tmp_path / "migrations").exists()


def test_a_bad_setting_is_one_line(tmp_path):
    result = run([BIN / "janus-migrate"], tmp_path, JANUS_DB_POOL_SIZE="many")
    assert_one_line_failure(result, "janus-migrate: JANUS_DB_POOL_SIZE must be an integer")


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(janus_migrate.cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_failing_migration_names_itself_in_one_line(db_factory):
    url = db_factory.new_url()
    with opened(url) as db:
        db.execute_sql("CREATE TABLE users (id INTEGER)")  # in the migrations' way

    code, out, err = invoke("--database", url)

    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    failed = next(name for name in NAMES
                  if err.startswith(f"janus-migrate: migration {name} failed on {url}: "))
    # The ones before it were applied (and said so); it was rolled back.
    before = NAMES[:NAMES.index(failed)]
    assert out.splitlines() == [f"applied {name}" for name in before]
    assert applied(url) == before


def test_list_shows_applied_pending_and_unknown_and_changes_nothing(db_factory, tmp_path):
    missing = tmp_path / "missing" / "janus.db"
    code, out, _ = invoke("--list", "--database", f"sqlite:///{missing}")
    assert (code, out.splitlines()[-1]) == (0, f"{len(NAMES)} pending")
    assert [line for line in out.splitlines() if line.startswith("- [ ] ")] == [
        f"- [ ] {name}" for name in NAMES]
    assert not missing.parent.exists()  # not created by looking

    url = db_factory.new_url()
    janus_migrate.apply_pending(url)
    with opened(url) as db:
        db.execute_sql(f'INSERT INTO "{MIGRATE_TABLE}" (name, migrated_at) '
                       f"VALUES ('999_from_newer_code', CURRENT_TIMESTAMP)")
    code, out, _ = invoke("--list", "--database", url)
    assert code == 0
    assert out.splitlines() == [f"{url}:", *[f"- [x] {name}" for name in NAMES],
                                "- [?] 999_from_newer_code (recorded in the database, "
                                "not shipped with this code)", "up to date"]


# -- pw_migrate outside the repository root ------------------------------------

@pytest.fixture
def left_unmigrated(db_factory, tmp_path):
    """A database pw_migrate "migrated" from a directory that is not the
    repository root: it made an empty ./migrations, applied nothing, said OK."""
    url = db_factory.new_url()
    result = run([BIN / "pw_migrate", "migrate", "--database", url], tmp_path)
    # pw_migrate's own behaviour, which Janus cannot change (conf.py is not read).
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr
    assert (tmp_path / "migrations").is_dir()
    assert applied(url) == []
    return url


def refusal(url: str, tmp_path: Path, consumer: str) -> str:
    """The message ``consumer`` answers the unmigrated ``url`` with."""
    if consumer == "http":
        env = {"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(tmp_path / "storage"),
               "JANUS_LOG_LEVEL": "WARNING"}
        res = webtest.TestApp(create_app(Config.from_env(env=env))).get("/health", status="*")
        assert (res.status_int, res.json["error"]["code"]) == (503, "not_migrated")
        return res.json["error"]["message"]
    args = {"janus-admin": [BIN / "janus-admin", "list-admins"],
            "janus.seeds": [sys.executable, "-m", "janus.seeds"]}[consumer]
    return assert_one_line_failure(run(args, tmp_path, DATABASE_URL=url))


@pytest.fixture
def proxy_restored():
    """The app re-points the shared database proxy; point it back after."""
    original = database.obj
    yield
    if database.obj is not original:
        if hasattr(database.obj, "close_all"):
            database.obj.close_all()
        database.initialize(original)


@pytest.mark.parametrize("consumer", ["janus-admin", "janus.seeds", "http"])
def test_after_pw_migrate_elsewhere_every_consumer_names_janus_migrate(
        left_unmigrated, tmp_path, consumer, proxy_restored):
    message = refusal(left_unmigrated, tmp_path, consumer)
    # The operator's commands name the pending migrations; HTTP clients only learn of one.
    pending = "a migration is pending" if consumer == "http" else f"pending: {', '.join(NAMES)}"
    assert f"database is not migrated ({pending}); run: janus-migrate" in message

    result = run([BIN / "janus-migrate", "--database", left_unmigrated], tmp_path)

    assert result.returncode == 0, result.stderr
    assert applied(left_unmigrated) == NAMES
    if consumer == "janus-admin":
        assert run([BIN / "janus-admin", "list-admins"], tmp_path,
                   DATABASE_URL=left_unmigrated).stdout.strip() == "no admins"


def test_make_migrate_runs_janus_migrate_then_the_bootstrap(db_factory, tmp_path):
    url = db_factory.new_url()

    result = run(["make", "--no-print-directory", "-C", PROJECT_ROOT, "migrate"], tmp_path,
                 DATABASE_URL=url, JANUS_FIRST_SUPERADMIN_EMAIL="",
                 JANUS_FIRST_SUPERADMIN_PASSWORD="")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{url}: up to date ({len(NAMES)} migration(s) applied)" in result.stdout
    assert "bootstrap: JANUS_FIRST_SUPERADMIN_EMAIL is not set; nothing to do" in result.stdout
    assert applied(url) == NAMES
