"""Ids are never reused: a deleted row's id never names another row, on
either backend (PostgreSQL sequences; SQLite AUTOINCREMENT, models.IdField),
and migrations/004_autoincrement converts an existing SQLite database
without losing a row or breaking a foreign key, and rolls back."""
from __future__ import annotations

import contextlib

import pytest
from peewee_migrate import Router

from janus.db import make_database
from janus.models import (
    MODELS,
    Admin,
    AnalysisResult,
    Analytics,
    ApiKey,
    AuthToken,
    ConsoleSession,
    EmailVerification,
    IdempotencyKey,
    Image,
    Log,
    OutboxMail,
    PasswordReset,
    SecurityEvent,
    User,
)
from tests.helpers import MIGRATIONS_DIR, make_image, make_user

LATER = "2099-01-01 00:00:00"
# The tables 004 converts: those of migrations 001-003 (console_sessions came in
# 005, analysis_results in 010, outbox and password_resets in 013,
# email_verifications in 014, api_keys in 017).
MODELS_AT_004 = tuple(model for model in MODELS if model not in (
    ConsoleSession, AnalysisResult, OutboxMail, PasswordReset, EmailVerification, ApiKey))


def build(model, owner, image):
    """One row of ``model``; ``owner`` and ``image`` are parents to point at."""
    if model is User:
        return make_user()
    if model is Admin:
        return Admin.create(user=make_user(), granted_by=owner)
    if model is AuthToken:
        return AuthToken.create(user=owner, token_hash=make_user().username.ljust(64, "0"),
                                expires_at=LATER)
    if model is Image:
        return make_image(owner)
    if model is Log:
        return Log.create(user=owner, action="x.y", module="test")
    if model is Analytics:
        return Analytics.create(research_topic="t", data={"n": 1}, image=image, user=owner)
    if model is SecurityEvent:
        return SecurityEvent.create(user=owner, action="login_failed")
    if model is IdempotencyKey:
        return IdempotencyKey.create(scope="user:1", key=make_user().username, fingerprint="f",
                                     status=201, response_body="{}", expires_at=LATER)
    if model is ConsoleSession:
        return ConsoleSession.create(user=owner, expires_at=LATER,
                                     session_hash=make_user().username.ljust(64, "0"))
    if model is AnalysisResult:
        return AnalysisResult.create(sha256=make_user().username.ljust(64, "0"), k=3, version=1,
                                     data={"n": 1})
    if model is OutboxMail:
        return OutboxMail.create(kind="test", recipient="a@example.com", subject="s", body="b",
                                 message_id=f"<{make_user().username}@test>")
    if model is PasswordReset:
        return PasswordReset.create(user=owner, token_hash=make_user().username.ljust(64, "0"),
                                    password_hash="h", expires_at=LATER)
    if model is EmailVerification:
        return EmailVerification.create(user=owner, email=owner.email, expires_at=LATER,
                                        previous_email=owner.email,
                                        token_hash=make_user().username.ljust(64, "0"))
    if model is ApiKey:
        return ApiKey.create(owner=owner, name="k", prefix="jns_abcdefgh", scopes=["logs:read"],
                             key_hash=make_user().username.ljust(64, "0"))
    raise AssertionError(f"no builder for {model.__name__}")


def test_every_model_has_a_builder():
    assert {m.__name__ for m in MODELS} == {
        "User", "Admin", "AuthToken", "Image", "Log", "Analytics", "SecurityEvent",
        "IdempotencyKey", "ConsoleSession", "AnalysisResult", "OutboxMail", "PasswordReset",
        "EmailVerification", "ApiKey"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_id_of_a_deleted_newest_row_is_not_reused(db, model):
    owner = make_user()
    image = make_image(owner)
    build(model, owner, image)
    newest = build(model, owner, image)
    newest.delete_instance()

    again = build(model, owner, image)

    assert again.id > newest.id
    assert not model.select().where(model.id == newest.id).exists()


# -- migrations/004_autoincrement on an existing database --------------------

def router(db):
    return Router(db, migrate_dir=MIGRATIONS_DIR)


def create_sql(db, table):
    row = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return row[0]


def indexes(db):
    return {(table, index.name, tuple(index.columns), index.unique)
            for table in db.get_tables() for index in db.get_indexes(table)}


def snapshot(db):
    out = {}
    for model in MODELS_AT_004:
        table = model._meta.table_name
        out[table] = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
    return out


# Columns added after 004 (migrations 008, 009): left out of the rows built here.
LATER_FIELDS = {User: ("username_canonical", "password_rule", "email_verified_at"),
                Log: ("source",),
                SecurityEvent: ("source", "reported_by")}


@contextlib.contextmanager
def models_at_004(db):
    """MODELS_AT_004 bound to ``db``, without the later columns."""
    removed = [(model, model._meta.fields[name])
               for model, names in LATER_FIELDS.items() for name in names]
    for model, field in removed:
        model._meta.remove_field(field.name)
        delattr(model, field.name)  # its accessor, through which create() would still set it
    try:
        with db.bind_ctx(MODELS_AT_004):
            yield
    finally:
        for model, field in removed:
            model._meta.add_field(field.name, field)


@pytest.fixture
def old_database(db_factory, backend):
    """A database migrated up to 003 and populated."""
    db = make_database(db_factory.new_url(), pool_size=1)
    db.connect()
    router(db).run("003_idempotency")
    with models_at_004(db):
        owner = make_user()
        image = make_image(owner)
        for model in MODELS_AT_004:
            build(model, owner, image)
    yield db
    db.close()
    db.close_all()


def test_004_keeps_every_row_and_stops_reuse(old_database, backend):
    db = old_database
    before, indexes_before = snapshot(db), indexes(db)
    assert all(before.values())
    if backend == "sqlite":
        assert "AUTOINCREMENT" not in create_sql(db, "users")

    router(db).run("004_autoincrement")  # later migrations change indexes on purpose

    assert snapshot(db) == before
    assert indexes(db) == indexes_before
    if backend == "sqlite":
        assert all("AUTOINCREMENT" in create_sql(db, m._meta.table_name) for m in MODELS_AT_004)
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    with models_at_004(db):
        newest = make_user()
        newest.delete_instance()
        assert make_user().id > newest.id


def test_004_rolls_back_keeping_every_row(old_database, backend):
    db = old_database
    router(db).run("004_autoincrement")
    with models_at_004(db):
        make_user()
    migrated = snapshot(db)

    router(db).rollback()

    assert snapshot(db) == migrated
    if backend == "sqlite":
        assert "AUTOINCREMENT" not in create_sql(db, "users")
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute_sql("SELECT count(*) FROM sqlite_sequence "
                              "WHERE name = 'users'").fetchone() == (0,)
