"""Add analysis_results: the values of each image analysis the service
computed, by the bytes' SHA-256, ``k`` and the analysis version (unique), so
that analysing the same bytes again (any owner's copy) copies them instead of
decoding the image. Starts empty: existing ``image_analysis`` analytics rows
are not copied in, since a client may have posted rows with that topic
itself and nothing tells them from the service's own.
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
    @migrator.create_model
    class AnalysisResult(pw.Model):
        id = IdField()
        sha256 = pw.CharField(max_length=64)
        k = pw.IntegerField()
        version = pw.IntegerField()
        data = pw.JSONField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "analysis_results"
            legacy_table_names = False
            indexes = ((("sha256", "k", "version"), True),)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('analysis_results')
