"""Each list's compiled reads (janus.repos.compiled): GET by id and keyset
pages of every resource, filtered as its declaration says, as response
Structs built straight from rows by its View (janus.lists.views; no model
instance per listed row)."""
from __future__ import annotations

import peewee as pw

from janus.access import Actor, require_level, visible
from janus.errors import NotFound
from janus.lists import Listing
from janus.lists.images import IMAGE_VIEW, IMAGES
from janus.lists.probe import Probe
from janus.lists.records import (
    ANALYTICS,
    ANALYTICS_VIEW,
    LOG_VIEW,
    LOGS,
    SECURITY_EVENT_VIEW,
    SECURITY_EVENTS,
)
from janus.lists.search import Term
from janus.lists.users import ADMIN_VIEW, ADMINS, USER_VIEW, USERS
from janus.lists.views import View
from janus.repos.base import decode_cursor, is_row_id, naive_utc, page_of
from janus.repos.compiled import HotQuery, Slots
from janus.repos.users import users
from janus.schemas.images import ImagePage
from janus.schemas.records import AnalyticsPage, LogPage, SecurityEventPage
from janus.schemas.users import AdminPage, UserPage


class _Viewer:
    """What ``visible`` reads of an Actor, with a stand-in id."""

    def __init__(self, is_admin: bool, viewer_id):
        self.is_admin, self.id = is_admin, viewer_id


class Resource:
    """One resource's hot reads: GET by id and keyset pages, visible to the
    actor exactly as ``janus.access.visible`` says (``owner``: the owning
    column; None: admins only, moderator and up), filtered as the list's
    declaration (janus.lists) says; ``base``: the select (default the
    repository's)."""

    def __init__(self, view: View, page_type, listing: Listing, *, base=None):
        self.view, self.page_type, self.listing = view, page_type, listing
        self.owner = listing.owner
        self.repo = listing.repo
        self.base = base or self.repo.select
        self._one, self._page = HotQuery(self._one_query), HotQuery(self.page_query)
        self._probe = Probe(self) if listing.search is not None else None
        self._count = HotQuery(self._count_query)
        # Where each order's column and the id are in a row (every sortable
        # field is one the response shows: its cursor is built from the row).
        self.positions = {key: (view.place(order.column), view.place(view.model.id))
                          for key, order in listing.orders.items()}

    def _visible(self, slots: Slots, is_admin: bool) -> pw.Select:
        query = self.base(*self.view.columns)
        if self.owner is None:
            return query
        viewer = _Viewer(is_admin, None if is_admin else slots.integer("viewer"))
        return visible(query, self.owner, viewer)

    def _one_query(self, slots: Slots, is_admin: bool) -> pw.Select:
        query = self._visible(slots, is_admin)
        return query.where(self.view.model.id == slots.integer("id")).limit(1)

    def _narrowed(self, slots: Slots, is_admin: bool, given: tuple):
        filters, bounds = {}, {}
        for name in given:
            if isinstance(name, tuple) and name[0] == "q":  # ("q", form): the search
                filters["q"] = Term(name[1], slots.text("q", plan_per_value=True))
            elif isinstance(name, tuple):  # (name, value): a value that is part of the shape
                filters[name[0]] = name[1]
            elif name in ("since", "until"):
                bounds[name] = slots.moment(name)
            else:
                filters[name] = getattr(slots, self.listing.filters[name].kind)(name)
        return self.listing.narrow(self._visible(slots, is_admin), filters,
                                   bounds.get("since"), bounds.get("until"))

    def page_query(self, slots: Slots, is_admin: bool, given: tuple, sort: str, after: bool,
                   limit: str = "fetch"):
        """The page's query in the shape ``given``, ``sort``, ``after`` (a
        cursor or not), its row limit the value named ``limit``."""
        query = self._narrowed(slots, is_admin, given)
        # The sort is part of the shape; the cursor's value a stand-in of its column's kind.
        column = self.listing.orders[sort].column
        kind = ("moment" if isinstance(column, pw.DateTimeField)
                else "integer" if isinstance(column, pw.IntegerField) else "text")
        position = (getattr(slots, kind)("after_value"), slots.integer("after_id")) \
            if after else None
        return self.listing.order(query, sort, slots.integer(limit), position)

    def _count_query(self, slots: Slots, is_admin: bool, given: tuple):
        # Joins of the visible select are one row per listed row (to-one), so
        # counting its rows counts the list's.
        return self._narrowed(slots, is_admin, given).select(pw.fn.COUNT(pw.SQL("*")))

    def _check(self, actor: Actor) -> None:
        if self.owner is None:
            require_level(actor, "moderator")

    def get(self, actor: Actor, row_id: int):
        """The row as its response Struct, or NotFound (also when not visible)."""
        self._check(actor)
        rows = (self._one.rows((actor.is_admin,), {"viewer": actor.id, "id": row_id})
                if is_row_id(row_id) else None)
        if not rows:
            raise NotFound(f"{self.view.model.__name__} {row_id} not found")
        return self.view.out(rows[0])

    def page(self, actor: Actor, q):
        """One keyset page of the list query ``q`` as its response Struct."""
        self._check(actor)
        declared = self.listing.filters
        filters = self.listing.given(q)  # normalised; 422 for an empty time range
        values = {"viewer": actor.id, "fetch": q.limit + 1}
        given = []
        for name in ("since", "until"):
            if getattr(q, name) is not None:
                given.append(name)
                values[name] = naive_utc(getattr(q, name))
        for name, value in filters.items():
            if name == "q":  # how it runs is part of the shape, its pattern a parameter
                given.append(("q", value.form))
                values["q"] = value.pattern
            elif declared[name].shape:
                given.append((name, value))
            else:
                given.append(name)
                values[name] = value
        order = self.listing.orders[q.sort]
        if q.cursor:
            values["after_value"], values["after_id"] = decode_cursor(q.cursor, order)
        shape = (actor.is_admin, tuple(given), q.sort, bool(q.cursor))
        rows = None
        if "q" in filters and filters["q"].form == "fts":  # janus.lists.probe
            rows = self._probe.rows(shape, values, q.sort)
        if rows is None:
            rows = self._page.rows(shape, values)
        value, row_id = self.positions[q.sort]
        page = page_of(rows, q.limit, order, lambda row: (row[value], row[row_id]))
        total = self._count.rows(shape[:2], values)[0][0] if q.count else None
        return self.page_type(self.view.out_all(page.items), page.next_cursor,
                              total)


class UserReads(Resource):
    """GET /users: a bearer token's own account is answered from the row the
    token check read (janus.repos.tokens: the user and their admin level, in
    the same statement), not read again: a round trip less."""

    def get(self, actor: Actor, row_id: int):
        # An API key acts at its scopes' level, not the stored one: read the row.
        if row_id == actor.id and actor.token is not None and actor.key is None:
            return self.view.from_model(actor.user, admin_level=actor.level)
        return super().get(actor, row_id)


user_reads = UserReads(USER_VIEW, UserPage, USERS, base=users.with_level)
admin_reads = Resource(ADMIN_VIEW, AdminPage, ADMINS)
image_reads = Resource(IMAGE_VIEW, ImagePage, IMAGES)
log_reads = Resource(LOG_VIEW, LogPage, LOGS)
analytics_reads = Resource(ANALYTICS_VIEW, AnalyticsPage, ANALYTICS)
security_event_reads = Resource(SECURITY_EVENT_VIEW, SecurityEventPage, SECURITY_EVENTS)
