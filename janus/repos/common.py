"""Normalisation and query pieces shared by the domain repositories.

Query helpers take the query to narrow and return a new one, so they chain:
``logs.by_level("error", logs.by_user(7, query))``.
"""
from __future__ import annotations

import peewee as pw

from janus.errors import ValidationError


def text(value: str, path: str) -> str:
    """Stripped; a value that is only white space is refused."""
    if not value.strip():
        raise ValidationError.at(path, "must not be blank")
    return value.strip()


class HistoryMixin:
    """Lookups for the history tables (``logs``, ``security``, ``analytics``):
    a nullable ``user``; ``by_source`` only on the two with ``source``."""

    def by_user(self, user_id: int | None, query: pw.ModelSelect) -> pw.ModelSelect:
        """Rows about user ``user_id``; ``None``: rows about nobody."""
        field = self.model.user
        return query.where(field.is_null() if user_id is None else field == user_id)

    def by_source(self, source: str, query: pw.ModelSelect) -> pw.ModelSelect:
        """Rows the service wrote (``service``) or a client posted (``client``)."""
        return query.where(self.model.source == source)
