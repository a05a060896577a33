"""Peewee models for every domain.

Times are naive UTC ``datetime`` values (``utcnow()``); the HTTP layer renders
them as ISO-8601 with a ``Z``. The schema itself is created by
``migrations/`` -- a test holds the two to the same shape.
"""
from __future__ import annotations

from datetime import UTC, datetime

import peewee as pw

from janus.db import database

ROLES = ("user", "admin")
ADMIN_LEVELS = ("moderator", "superadmin")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# The largest value of an ``integer`` column: PostgreSQL's is 32 bits (int4),
# and so are its ids (``serial``) and foreign keys. SQLite's INTEGER holds 64
# bits, but the API takes the same range on both backends: no value is
# accepted on one and refused (or a 500) on the other.
MAX_INTEGER = 2**31 - 1
MAX_ID = MAX_INTEGER


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)

# Keyset pages (janus.repos.base) read ``(ordering time, id) < (?, ?)`` newest
# first: an index on exactly those columns makes a following page an index
# range on both backends (migrations/006_keyset_indexes.py).
KEYSET_INDEX = (("created_at", "id"), False)
KEYSET_TIMESTAMP_INDEX = (("timestamp", "id"), False)


def sort_indexes(*fields: str, owner: str | None = None) -> tuple:
    """The indexes that make a page sorted by each of ``fields`` (``?sort=``,
    janus.lists) an index range: (field, id), and (owner, field, id) for one
    owner's rows (migrations/015_sort_indexes.py)."""
    found = [((field, "id"), False) for field in fields]
    if owner is not None:
        found += [((owner, field, "id"), False) for field in fields]
    return tuple(found)

# Who wrote a logs or security row: the service itself, or a client through
# POST /logs or POST /security-events (migrations/009_row_source.py). Only
# the service's rows act: lockout, unlock and every count read those alone.
SOURCES = ("service", "client")


def source_field() -> pw.CharField:
    # A database default too: a bulk writer that names no source (the seed
    # generator's raw INSERTs) writes as the service, as the ORM does.
    return pw.CharField(max_length=8, default="service",
                        constraints=[pw.Check("source IN ('service', 'client')"),
                                     pw.SQL("DEFAULT 'service'")])


class IdField(pw.AutoField):
    """The integer primary key of every table; never reuses a deleted row's id.

    PostgreSQL sequences never hand a number out twice. SQLite's plain
    ``INTEGER PRIMARY KEY`` takes max(id) + 1, so deleting the newest row gave
    its id to the next one (an audit row naming ``image 42`` could later point
    at another image): on SQLite the column is ``AUTOINCREMENT``.
    migrations/004_autoincrement.py converts existing SQLite tables.
    """

    def ddl(self, ctx):
        nodes = super().ddl(ctx)
        # SQLite is the backend whose auto type is a bare INTEGER (PostgreSQL
        # says SERIAL, MySQL INTEGER AUTO_INCREMENT).
        if ctx.state.field_types.get("AUTO") == "INTEGER":
            return pw.NodeList((nodes, pw.SQL("AUTOINCREMENT")))
        return nodes


class BaseModel(pw.Model):
    # Subclasses name the column that orders their lists, newest first.
    ordering_field = "created_at"
    id = IdField()

    class Meta:
        database = database
        legacy_table_names = False

    def save(self, *args, **kwargs):
        if "updated_at" in self._meta.fields and self._pk is not None:
            self.updated_at = utcnow()
        return super().save(*args, **kwargs)


class User(BaseModel):
    email = pw.CharField(max_length=254, unique=True)  # stored lower-case
    username = pw.CharField(max_length=64, unique=True)  # as typed, and as shown
    # janus.usernames.canonical(username): lookalike names share it, so they
    # cannot both exist. NULL only for a name that clashed with an older one
    # when migration 008 (or rekey-usernames) computed it: it matches nothing
    # until renamed. At most ~30 UTF-8 bytes per character of a 64-character
    # name: far below PostgreSQL's limit for a btree entry.
    username_canonical = pw.TextField(null=True, unique=True)
    password_hash = pw.CharField(max_length=255)
    # The strictest rule of janus.password_policy the password met when it
    # was set ("unchecked": set before migration 008, or by the seed loader).
    password_rule = pw.CharField(
        max_length=16, default="unchecked",
        constraints=[pw.Check("password_rule IN ('unchecked', 'user', 'admin')")])
    role = pw.CharField(max_length=16, default="user",
                        constraints=[pw.Check("role IN ('user', 'admin')")])
    is_active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)  # (created_at, id) covers it
    updated_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)
    # When the email was confirmed by a mailed link (janus.services.
    # email_verification). Every account is created verified (seeds,
    # janus-admin, POST /users; migration 014 marked the older ones) but
    # open registration under JANUS_REQUIRE_EMAIL_VERIFICATION, which leaves it NULL.
    email_verified_at = pw.DateTimeField(null=True, default=utcnow)

    class Meta:
        table_name = "users"
        indexes = (KEYSET_INDEX, *sort_indexes("email", "username"))


