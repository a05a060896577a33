"""logs.source, security.source and security.reported_by.

``source`` says who wrote a row: ``service`` (the service itself) or
``client`` (posted to POST /logs or POST /security-events). Only service rows
act: lockout, unlock and every count read those alone. Existing rows are
labelled as far as the data tells:

- security: a reported event always had ``reported_by`` (the poster's id) in
  its metadata, written by the service over whatever the client sent, and
  no service-written event has that key. So rows with it become ``client``
  (``reported_by`` copied to the column when it is an integer); all others
  ``service``. This is exact.
- logs: the service writes audit rows only through ``record_change``: one of
  ``SERVICE_ACTIONS``, module the action's prefix, metadata naming an
  ``object_type``. A row of any other shape can only have been posted:
  ``client``. A posted row that copied a service row's action, module and
  metadata shape cannot be told apart, and stays ``service``.

The lockout's index gains ``source`` (after ``account``), so the lockout
reads stay index ranges.
"""

import json

import peewee as pw
from peewee_migrate import Migrator

# Every action record_change has ever written (git history of janus/).
SERVICE_ACTIONS = (
    "admin.granted", "admin.revoked", "analytics.created", "analytics.deleted",
    "analytics.updated", "image.analysed", "image.created", "image.deleted",
    "image.updated", "image.uploaded", "security_event.reported", "user.created",
    "user.deleted", "user.password_changed", "user.registered", "user.tokens_revoked",
    "user.unlocked", "user.updated")
BATCH = 500


def _loaded(value):
    """JSON columns: text on SQLite, already decoded by psycopg on PostgreSQL."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _mark_clients(database: pw.Database, table: str, ids: list, extra: str = "") -> None:
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        marks = ", ".join([database.param] * len(batch))
        database.execute_sql(f"UPDATE {table} SET source = 'client'{extra} "
                             f"WHERE id IN ({marks})", batch)


def _label_logs(database: pw.Database) -> None:
    names = ", ".join([database.param] * len(SERVICE_ACTIONS))
    database.execute_sql(f"UPDATE logs SET source = 'client' WHERE action NOT IN ({names})",
                         SERVICE_ACTIONS)
    rows = database.execute_sql(
        f"SELECT id, action, module, log_metadata FROM logs WHERE action IN ({names})",
        SERVICE_ACTIONS)
    posted = []
    for row_id, action, module, metadata in rows:
        metadata = _loaded(metadata)
        if (module != action.split(".", 1)[0] or not isinstance(metadata, dict)
                or "object_type" not in metadata):
            posted.append(row_id)
    _mark_clients(database, "logs", posted)


def _label_security(database: pw.Database) -> None:
    # Narrowed in SQL to the rows whose metadata mentions the key at all.
    rows = database.execute_sql(
        "SELECT id, security_metadata FROM security "
        f"WHERE CAST(security_metadata AS TEXT) LIKE {database.param}",
        ('%"reported_by"%',)).fetchall()
    for row_id, metadata in rows:
        metadata = _loaded(metadata)
        if isinstance(metadata, dict) and "reported_by" in metadata:
            by = metadata["reported_by"]
            by = by if isinstance(by, int) and not isinstance(by, bool) else None
            database.execute_sql(f"UPDATE security SET source = 'client', reported_by = "
                                 f"{database.param} WHERE id = {database.param}", (by, row_id))


def _source():
    return pw.CharField(max_length=8, default="service",
                        constraints=[pw.SQL("CHECK (source IN ('service', 'client'))"),
                                     pw.SQL("DEFAULT 'service'")])


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("logs", source=_source())
    migrator.add_fields("security", source=_source(), reported_by=pw.IntegerField(null=True))
    migrator.run(_label_logs, database)
    migrator.run(_label_security, database)
    migrator.add_index("security", "account", "source", "action", "timestamp")
    migrator.drop_index("security", "account", "action", "timestamp")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index("security", "account", "action", "timestamp")
    migrator.drop_index("security", "account", "source", "action", "timestamp")
    migrator.remove_fields("security", "source", "reported_by")
    migrator.remove_fields("logs", "source")
