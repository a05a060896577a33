"""Add console_sessions: the signed-in browser sessions of the console
(/console). Only the SHA-256 of a session's cookie value is stored, as for
bearer tokens; a session goes with its user (cascade), and ``expires_at`` is
indexed for the purge of expired sessions.
"""

import peewee as pw
from peewee_migrate import Migrator


class IdField(pw.AutoField):
    """As janus.models.IdField (copied: a migration keeps the shape it was
    written for): on SQLite the id is AUTOINCREMENT, never reused
    (migrations/004_autoincrement.py converted the older tables)."""

    def ddl(self, ctx):
        nodes = super().ddl(ctx)
        if ctx.state.field_types.get("AUTO") == "INTEGER":
            return pw.NodeList((nodes, pw.SQL("AUTOINCREMENT")))
        return nodes


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class ConsoleSession(pw.Model):
        id = IdField()
        user = pw.ForeignKeyField(column_name='user_id', field='id',
                                  model=migrator.orm['users'], on_delete='CASCADE')
        session_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField(index=True)
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "console_sessions"
            legacy_table_names = False


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('console_sessions')
