"""Each list route's one declaration (``Listing``): its filters -- field,
column, operator, normaliser, description, console label -- and who may
read which rows, which fields sort (``?sort=``) and the text fields ``?q=``
searches (janus.lists.search).

From a declaration come the query Struct (msgspec validation, and through
it the OpenAPI parameters and their descriptions), the values a request
filters by (normalised here, once), the narrowing of a query (``narrow``:
the ORM form, and the compiled form janus.lists.reads builds from it with
stand-in values, which pass through ``narrow`` untouched because nothing
there changes a value), the keyset order of a page (``order``), and the
console's filter inputs.

Adding a filter to a list is one ``Filter`` in its declaration.
"""
from __future__ import annotations

import dataclasses
import operator
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
import peewee as pw

from janus.access import Actor, require_level, visible
from janus.lists.search import Search
from janus.repos.base import Order, Page, Repository

# What a filter compares with: the column on the left, the value on the right.
OPERATORS = {"eq": operator.eq, "ge": operator.ge, "le": operator.le}


@dataclasses.dataclass(frozen=True)
class Filter:
    """``?name=value`` keeps the rows whose ``column`` ``op`` the value
    (after ``normalise``); ``type``: what msgspec accepts; ``label``: the
    console form's label (None: not on the form); ``shape``: the value
    decides the query's shape (a boolean), not a parameter."""

    name: str
    column: pw.Field
    type: Any
    description: str
    op: str = "eq"
    normalise: Callable | None = None
    label: str | None = None
    shape: bool = False

    @property
    def kind(self) -> str:
        """What the compiled query holds for it: a stand-in of this kind
        (janus.repos.compiled.Slots), or ``shape``."""
        if self.shape:
            return "shape"
        base = typing.get_args(self.type)[0] if typing.get_origin(self.type) is Annotated \
            else self.type
        return "integer" if base is int else "text"

    @property
    def form(self) -> str:
        """The console's input type."""
        return "number" if self.kind == "integer" else "text"


class Listing:
    """One list: ``repo`` pages it, newest first unless ``?sort=`` names one
    of the ``sort`` fields (columns of ``repo.model``; its ordering time is
    always one); ``owner``: the column that says whose a row is (each user
    sees their own, admins every row), None: moderators and up only;
    ``filters`` narrow it; ``check(since, until)`` refuses a query before it
    runs (422); ``search``: the text columns ``?q=`` reads (none: no ``q``)."""

    def __init__(self, repo: Repository, *filters: Filter, owner: pw.Field | None,
                 check: Callable | None = None, sort: tuple[str, ...] = (),
                 search: tuple[pw.Field, ...] = ()):
        self.repo, self.owner, self.filters = repo, owner, {f.name: f for f in filters}
        self.check = check
        self.search = Search(*search) if search else None
        for f in filters:
            if f.op not in OPERATORS:
                raise ValueError(f"{f.name}: unknown operator {f.op!r}")
        default = repo.newest_first
        fields = dict.fromkeys((default.column.name, *sort))
        # "-field": largest (newest) first; "field": smallest first. Id breaks ties.
        self.orders = {key: Order(key, getattr(repo.model, name))
                       for name in fields for key in ("-" + name, name)}
        self.default_sort = default.key

    def order(self, query: pw.ModelSelect, sort: str, fetch: int, after=None):
        """``query`` in the order ``?sort=`` names, from just after ``after``
        (a decoded cursor), ``fetch`` rows at most (export reuses it)."""
        return self.repo.keyset(query, fetch, after, self.orders[sort])

    def page(self, query: pw.ModelSelect, q) -> Page:
        """One keyset page of ``query`` (already narrowed) as the list query
        ``q`` asks: its sort, cursor, limit and ``count``."""
        return self.repo.page(query, limit=q.limit, cursor=q.cursor,
                              order=self.orders[q.sort], count=q.count)

    def visible(self, query: pw.ModelSelect, actor: Actor) -> pw.ModelSelect:
        """``query`` narrowed to what ``actor`` may read (403 below moderator
        on a list without owners)."""
        if self.owner is None:
            require_level(actor, "moderator")
            return query
        return visible(query, self.owner, actor)

    def query_struct(self, name: str, base: type) -> type:
        """The list's query: ``base`` (limit, cursor, since, until), an
        optional field per filter and ``q``, described for the OpenAPI
        document, the sort (an enum of the declared orders) and ``count``."""
        fields = [(f.name, Annotated[f.type | None, msgspec.Meta(description=f.description)],
                   None) for f in self.filters.values()]
        sorts = Literal[tuple(self.orders)]  # type: ignore[valid-type]
        fields.append(("sort", Annotated[sorts, msgspec.Meta(description=(
            "Order of the rows: a field, smallest first, or -field, largest (newest) "
            "first; rows that tie are ordered by id the same way. A cursor continues "
            "the sort it was issued for."))], self.default_sort))
        fields.append(("count", Annotated[bool, msgspec.Meta(description=(
            "true: the page also carries total, the number of rows the filters match "
            "(one more query, costly on large tables: see the docs); else total is "
            "null."))], False))
        if self.search is not None:
            fields.append(self.search.query_field())
        return msgspec.defstruct(name, fields, bases=(base,), kw_only=True,
                                 module=base.__module__)

    def given(self, q) -> dict:
        """The filters a query ``q`` sets, normalised: name -> value, and
        "q" -> its search Term."""
        if self.check is not None:
            self.check(q.since, q.until)
        found = {}
        for name, f in self.filters.items():
            value = getattr(q, name)
            if value is not None:
                found[name] = value if f.normalise is None else f.normalise(value)
        if self.search is not None and q.q is not None:
            found["q"] = self.search.term(q.q)
        return found

    def narrow(self, query: pw.ModelSelect, given: dict, since=None, until=None):
        """``query`` keeping the rows in [since, until) that match every
        filter ``given`` (values as ``given`` returns them)."""
        query = self.repo.since(query, since, until)
        for name, value in given.items():
            if name == "q":
                query = query.where(self.search.where(value))
                continue
            f = self.filters[name]
            query = query.where(OPERATORS[f.op](f.column, value))
        return query

    def form(self) -> list[Filter]:
        """The filters the console's form shows, in order."""
        return [f for f in self.filters.values() if f.label is not None]
