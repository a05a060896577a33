"""Audit trail: one row per change, written in the change's transaction.

Rows outlive the users they mention: deleting a user sets ``user`` to NULL.
"""
from __future__ import annotations

import peewee as pw

from janus.models import Log
from janus.repos.base import Repository
from janus.repos.common import HistoryMixin


class LogRepository(HistoryMixin, Repository):
    model = Log

    def record(self, action: str, module: str, user=None, level: str = "info",
               metadata: dict | None = None, **columns) -> Log:
        """Write one audit row. Call it inside the change's ``database.atomic()``
        so the change and its record commit (or roll back) together.
        ``columns``: a ``timestamp`` other than now (the seed loader's)."""
        return self.create(action=action, module=module, user=user, level=level,
                           log_metadata=metadata or {}, **columns)

    def by_action(self, action: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(Log.action == action)

    def by_module(self, module: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(Log.module == module)

    def by_level(self, level: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(Log.level == level)


logs = LogRepository()
