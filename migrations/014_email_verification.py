"""Add users.email_verified_at and email_verifications (mailed links that
confirm an address, only their SHA-256, and the account's email when each
was issued; janus.services.email_verification).

Every existing account counts as verified: its email_verified_at becomes
its created_at. Rollback drops both.
"""

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
    migrator.add_fields("users", email_verified_at=pw.DateTimeField(null=True))
    migrator.sql("UPDATE users SET email_verified_at = created_at")

    @migrator.create_model
    class EmailVerification(pw.Model):
        id = IdField()
        user = pw.ForeignKeyField(column_name="user_id", field="id",
                                  model=migrator.orm["users"], on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True)
        email = pw.CharField(max_length=254)
        previous_email = pw.CharField(max_length=254)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "email_verifications"
            legacy_table_names = False


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("email_verifications")
    migrator.remove_fields("users", "email_verified_at")
