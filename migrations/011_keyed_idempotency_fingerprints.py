"""idempotency_keys.fingerprint: from SHA-256 to HMAC-SHA256 keyed with
JANUS_SECRET_KEY (janus.secret_key, janus.services.idempotency).

A stored fingerprint used to be the plain SHA-256 of method, path and body,
and a body can hold a password (``/auth/register``, ``/auth/password``,
``POST /users``): one hash per guess confirmed it offline. Those digests
cannot be turned into keyed ones (the bodies are not kept), so every existing
row's fingerprint is replaced by ``unkeyed``, which no request's fingerprint
equals. Each row keeps its stored answer until it expires (at most
JANUS_IDEMPOTENCY_TTL_SECONDS): a retry with its key is a 422, as for a key
reused with another body, and never runs the request a second time.

Rollback changes nothing: the digests are gone on purpose, and ``unkeyed``
still matches no request.
"""

import peewee as pw
from peewee_migrate import Migrator

UNKEYED = "unkeyed"


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.sql(f"UPDATE idempotency_keys SET fingerprint = '{UNKEYED}'")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    pass
