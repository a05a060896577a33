"""``?q=``: a case-insensitive search for a literal substring of a list's
declared text fields, served by an index on both backends (migration 016).

- PostgreSQL: ``lower(column) LIKE lower(pattern)``, each column with a GIN
  trigram index (pg_trgm) on ``lower(column)``; the database lowers both
  sides, so non-ASCII letters fold as its LC_CTYPE says.
- SQLite: the row ids an FTS5 table with the trigram tokenizer finds for the
  text as one phrase (it folds Unicode case itself). A trigram index cannot
  serve fewer than 3 characters: a shorter text scans the rows, through
  ``janus_lower`` (janus.db: Python's ``str.lower``; SQLite's own lower()
  folds ASCII only).

How ``q`` is run (``Term.form``) is part of a compiled query's shape; the
pattern is a text parameter. The user manual is docs/api.md, "Search".
"""
from __future__ import annotations

import functools
import operator
from typing import Annotated, NamedTuple

import msgspec
import peewee as pw

from janus.db import is_postgres

MAX_LENGTH = 200
TRIGRAM = 3  # the shortest text a trigram index can serve


class Term(NamedTuple):
    """A request's ``q``: how it runs (``form``: trigram, fts or scan) and
    its one parameter (a LIKE pattern or an FTS5 phrase)."""

    form: str
    pattern: str


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern (escape ``\\``) that matches it as a
    literal substring: its ``%``, ``_`` and ``\\`` match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: inside double quotes every character is
    literal but the quote, which is doubled."""
    return '"' + text.replace('"', '""') + '"'


def fts_table(model) -> str:
    """The FTS5 table that indexes ``model``'s searched columns (SQLite)."""
    return f"{model._meta.table_name}_search"


class Search:
    """The text fields ``?q=`` reads, all columns of one model (a list may
    read them through a join: the admins list searches its users)."""

    def __init__(self, *columns: pw.Field):
        models = {column.model for column in columns}
        if len(models) != 1:
            raise ValueError("the searched columns of a list belong to one model")
        self.columns = columns
        self.model = models.pop()
        names = [column.name for column in columns]
        fields = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        self.description = (
            f"Case-insensitive search for this text anywhere in {fields} (a literal "
            f"substring: % and _ match themselves). From {TRIGRAM} characters on a trigram "
            f"index serves it; a shorter text scans the rows.")

    def query_field(self) -> tuple:
        """``q`` as a field of the list's query Struct (msgspec.defstruct)."""
        text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LENGTH)]
        return ("q", Annotated[text | None, msgspec.Meta(description=self.description)], None)

    def term(self, text: str) -> Term:
        """How the current database runs a search for ``text``."""
        if is_postgres():
            return Term("trigram", like_pattern(text))
        if len(text) >= TRIGRAM:
            return Term("fts", fts_phrase(text))
        return Term("scan", like_pattern(text.lower()))

    def found(self, term: Term, rowids=None) -> pw.Select:
        """The ids of the rows the FTS5 table finds for ``term`` (SQLite),
        ``rowids``: only those in this (low, high) range."""
        name = fts_table(self.model)  # also its hidden column, the one MATCH reads
        table = pw.Table(name, ("rowid", name))
        found = table.select(table.rowid).where(
            pw.Expression(getattr(table, name), "MATCH", term.pattern))
        if rowids is not None:
            found = found.where(table.rowid >= rowids[0], table.rowid <= rowids[1])
        return found

    def where(self, term: Term) -> pw.Expression:
        """The condition that keeps the rows ``term`` finds."""
        if term.form == "fts":
            return self.model.id.in_(self.found(term))
        if term.form == "trigram":
            pattern = pw.fn.lower(term.pattern)
            return _any(pw.Expression(pw.fn.lower(c), pw.OP.LIKE, pattern)
                        for c in self.columns)
        # SQLite: peewee writes its ILIKE as LIKE (and its LIKE as GLOB).
        escape = pw.NodeList((pw.SQL("ESCAPE"), pw.Value("\\", converter=False)))
        return _any(pw.Expression(pw.fn.janus_lower(c), pw.OP.ILIKE,
                                  pw.NodeList((pw.Value(term.pattern, converter=False), escape)))
                    for c in self.columns)


    def where_between(self, term: Term, low, high) -> pw.Expression:
        """``where`` for an FTS5 ``term`` on the rows whose id (the searched
        model's) lies in [low, high]: FTS5 seeks that rowid range and reads
        only its part of each trigram's list (janus.lists.probe)."""
        return self.model.id.in_(self.found(term, (low, high)))


def _any(conditions) -> pw.Expression:
    return functools.reduce(operator.or_, conditions)
