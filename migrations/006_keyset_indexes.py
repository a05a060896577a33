"""Keyset pages as index ranges: (ordering time, id) indexes.

A following page reads ``(time, id) < (?, ?) ORDER BY time DESC, id DESC``
(janus.repos.base). An index on exactly (time, id) -- and on (owner, time,
id) for the lists one owner sees -- serves that as a range read in order on
both backends. PostgreSQL cannot do it with an index on (time) alone (it
sorts every row of the range); SQLite's (time) index already ends with the
rowid, so there the new index only keeps the two schemas alike.

The single-column and two-column indexes they replace are dropped: each is
a leading prefix of a new one, so every query it served the new one serves.
``analytics.user_id`` alone goes too, for the same reason (the ON DELETE SET
NULL of a user reads (user_id, created_at, id)).
"""

import peewee as pw
from peewee_migrate import Migrator

# table -> [(old index columns, new index columns)], model field names
CHANGES = {
    "users": [(("created_at",), ("created_at", "id"))],
    "images": [(("created_at",), ("created_at", "id")),
               (("owner", "created_at"), ("owner", "created_at", "id"))],
    "logs": [(("timestamp",), ("timestamp", "id")),
             (("user", "timestamp"), ("user", "timestamp", "id"))],
    "analytics": [(("created_at",), ("created_at", "id")),
                  (("user",), ("user", "created_at", "id"))],
    "security": [(("timestamp",), ("timestamp", "id")),
                 (("user", "timestamp"), ("user", "timestamp", "id"))],
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    for table, pairs in CHANGES.items():
        for old, new in pairs:
            migrator.add_index(table, *new)
            migrator.drop_index(table, *old)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for table, pairs in CHANGES.items():
        for old, new in pairs:
            migrator.add_index(table, *old)
            migrator.drop_index(table, *new)
