"""The migrations build exactly the schema the models describe, on both backends.

- drift: a migrated database and one built by ``create_tables(MODELS)`` are
  compared table by table (tests/schema.py), and the comparison is shown to
  catch each kind of drift;
- the CLI: ``pw_migrate migrate`` / ``rollback`` as a user types them, with
  ``DATABASE_URL`` or ``--database``;
- ``janus.migrate``'s check: the start-up check of the app and seed loader.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import subprocess
import sys
import uuid

import peewee as pw
import peewee_migrate.models
import pytest
from peewee_migrate import Router

import janus.models
from janus import migrate as janus_migrate
from janus.db import database, make_database
from janus.errors import NotMigrated
from janus.models import MODELS
from tests import schema
from tests.helpers import MIGRATIONS_DIR, PROJECT_ROOT, migrate

APP_TABLES = {model._meta.table_name for model in MODELS}
PW_MIGRATE = os.path.join(os.path.dirname(sys.executable), "pw_migrate")
JSON_COLUMNS = [(model._meta.table_name, field.column_name)
                for model in MODELS for field in model._meta.sorted_fields
                if isinstance(field, pw.JSONField)]
JSON_TYPES = {"sqlite": "text", "postgresql": "jsonb"}


@contextlib.contextmanager
def opened(url):
    db = make_database(url, pool_size=1)
    db.connect()
    try:
        yield db
    finally:
        db.close()
        db.close_all()


def introspect(url) -> dict[str, str]:
    with opened(url) as db:
        return schema.introspect(db)


def create_from_models(url, models) -> dict[str, str]:
    """Build ``models`` (in dependency order) in the database at ``url``."""
    with opened(url) as db, db.bind_ctx(models):
        for model in models:
            model.create_table()
        return schema.introspect(db)


def assert_same(expected, actual, labels):
    lines = schema.diff(expected, actual, labels)
    assert not lines, "\n".join(lines)


@pytest.fixture(scope="module")
def model_schema(db_factory):
    return create_from_models(db_factory.new_url(), MODELS)


@pytest.fixture(scope="module")
def migrated_schema(db_factory):
    url = db_factory.new_url()
    with opened(url) as db:
        migrate(db)
    return introspect(url)


# -- drift ------------------------------------------------------------------

def test_migrations_build_the_models_schema(migrated_schema, model_schema):
    # Guards against two empty introspections comparing equal.
    assert {key for key, kind in migrated_schema.items() if kind == "table"} == APP_TABLES
    assert any(kind == "check" for kind in migrated_schema.values())
    assert any(" foreign key " in key for key in migrated_schema)
    assert_same(migrated_schema, model_schema, ("migrations", "models"))


@pytest.mark.parametrize("table, column", JSON_COLUMNS)
def test_json_columns_have_the_portable_type(migrated_schema, backend, table, column):
    # pw_pext.JSONField would give "json" on PostgreSQL (DESIGN.md, trap 2).
    assert migrated_schema[f"{table}.{column}"].split(" ")[0] == JSON_TYPES[backend]


@pytest.fixture
def models_copy():
    """A private copy of janus.models: drifted subclasses never touch the real ones.

    Its JSONFields hook themselves onto the shared ``janus.db.database`` proxy;
    those hooks are detached again afterwards.
    """
    hooks = list(database._callbacks)
    name = f"_janus_models_copy_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, janus.models.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    database._callbacks[:] = hooks


# Each drift takes the copied models module and returns {model: replacement},
# a replacement of None leaving the table out.

def extra_column(m):
    class User(m.User):
        nickname = pw.CharField(max_length=32, null=True)

        class Meta:
            table_name = "users"
    return {m.User: User}


def nullability(m):
    class Image(m.Image):
        sha256 = pw.CharField(max_length=64)  # NOT NULL

        class Meta:
            table_name = "images"
    return {m.Image: Image}


def column_type(m):
    class Image(m.Image):
        width = pw.FloatField()  # BigIntegerField would be INTEGER again on SQLite

        class Meta:
            table_name = "images"
    return {m.Image: Image}


def varchar_length(m):
    class User(m.User):
        email = pw.CharField(max_length=200, unique=True)

        class Meta:
            table_name = "users"
    return {m.User: User}


def dropped_composite_index(m):
    class Log(m.Log):
        class Meta:
            table_name = "logs"
            indexes = ()
    return {m.Log: Log}


def dropped_column_index(m):
    class AuthToken(m.AuthToken):
        expires_at = pw.DateTimeField()

        class Meta:
            table_name = "auth_tokens"
    return {m.AuthToken: AuthToken}


def lost_unique(m):
    class User(m.User):
        username = pw.CharField(max_length=64, index=True)

        class Meta:
            table_name = "users"
    return {m.User: User}


def renamed_index(m):
    class Image(m.Image):
        class Meta:
            table_name = "images"
            indexes = (m.KEYSET_INDEX, (("owner", "created_at", "id"), False))
    Image.add_index(pw.ModelIndex(Image, (Image.owner, Image.sha256), unique=True,
                                  name="images_one_copy_per_owner"))
    return {m.Image: Image}


def on_delete(m):
    class Analytics(m.Analytics):
        image = pw.ForeignKeyField(m.Image, null=True, on_delete="SET NULL", backref="+")

        class Meta:
            table_name = "analytics"
    return {m.Analytics: Analytics}


def check_constraint(m):
    class User(m.User):
        role = pw.CharField(max_length=16, default="user",
                            constraints=[pw.Check("role IN ('user', 'admin', 'guest')")])

        class Meta:
            table_name = "users"
    return {m.User: User}


def missing_table(m):
    return {m.Analytics: None}


DRIFTS = [
    (extra_column, "users", "+ users.nickname: "),
    (nullability, "images", "+ images.sha256: "),
    (column_type, "images", "+ images.width: "),
    (varchar_length, "users", "+ users.email: "),
    (dropped_composite_index, "logs", "- logs index (user_id, timestamp, id): non-unique"),
    (dropped_column_index, "auth_tokens", "- auth_tokens index (expires_at): non-unique"),
    (lost_unique, "users", "+ users index (username): non-unique"),
    (renamed_index, "images", "name=images_one_copy_per_owner"),
    (on_delete, "analytics",
     "+ analytics foreign key (image_id): -> images(id) ON DELETE SET NULL"),
    (check_constraint, "users", "+ users CHECK ("),
    (missing_table, "analytics", "- analytics: table"),
]


@pytest.mark.parametrize("drift, table, expected",
                         [pytest.param(*case, id=case[0].__name__) for case in DRIFTS])
def test_drift_is_reported(db_factory, migrated_schema, models_copy, drift, table, expected):
    replaced = drift(models_copy)
    models = [replaced.get(model, model) for model in models_copy.MODELS]
    drifted = create_from_models(db_factory.new_url(), [x for x in models if x is not None])

    lines = schema.diff(migrated_schema, drifted, ("migrations", "drifted model"))

    report = "\n".join(lines)
    assert expected in report, report
    # Only the drifted table differs: the report pins the change down.
    assert lines and all(re.match(rf"[-+] {table}[. :]", line) for line in lines[1:]), report


def plain_integer_id(m):
    class Log(m.Log):
        id = pw.AutoField()  # SQLite: INTEGER PRIMARY KEY without AUTOINCREMENT

        class Meta:
            table_name = "logs"
    return {m.Log: Log}


def test_an_id_sqlite_could_reuse_is_drift(db_factory, migrated_schema, models_copy, backend):
    replaced = plain_integer_id(models_copy)
    models = [replaced.get(model, model) for model in models_copy.MODELS]
    drifted = create_from_models(db_factory.new_url(), models)

    lines = schema.diff(migrated_schema, drifted, ("migrations", "drifted model"))

    if backend == "sqlite":
        assert lines[1:] == ["- logs.id: integer NOT NULL PRIMARY KEY AUTOINCREMENT",
                             "+ logs.id: integer NOT NULL PRIMARY KEY"]
    else:  # a SERIAL either way: PostgreSQL sequences never reuse a value
        assert lines == []


# -- the CLI, as a user types it --------------------------------------------

def pw_migrate(*args, url=None, check=True):
    """Run pw_migrate from the project root with DATABASE_URL=url."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if url is not None:
        env["DATABASE_URL"] = url
    result = subprocess.run([PW_MIGRATE, *args], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, (
            f"pw_migrate {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def tables(url) -> set[str]:
    """The tables of ``url``, without SQLite's own ``sqlite_sequence`` (made by
    the first AUTOINCREMENT table; SQLite never lets it be dropped) and the
    text search's FTS5 tables (test_016_* checks those)."""
    with opened(url) as db:
        return {name for name in db.get_tables()
                if not name.startswith("sqlite_") and not schema.is_search_table(name)}


def applied(url) -> list[str]:
    with opened(url) as db:
        return janus_migrate.applied(db)


def test_cli_migrate_rollback_to_empty_and_migrate_again(db_factory, model_schema):
    url = db_factory.new_url()
    names = janus_migrate.migration_names()

    result = pw_migrate("migrate", url=url)
    assert [f"- [x] {name}" for name in names] == [
        line for line in result.stdout.splitlines() if line.startswith("- [x]")]
    assert tables(url) == APP_TABLES | {"migratehistory"}
    assert applied(url) == names

    # One step at a time, newest first, until nothing is applied.
    for left in range(len(names) - 1, -1, -1):
        pw_migrate("rollback", url=url)
        assert applied(url) == names[:left]
    assert tables(url) == {"migratehistory"}

    # Nothing left to roll back: the command fails and changes nothing.
    assert pw_migrate("rollback", url=url, check=False).returncode != 0
    assert tables(url) == {"migratehistory"}

    pw_migrate("migrate", url=url)
    assert applied(url) == names
    assert_same(model_schema, introspect(url), ("models", "re-migrated"))


def test_cli_database_option_wins_over_database_url(db_factory):
    env_url, cli_url = db_factory.new_url(), db_factory.new_url()

    pw_migrate("migrate", "--database", cli_url, url=env_url)

    assert applied(cli_url) == janus_migrate.migration_names()
    assert tables(cli_url) == APP_TABLES | {"migratehistory"}
    assert tables(env_url) == set()


# -- janus.migrate: the start-up check ---------------------------------

def test_status_constants_follow_peewee_migrate():
    assert janus_migrate.MIGRATE_TABLE == peewee_migrate.models.MIGRATE_TABLE
    assert janus_migrate.MIGRATION_FILE.pattern == Router.filemask.pattern
    assert janus_migrate.MIGRATIONS_DIR == MIGRATIONS_DIR
    router = Router(pw.SqliteDatabase(None), migrate_dir=MIGRATIONS_DIR)
    assert janus_migrate.migration_names() == router.todo


def test_migration_names_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = janus_migrate.migration_names()
    assert names[0] == "001_initial"
    assert names == sorted(names)


def test_status_before_and_after_migrating(db_factory):
    names = janus_migrate.migration_names()
    with opened(db_factory.new_url()) as db:
        db.close()  # the checks open and close their own connection

        assert janus_migrate.applied(db) == []
        assert janus_migrate.pending(db) == names
        with pytest.raises(NotMigrated) as caught:
            janus_migrate.require_migrated(db)
        error = caught.value
        assert (error.status, error.code) == (503, "not_migrated")
        assert error.message == (f"database is not migrated (pending: {', '.join(names)}); "
                                 "run: janus-migrate")
        assert "\n" not in error.message
        assert db.is_closed()
        db.connect()
        assert not db.table_exists(janus_migrate.MIGRATE_TABLE)  # a check, not a change

        migrate(db)
        assert janus_migrate.applied(db) == names
        assert janus_migrate.pending(db) == []
        assert janus_migrate.require_migrated(db) is None
        assert not db.is_closed()  # an open connection is left open

        # A migration shipped after the database was migrated shows as pending.
        db.execute_sql(f'DELETE FROM "migratehistory" WHERE name = {db.param}', (names[-1],))
        assert janus_migrate.pending(db) == [names[-1]]
        with pytest.raises(NotMigrated, match=f"pending: {names[-1]}\\)"):
            janus_migrate.require_migrated(db)


# -- 005: console sessions ----------------------------------------------------------

def test_005_adds_console_sessions_and_rolls_back(db_factory, backend):
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("004_autoincrement")
        db.execute_sql("INSERT INTO users (email, username, password_hash, role, is_active, "
                       "created_at, updated_at) VALUES ('a@example.com', 'a', 'x', 'user', "
                       "TRUE, '2024-01-01', '2024-01-01')")
        assert "console_sessions" not in db.get_tables()

        router.run()
        assert "console_sessions" in db.get_tables()
        (user_id,) = db.execute_sql("SELECT id FROM users").fetchone()
        db.execute_sql("INSERT INTO console_sessions (user_id, session_hash, created_at, "
                       f"expires_at) VALUES ({user_id}, '{'0' * 64}', '2024-01-01', "
                       "'2024-01-02')")
        # The session goes with its user (ON DELETE CASCADE).
        db.execute_sql("DELETE FROM users")
        assert db.execute_sql("SELECT count(*) FROM console_sessions").fetchone() == (0,)
        if backend == "sqlite":
            (create,) = db.execute_sql("SELECT sql FROM sqlite_master "
                                       "WHERE name = 'console_sessions'").fetchone()
            assert "AUTOINCREMENT" in create

        while router.done[-1] != "004_autoincrement":  # later migrations first
            router.rollback()
        assert "console_sessions" not in db.get_tables()
        assert {"users", "auth_tokens", "idempotency_keys"} <= set(db.get_tables())


# -- 008: password_rule and username_canonical ---------------------------------------

OLD_USERS = [  # (username, email) in id order; the last three look like "admin"
    ("admin", "admin@example.com"), ("bob", "bob@example.com"), ("Admin", "a2@example.com"),
    ("\u0430dmin", "a3@example.com"), ("\uff41\uff44\uff4d\uff49\uff4e", "a4@example.com")]


def _insert_old_users(db) -> list[int]:
    for name, email in OLD_USERS:
        db.execute_sql("INSERT INTO users (email, username, password_hash, role, is_active, "
                       f"created_at, updated_at) VALUES ({db.param}, {db.param}, 'x', 'user', "
                       "TRUE, '2024-01-01', '2024-01-01')", (email, name))
    return [row_id for (row_id,) in db.execute_sql("SELECT id FROM users ORDER BY id")]


def test_008_computes_the_forms_and_leaves_clashes_for_a_rename(db_factory, capsys):
    from janus.usernames import canonical
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("006_keyset_indexes")
        ids = _insert_old_users(db)

        router.run("008_password_rule_and_canonical_usernames")

        rows = db.execute_sql("SELECT id, username_canonical, password_rule FROM users "
                              "ORDER BY id").fetchall()
        # The oldest holds the form; later lookalikes keep NULL; nothing else is guessed.
        assert rows == [(ids[0], canonical("admin"), "unchecked"),
                        (ids[1], canonical("bob"), "unchecked"),
                        (ids[2], None, "unchecked"), (ids[3], None, "unchecked"),
                        (ids[4], None, "unchecked")]
        printed = capsys.readouterr().out.splitlines()
        assert [line for line in printed if line.startswith("008: ")] == [
            f"008: username {name!r} (user {row_id}) looks like 'admin' (user {ids[0]}): it "
            "cannot be used to log in until renamed (janus-admin username-clashes, janus-admin "
            "rename)" for (name, _), row_id in zip(OLD_USERS[2:], ids[2:], strict=True)]
        # The column is unique: a second row cannot take the form.
        with pytest.raises(pw.IntegrityError), db.atomic():
            db.execute_sql("UPDATE users SET username_canonical = "
                           f"{db.param} WHERE id = {db.param}", (canonical("admin"), ids[2]))

        router.rollback()
        columns = {column.name for column in db.get_columns("users")}
        assert not {"username_canonical", "password_rule"} & columns
        assert [name for (name,) in db.execute_sql(
            "SELECT username FROM users ORDER BY id")] == [name for name, _ in OLD_USERS]
        router.run()  # and forward again
        assert db.execute_sql("SELECT count(*) FROM users "
                              "WHERE username_canonical IS NULL").fetchone() == (3,)


def test_008_on_an_empty_database_prints_nothing(db_factory, capsys):
    with opened(db_factory.new_url()) as db:
        migrate(db)
    assert "008:" not in capsys.readouterr().out


# -- 009: logs.source, security.source and security.reported_by -----------------------

OLD_LOGS = [  # (action, module, metadata, the source 009 must give it)
    ("admin.granted", "admin", {"object_type": "admin", "object_id": 1,
                                "changes": {"admin_level": [None, "moderator"]}}, "service"),
    ("user.updated", "user", {"object_type": "user", "object_id": 2, "via": "cli"}, "service"),
    # Posted: a name the service never wrote, or a service name in another shape.
    ("export", "gallery", {"rows": 12}, "client"),
    ("admin.granted", "admins", {"object_type": "admin", "object_id": 1}, "client"),
    ("admin.granted", "admin", {"changes": {}}, "client"),
    ("user.deleted", "user", [], "client"),
]
OLD_EVENTS = [  # (action, metadata, the source and reported_by 009 must give it)
    ("login_failed", {"reason": "wrong_password"}, ("service", None)),
    ("lockout_cleared", {"by_user_id": 7}, ("service", None)),
    ("login_failed", {"rule": "geo", "reported_by": 7}, ("client", 7)),
    ("blocked_request", {"reported_by": "7"}, ("client", None)),  # not an id: NULL
    ("login_success", {"note": "reported_by in a value"}, ("service", None)),
]


def _insert_old_rows(db) -> None:
    import json
    p = db.param
    for action, module, metadata, _ in OLD_LOGS:
        db.execute_sql("INSERT INTO logs (action, module, level, timestamp, log_metadata) "
                       f"VALUES ({p}, {p}, 'info', '2024-01-01', {p})",
                       (action, module, json.dumps(metadata)))
    for action, metadata, _ in OLD_EVENTS:
        db.execute_sql("INSERT INTO security (action, account, timestamp, security_metadata) "
                       f"VALUES ({p}, 'a@example.com', '2024-01-01', {p})",
                       (action, json.dumps(metadata)))


def test_009_labels_existing_rows_as_far_as_the_data_tells(db_factory):
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("008_password_rule_and_canonical_usernames")
        _insert_old_rows(db)

        router.run("009_row_source")

        assert [source for (source,) in db.execute_sql(
            "SELECT source FROM logs ORDER BY id")] == [row[3] for row in OLD_LOGS]
        assert db.execute_sql("SELECT source, reported_by FROM security ORDER BY id"
                              ).fetchall() == [tuple(row[2]) for row in OLD_EVENTS]
        indexes = {tuple(index.columns) for index in db.get_indexes("security")}
        assert ("account", "source", "action", "timestamp") in indexes
        assert ("account", "action", "timestamp") not in indexes
        # A row without a source is the service's; only the two labels exist.
        db.execute_sql("INSERT INTO logs (action, module, level, timestamp, log_metadata) "
                       "VALUES ('a.b', 'a', 'info', '2024-01-01', '{}')")
        assert db.execute_sql("SELECT source FROM logs ORDER BY id DESC").fetchone() == (
            "service",)
        with pytest.raises(pw.IntegrityError), db.atomic():
            db.execute_sql("UPDATE logs SET source = 'gateway'")

        router.rollback()
        assert "source" not in {column.name for column in db.get_columns("logs")}
        assert not {"source", "reported_by"} & {c.name for c in db.get_columns("security")}
        router.run()  # and forward again
        assert db.execute_sql("SELECT count(*) FROM security WHERE source = 'client'"
                              ).fetchone() == (2,)


# -- 014: email verification -----------------------------------------------------------

def test_014_marks_every_existing_account_verified_and_rolls_back(db_factory):
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("013_outbox_and_password_resets")
        for name in ("ada", "bob"):
            db.execute_sql("INSERT INTO users (email, username, username_canonical, "
                           "password_hash, password_rule, role, is_active, created_at, "
                           f"updated_at) VALUES ('{name}@example.com', '{name}', '{name}', 'x', "
                           "'unchecked', 'user', TRUE, '2024-01-01', '2024-01-01')")
        ids = [row_id for (row_id,) in db.execute_sql("SELECT id FROM users ORDER BY id")]
        assert "email_verifications" not in db.get_tables()

        router.run("014_email_verification")
        # Verified when created: an account made before the feature counts as verified.
        assert [str(at)[:10] for (at,) in db.execute_sql(
            "SELECT email_verified_at FROM users ORDER BY id")] == ["2024-01-01"] * len(ids)
        db.execute_sql("INSERT INTO email_verifications (user_id, token_hash, email, "
                       f"previous_email, created_at, expires_at) VALUES ({ids[0]}, "
                       f"'{'0' * 64}', 'ada@example.com', 'ada@example.com', '2024-01-01', "
                       "'2024-01-02')")
        # A link goes with its user (ON DELETE CASCADE).
        db.execute_sql(f"DELETE FROM users WHERE id = {ids[0]}")
        assert db.execute_sql("SELECT count(*) FROM email_verifications").fetchone() == (0,)

        router.rollback()
        assert "email_verifications" not in db.get_tables()
        assert "email_verified_at" not in {c.name for c in db.get_columns("users")}
        router.run()  # and forward again
        assert db.execute_sql("SELECT count(*) FROM users WHERE email_verified_at IS NULL"
                              ).fetchone() == (0,)


# -- 015: sort indexes ---------------------------------------------------------------

def _index_columns(db, table: str) -> set[tuple[str, ...]]:
    return {tuple(index.columns) for index in db.get_indexes(table)}


def test_015_adds_the_sort_indexes_and_rolls_back(db_factory):
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("014_email_verification")
        assert ("action",) in _index_columns(db, "logs")
        assert ("user_id", "action", "id") not in _index_columns(db, "logs")

        router.run("015_sort_indexes")
        for table, wanted in [("users", {("email", "id"), ("username", "id")}),
                              ("admins", {("created_at", "id"), ("admin_level", "id")}),
                              ("images", {("owner_id", "width", "id"), ("file_size", "id")}),
                              ("logs", {("action", "id"), ("user_id", "module", "id")}),
                              ("security", {("user_id", "action", "id")}),
                              ("analytics", {("research_topic", "id")})]:
            assert wanted <= _index_columns(db, table), table
        # Each replaced index is a leading prefix of a new one.
        assert ("action",) not in _index_columns(db, "logs")
        assert ("research_topic",) not in _index_columns(db, "analytics")

        router.rollback()
        assert ("action",) in _index_columns(db, "logs")
        assert ("user_id", "action", "id") not in _index_columns(db, "logs")
        assert ("email", "id") not in _index_columns(db, "users")


# -- 017: API keys ------------------------------------------------------------------------

def test_017_adds_api_keys_and_rolls_back(db_factory, backend):
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("014_email_verification")
        db.execute_sql("INSERT INTO users (email, username, username_canonical, password_hash, "
                       "password_rule, role, is_active, created_at, updated_at) VALUES "
                       "('ada@example.com', 'ada', 'ada', 'x', 'unchecked', 'user', TRUE, "
                       "'2024-01-01', '2024-01-01')")
        (user_id,) = db.execute_sql("SELECT id FROM users").fetchone()
        assert "api_keys" not in db.get_tables()

        router.run("017_api_keys")
        insert = ("INSERT INTO api_keys (owner_id, name, prefix, key_hash, scopes, created_at) "
                  f"VALUES ({user_id}, 'ci', 'jns_abcdefgh', {db.param}, "
                  "'[\"images:read\"]', '2024-01-01')")
        db.execute_sql(insert, ("0" * 64,))
        # A hash names one key.
        with pytest.raises(pw.IntegrityError), db.atomic():
            db.execute_sql(insert, ("0" * 64,))
        indexes = {tuple(index.columns) for index in db.get_indexes("api_keys")}
        assert {("created_at", "id"), ("owner_id", "created_at", "id")} <= indexes
        if backend == "sqlite":
            (create,) = db.execute_sql("SELECT sql FROM sqlite_master "
                                       "WHERE name = 'api_keys'").fetchone()
            assert "AUTOINCREMENT" in create
        # The keys go with their owner (ON DELETE CASCADE).
        db.execute_sql("DELETE FROM users")
        assert db.execute_sql("SELECT count(*) FROM api_keys").fetchone() == (0,)

        router.rollback()
        assert "api_keys" not in db.get_tables()
        assert router.done[-1] == "016_text_search"
        router.run()  # and forward again
        assert "api_keys" in db.get_tables()


def test_018_adds_session_details_and_the_sessions_view_and_rolls_back(db_factory):
    url = db_factory.new_url()
    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("014_email_verification")
        db.execute_sql("INSERT INTO users (email, username, username_canonical, password_hash, "
                       "password_rule, role, is_active, created_at, updated_at) VALUES "
                       "('ada@example.com', 'ada', 'ada', 'x', 'unchecked', 'user', TRUE, "
                       "'2024-01-01', '2024-01-01')")
        (user_id,) = db.execute_sql("SELECT id FROM users").fetchone()
        for table, column in (("auth_tokens", "token_hash"), ("console_sessions", "session_hash")):
            db.execute_sql(f"INSERT INTO {table} (id, user_id, {column}, created_at, expires_at) "
                           f"VALUES (7, {user_id}, '{'0' * 64}', '2024-01-01', '2024-01-02')")

        router.run("018_session_details")
        # One id space: a token's id * 2, a console session's id * 2 - 1; nothing
        # was recorded of the sessions that existed before.
        assert [tuple(row) for row in db.execute_sql(
            "SELECT id, kind, row_id, user_id, last_used_at, last_used_ip, user_agent "
            "FROM sessions ORDER BY id")] == [
            (13, "console", 7, user_id, None, None, None),
            (14, "token", 7, user_id, None, None, None)]
        # Ids beyond half the 32-bit range still map (64-bit arithmetic).
        db.execute_sql(f"INSERT INTO auth_tokens (id, user_id, token_hash, created_at, "
                       f"expires_at) VALUES (2147483647, {user_id}, '{'1' * 64}', "
                       "'2024-01-01', '2024-01-02')")
        assert db.execute_sql("SELECT max(id) FROM sessions").fetchone() == (4294967294,)

        router.rollback()
        for table in ("auth_tokens", "console_sessions"):
            names = {c.name for c in db.get_columns(table)}
            assert not names & {"last_used_ip", "user_agent"}
        assert "last_used_at" not in {c.name for c in db.get_columns("console_sessions")}
        with pytest.raises(pw.DatabaseError), db.atomic():
            db.execute_sql("SELECT * FROM sessions")
        router.run()  # and forward again
        assert db.execute_sql("SELECT count(*) FROM sessions").fetchone() == (3,)


# -- 019: a bulk load's pause of the search triggers -----------------------------------------

def test_019_lets_a_transaction_pause_the_search_insert_trigger_and_rolls_back(db_factory,
                                                                                backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's trigram indexes need no trigger")
    url = db_factory.new_url()

    def indexed(db, text):
        return db.execute_sql("SELECT count(*) FROM logs_search WHERE logs_search MATCH ?",
                              (f'"{text}"',)).fetchone()[0]

    def log(db, action):
        db.execute_sql("INSERT INTO logs (action, module, level, log_metadata, timestamp) "
                       "VALUES (?, 'm', 'info', '{}', '2024-01-01')", (action,))

    with opened(url) as db:
        router = Router(db, migrate_dir=MIGRATIONS_DIR)
        router.run("019_search_pause")
        log(db, "written.alone")
        with db.atomic() as transaction:
            db.execute_sql("INSERT INTO search_paused (name) VALUES ('logs')")
            log(db, "written.paused")
            assert indexed(db, "written.paused") == 0  # the loader indexes it itself
            transaction.rollback()
        with db.atomic():
            db.execute_sql("INSERT INTO search_paused (name) VALUES ('users')")
            log(db, "another.table.paused")  # pausing users leaves logs' trigger alone
            db.execute_sql("DELETE FROM search_paused")
        assert (indexed(db, "written.alone"), indexed(db, "another.table.paused")) == (1, 1)

        router.rollback()
        assert "search_paused" not in db.get_tables()
        (sql,), = db.execute_sql("SELECT sql FROM sqlite_master "
                                 "WHERE name = 'logs_search_insert'").fetchall()
        assert "search_paused" not in sql
        log(db, "after.rollback")
        assert indexed(db, "after.rollback") == 1
        router.run()  # and forward again
        assert "search_paused" in db.get_tables()
