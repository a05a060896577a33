"""Sorted keyset pages as index ranges: (field, id) indexes for ``?sort=``.

A following page sorted by a field reads ``(field, id) > (?, ?) ORDER BY
field, id`` (or ``<`` and DESC; janus.repos.base.Repository.keyset). As
migration 006 did for the ordering time, an index on exactly (field, id) --
and on (owner, field, id) for the lists one owner sees -- serves that as a
range read in order on both backends; without the trailing id PostgreSQL
sorts every row of the range. The sortable fields are the lists'
declarations' (janus.lists): each index here is one of those.

The single-column indexes on logs.action, security.action and
analytics.research_topic are dropped: each is a leading prefix of a new one.
"""

import peewee as pw
from peewee_migrate import Migrator

# table -> index columns to add (model field names)
ADDED = {
    "users": [("email", "id"), ("username", "id")],
    "admins": [("created_at", "id"), ("admin_level", "id")],
    "images": [("filename", "id"), ("owner", "filename", "id"),
               ("width", "id"), ("owner", "width", "id"),
               ("file_size", "id"), ("owner", "file_size", "id")],
    "logs": [("action", "id"), ("user", "action", "id"),
             ("module", "id"), ("user", "module", "id")],
    "security": [("action", "id"), ("user", "action", "id")],
    "analytics": [("research_topic", "id"), ("user", "research_topic", "id")],
}
# table -> single-column indexes a new one starts with
REPLACED = {"logs": ("action",), "security": ("action",), "analytics": ("research_topic",)}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    for table, indexes in ADDED.items():
        for columns in indexes:
            migrator.add_index(table, *columns)
    for table, column in REPLACED.items():
        migrator.drop_index(table, *column)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for table, column in REPLACED.items():
        migrator.add_index(table, *column)
    for table, indexes in ADDED.items():
        for columns in indexes:
            migrator.drop_index(table, *columns)
