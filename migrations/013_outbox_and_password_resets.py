"""Add outbox (the mails a change writes in its own transaction, delivered
after commit by janus.mail.sender) and password_resets (reset tokens, only
their SHA-256). Both start empty."""

import peewee as pw
from peewee_migrate import Migrator


class IdField(pw.AutoField):
    """As janus.models.IdField (copied: a migration keeps the shape it was
    written for): on SQLite the id is AUTOINCREMENT, never reused."""

    def ddl(self, ctx):
        nodes = super().ddl(ctx)
        if ctx.state.field_types.get("AUTO") == "INTEGER":
            return pw.NodeList((nodes, pw.SQL("AUTOINCREMENT")))
        return nodes


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class OutboxMail(pw.Model):
        id = IdField()
        kind = pw.CharField(max_length=32)
        recipient = pw.CharField(max_length=254)
        subject = pw.CharField(max_length=255)
        body = pw.TextField()
        message_id = pw.CharField(max_length=255, unique=True)
        status = pw.CharField(max_length=8, default="pending")
        attempts = pw.IntegerField(default=0)
        next_attempt_at = pw.DateTimeField()
        claimed_until = pw.DateTimeField(null=True)
        last_error = pw.CharField(max_length=255, null=True)
        created_at = pw.DateTimeField()
        sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "outbox"
            legacy_table_names = False
            indexes = ((("status", "next_attempt_at"), False),)

    @migrator.create_model
    class PasswordReset(pw.Model):
        id = IdField()
        user = pw.ForeignKeyField(column_name="user_id", field="id",
                                  model=migrator.orm["users"], on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True)
        password_hash = pw.CharField(max_length=255)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "password_resets"
            legacy_table_names = False


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("password_resets")
    migrator.remove_model("outbox")
