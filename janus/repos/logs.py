"""Audit trail: one row per change, written in the change's transaction.

Rows outlive the users they mention: deleting a user sets ``user`` to NULL.
"""
from __future__ import annotations

import peewee as pw

from janus.errors import ValidationError
from janus.models import LOG_LEVELS, Log
from janus.repos.base import Repository
from janus.repos.common import HistoryMixin, text


def check_level(level) -> str:
    if level not in LOG_LEVELS:
        raise ValidationError.at("$.level", f"must be one of {', '.join(LOG_LEVELS)}")
    return level


class LogRepository(HistoryMixin, Repository):
    model = Log
    metadata_field = "log_metadata"
    writable = ("user", "action", "module", "level", "log_metadata")
    required = ("action", "module")

    def _check(self, fields: dict) -> dict:
        if "log_metadata" in fields and fields["log_metadata"] is None:
            fields["log_metadata"] = {}
        super()._check(fields)
        for name in ("action", "module"):
            if name in fields:
                fields[name] = text(fields[name], f"$.{name}")
        if "level" in fields:
            check_level(fields["level"])
        if not isinstance(fields.get("log_metadata", {}), dict):
            raise ValidationError.at("$.log_metadata", "must be an object")
        return fields

    def record(self, action: str, module: str, user=None, level: str = "info",
               metadata: dict | None = None) -> Log:
        """Write one audit row. Call it inside the change's ``database.atomic()``
        so the change and its record commit (or roll back) together."""
        return self.create(action=action, module=module, user=user, level=level,
                           log_metadata=metadata)

    def by_action(self, action: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(Log.action == text(action, "$.action"))

    def by_module(self, module: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(Log.module == text(module, "$.module"))

    def by_level(self, level: str, query: pw.ModelSelect | None = None,
                 at_least: bool = False) -> pw.ModelSelect:
        """Rows at ``level``; with ``at_least``, at that level or a worse one."""
        query = self.select() if query is None else query
        check_level(level)
        if at_least:
            return query.where(Log.level.in_(LOG_LEVELS[LOG_LEVELS.index(level):]))
        return query.where(Log.level == level)


logs = LogRepository()