class Admin(BaseModel):
    """One-to-one extension of a User; exists exactly when role == 'admin'."""

    user = pw.ForeignKeyField(User, unique=True, on_delete="CASCADE", backref="admin_rows")
    admin_level = pw.CharField(
        max_length=16, default="moderator",
        constraints=[pw.Check("admin_level IN ('moderator', 'superadmin')")])
    granted_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL",
                                    backref="granted_admins")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "admins"
        indexes = (KEYSET_INDEX, *sort_indexes("admin_level"))


class AuthToken(BaseModel):
    """A bearer token; only the SHA-256 of the token is ever stored."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="tokens")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)
    # Written with last_used_at (at login, then at most once a minute).
    last_used_ip = pw.CharField(max_length=45, null=True)
    user_agent = pw.CharField(max_length=512, null=True)  # the login's

    class Meta:
        table_name = "auth_tokens"


class Image(BaseModel):
    # Not indexed alone: the (owner, created_at) index serves owner lookups.
    owner = pw.ForeignKeyField(User, on_delete="CASCADE", backref="images", index=False)
    filename = pw.CharField(max_length=255)
    format = pw.CharField(max_length=16)
    width = pw.IntegerField()
    height = pw.IntegerField()
    color_type = pw.CharField(max_length=16)  # Pillow mode: RGB, RGBA, L, P, I;16 ...
    bit_depth = pw.IntegerField()
    compression_method = pw.CharField(max_length=32, null=True)
    file_size = pw.BigIntegerField()
    sha256 = pw.CharField(max_length=64, null=True)
    storage_key = pw.CharField(max_length=128, null=True)  # null: metadata only
    image_metadata = pw.JSONField(default=dict)
    # Perceptual hash as a signed 64-bit int; null for metadata-only records.
    phash = pw.BigIntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)  # (created_at, id) covers it
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "images"
        indexes = (
            KEYSET_INDEX,
            (("owner", "created_at", "id"), False),  # one owner's pages
            # One owner never holds the same bytes twice.
            (("owner", "sha256"), True),
            *sort_indexes("filename", "width", "file_size", owner="owner"),
        )


class Log(BaseModel):
    """Audit trail. Rows outlive the users they mention (user -> NULL)."""

    ordering_field = "timestamp"

    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="logs",
                             index=False)  # (user, timestamp, id) covers it
    action = pw.CharField(max_length=64)  # (action, id) covers it
    module = pw.CharField(max_length=32)
    level = pw.CharField(max_length=16, default="info")
    timestamp = pw.DateTimeField(default=utcnow)  # (timestamp, id) covers it
    log_metadata = pw.JSONField(default=dict)
    source = source_field()

    class Meta:
        table_name = "logs"
        indexes = (KEYSET_TIMESTAMP_INDEX, (("user", "timestamp", "id"), False),
                   *sort_indexes("action", "module", owner="user"))


class Analytics(BaseModel):
    research_topic = pw.CharField(max_length=128)  # (research_topic, id) covers it
    data = pw.JSONField()
    image = pw.ForeignKeyField(Image, null=True, on_delete="CASCADE", backref="analytics")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="analytics",
                             index=False)  # (user, created_at, id) covers it
    created_at = pw.DateTimeField(default=utcnow)  # (created_at, id) covers it
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "analytics"
        indexes = (KEYSET_INDEX, (("user", "created_at", "id"), False),
                   *sort_indexes("research_topic", owner="user"))


class SecurityEvent(BaseModel):
    """Authentication events. ``account`` is the login name that was tried,
    lower-cased, so failures against unknown accounts are counted too."""

    ordering_field = "timestamp"

    # Not indexed alone: (user, timestamp, id) covers it.
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL",
                             backref="security_events", index=False)
    action = pw.CharField(max_length=32)  # (action, id) covers it
    account = pw.CharField(max_length=254, null=True)
    ip = pw.CharField(max_length=45, null=True)
    user_agent = pw.CharField(max_length=512, null=True)
    timestamp = pw.DateTimeField(default=utcnow)  # (timestamp, id) covers it
    security_metadata = pw.JSONField(default=dict)
    source = source_field()
    # The user who posted a reported row (source "client"); a plain id, not a
    # foreign key: who reported it stays known after that user is deleted.
    reported_by = pw.IntegerField(null=True)

    class Meta:
        table_name = "security"
        indexes = (
            KEYSET_TIMESTAMP_INDEX,
            (("user", "timestamp", "id"), False),
            # The lockout's reads: one account's service rows of some actions
            # in a time range (janus.repos.security).
            (("account", "source", "action", "timestamp"), False),
            *sort_indexes("action", owner="user"),
        )


class IdempotencyKey(BaseModel):
    """The stored answer to a POST sent with an ``Idempotency-Key`` header
    (janus.services.idempotency). ``scope`` is ``user:<id>`` or, on public
    routes, ``client:<address>``; ``fingerprint`` the HMAC-SHA256 of method,
    path and body, keyed with JANUS_SECRET_KEY. Written in the same
    transaction as the change it answers for."""

    scope = pw.CharField(max_length=64)
    key = pw.CharField(max_length=255)
    fingerprint = pw.CharField(max_length=64)
    status = pw.IntegerField()
    response_headers = pw.JSONField(default=dict)
    response_body = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        table_name = "idempotency_keys"
        indexes = ((("scope", "key"), True),)


class ConsoleSession(BaseModel):
    """A signed-in browser session of the console (janus.services.console_sessions).
    Like a bearer token, only the SHA-256 of the cookie's value is stored."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="console_sessions")
    session_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)
    last_used_ip = pw.CharField(max_length=45, null=True)
    user_agent = pw.CharField(max_length=512, null=True)  # the sign-in's

    class Meta:
        table_name = "console_sessions"


