"""Add api_keys: machines' credentials (janus.services.api_keys), each
acting as its owner narrowed to its scopes; only the key's SHA-256 is
stored, beside a visible prefix. Starts empty; rollback drops it."""

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
    class ApiKey(pw.Model):
        id = IdField()
        owner = pw.ForeignKeyField(column_name="owner_id", field="id",
                                   model=migrator.orm["users"], on_delete="CASCADE",
                                   index=False)
        name = pw.CharField(max_length=100)
        prefix = pw.CharField(max_length=16)
        key_hash = pw.CharField(max_length=64, unique=True)
        scopes = pw.JSONField()
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField(null=True)
        last_used_at = pw.DateTimeField(null=True)
        last_used_ip = pw.CharField(max_length=45, null=True)
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "api_keys"
            legacy_table_names = False
            indexes = ((("created_at", "id"), False), (("owner", "created_at", "id"), False))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("api_keys")
