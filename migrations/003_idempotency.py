"""Add idempotency_keys: the stored answers of POST requests sent with an
``Idempotency-Key`` header (janus.services.idempotency).

One row per (scope, key), unique, so two requests with the same key cannot
both be recorded; ``expires_at`` is indexed for the purge of expired keys.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class IdempotencyKey(pw.Model):
        id = pw.AutoField()
        scope = pw.CharField(max_length=64)
        key = pw.CharField(max_length=255)
        fingerprint = pw.CharField(max_length=64)
        status = pw.IntegerField()
        response_headers = pw.JSONField()
        response_body = pw.TextField()
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "idempotency_keys"
            legacy_table_names = False
            indexes = [(('scope', 'key'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('idempotency_keys')
