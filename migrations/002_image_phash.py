"""Add images.phash: the 64-bit perceptual hash of an uploaded image.

Stored as a signed BIGINT (the hash's bits reinterpreted), so PostgreSQL can
compare hashes with ``bit_count((phash # x)::bit(64))`` in SQL. Null for
metadata-only records.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("images", phash=pw.BigIntegerField(null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("images", "phash")