class Session(BaseModel):
    """Read-only: the ``sessions`` view (migrations/018_session_details.py),
    login tokens and console sessions in one id space (a token's id * 2, a
    console session's id * 2 - 1; ``row_id`` is the row's own id). Not in
    MODELS: it is no table."""

    id = pw.BigIntegerField(primary_key=True)
    kind = pw.CharField()  # "token" or "console"
    row_id = pw.IntegerField()
    user = pw.ForeignKeyField(User, backref="sessions", index=False)
    created_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)
    last_used_ip = pw.CharField(null=True)
    user_agent = pw.CharField(null=True)

    class Meta:
        table_name = "sessions"


class AnalysisResult(BaseModel):
    """The values of an image analysis by the analysed bytes' SHA-256, ``k``
    and janus.imaging's ANALYSIS_VERSION (janus.services.images): another
    analysis of the same bytes copies them instead of decoding again. Only
    the service writes here; clients' analytics rows are never copied."""

    sha256 = pw.CharField(max_length=64)
    k = pw.IntegerField()
    version = pw.IntegerField()
    data = pw.JSONField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "analysis_results"
        indexes = ((("sha256", "k", "version"), True),)


class OutboxMail(BaseModel):
    """A mail to send, written in the transaction of the change that causes
    it (janus.mail.outbox) and delivered after commit by janus.mail.sender.
    ``message_id`` is fixed here, so a resend after a crash carries the same
    one. ``status``: pending, sending (claimed until ``claimed_until``), sent,
    failed. The body is erased once the mail is sent (it may hold a link)."""

    kind = pw.CharField(max_length=32)
    recipient = pw.CharField(max_length=254)
    subject = pw.CharField(max_length=255)
    body = pw.TextField()
    message_id = pw.CharField(max_length=255, unique=True)
    status = pw.CharField(max_length=8, default="pending")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    claimed_until = pw.DateTimeField(null=True)
    last_error = pw.CharField(max_length=255, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "outbox"
        indexes = ((("status", "next_attempt_at"), False),)


class PasswordReset(BaseModel):
    """A password reset token (janus.services.password_reset): only its
    SHA-256 is stored. Void once used, once a newer one is issued, or once
    the password changes (``password_hash`` no longer the user's)."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="password_resets")
    token_hash = pw.CharField(max_length=64, unique=True)
    # The password hash the token was issued against: another password voids it.
    password_hash = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "password_resets"


class EmailVerification(BaseModel):
    """A mailed link confirming ``email`` for ``user``
    (janus.services.email_verification): only the token's SHA-256 is stored.
    ``previous_email`` is the account's email when it was issued (``email``
    itself, but for a change of address): void once used, once a newer one is
    issued, or once the account's email is no longer ``previous_email``."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="email_verifications")
    token_hash = pw.CharField(max_length=64, unique=True)
    email = pw.CharField(max_length=254)
    previous_email = pw.CharField(max_length=254)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "email_verifications"


class ApiKey(BaseModel):
    """A machine's credential (janus.services.api_keys): acts as ``owner``
    narrowed to ``scopes`` (a JSON list). Only the SHA-256 of the key is
    stored; ``prefix`` (its first characters, ``jns_...``) is what lists show."""

    owner = pw.ForeignKeyField(User, on_delete="CASCADE", backref="api_keys", index=False)
    name = pw.CharField(max_length=100)
    prefix = pw.CharField(max_length=16)
    key_hash = pw.CharField(max_length=64, unique=True)
    scopes = pw.JSONField()
    created_at = pw.DateTimeField(default=utcnow)  # (owner, created_at, id) covers it
    expires_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)
    last_used_ip = pw.CharField(max_length=45, null=True)
    revoked_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "api_keys"
        indexes = (KEYSET_INDEX, (("owner", "created_at", "id"), False))


# Dependency order: parents before children (create), reversed to drop.
MODELS = (User, Admin, AuthToken, Image, Log, Analytics, SecurityEvent, IdempotencyKey,
          ConsoleSession, AnalysisResult, OutboxMail, PasswordReset, EmailVerification, ApiKey)
