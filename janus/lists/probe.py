"""A page of an FTS5 search (``?q=`` on SQLite, janus.lists.search) without
reading every match when many rows hold the text.

The FTS5 table finds a text's rows by id, not in the list's order: asking
it for every match and sorting them costs in proportion to the matches
(0.6 s in-process for a text 65 % of 1,000,000 logs hold; 4.5 s in a
loaded bench run). So a page first probes a window: the next
``factor x fetch`` rows of the list in its order -- its keyset index
range, with the filters, access and cursor of the page, without ``q`` --
and keeps those the FTS5 table finds within the window's range of ids (a
rowid range FTS5 seeks). The window is a prefix of the list's order, so
when it holds ``fetch`` matches they are exactly the page the whole search
would answer. Otherwise a larger window, then the whole search (as for a
text that a short list holds less than ``fetch`` times).

A text fewer than ``RARE x fetch`` rows hold goes to the whole search at
once (a bounded count of its matches tells). The probe runs only in the
order of the list's time, which ids follow when rows are written as they
happen: under another ``?sort=`` a window's ids spread over the table, the
seek saves nothing, and the page stays the whole search and its sort. (The
answer is exact either way; only the cost depends on it.)
"""
from __future__ import annotations

import peewee as pw

from janus.lists.search import Term
from janus.repos.compiled import HotQuery, Slots

# Window sizes, in rows per row fetched: a text in 1 of 4 rows fills the
# first, 1 of 32 the second; a rarer one costs little to search whole.
FACTORS = (4, 32)
# Fewer matches than this many per row fetched: the whole search is cheap.
RARE = 32


def without_q(given: tuple) -> tuple:
    """A page's shape (janus.lists.reads) without its search."""
    return tuple(name for name in given if not (isinstance(name, tuple) and name[0] == "q"))


class Probe:
    """The window queries of one list (``resource``: its janus.lists.reads
    Resource, whose page query, with a limit named ``window`` and no ``q``,
    is the window)."""

    def __init__(self, resource):
        self.resource = resource
        self.times = {resource.listing.repo.newest_first.column.name}
        self._found = HotQuery(self._found_query)
        self._matches = HotQuery(self._matches_query)

    def _found_query(self, slots: Slots, is_admin: bool, given: tuple, sort: str, after: bool):
        r = self.resource
        model, search = r.view.model, r.listing.search
        window = (r.page_query(slots, is_admin, without_q(given), sort, after, limit="window")
                  .select(model.id.alias("id"), search.model.id.alias("sid"))
                  .cte("probe_window", materialized=True))
        # Plain selects from the window: peewee's select_from would declare it again.
        low, high, ids = (pw.Select((window,), (column,))
                          for column in (pw.fn.MIN(window.c.sid), pw.fn.MAX(window.c.sid),
                                         window.c.id))
        term = Term("fts", slots.text("q"))
        query = (r.base(*r.view.columns)
                 .where(model.id.in_(ids), search.where_between(term, low, high))
                 .with_cte(window))
        return r.listing.order(query, sort, slots.integer("fetch"))

    def _matches_query(self, slots: Slots):
        found = self.resource.listing.search.found(Term("fts", slots.text("q")))
        return found.limit(slots.integer("rare")).select_from(pw.fn.COUNT(pw.SQL("*")))

    def rows(self, shape: tuple, values: dict, sort: str) -> list | None:
        """The page's rows (``values["fetch"]`` at most) if a window holds
        them, else None: the whole search decides. Only in the order of the
        list's time (ids follow it); a text fewer than ``RARE x fetch`` rows
        hold anywhere goes straight to the whole search (cheap then)."""
        fetch = values["fetch"]
        if sort.lstrip("-") not in self.times:
            return None
        values["rare"] = RARE * fetch
        (held,), = self._matches.rows((), values)
        if held < values["rare"]:
            return None
        for factor in FACTORS:
            values["window"] = factor * fetch
            rows = self._found.rows(shape, values)
            if len(rows) == fetch:
                return rows
        return None
