"""Each list's compiled reads (janus.repos.compiled): GET by id and keyset
pages of every resource, filtered as its declaration says, as response
Structs built straight from rows (no model instance per listed row)."""
from __future__ import annotations

import peewee as pw

from janus.access import Actor, require_level, visible
from janus.errors import NotFound
from janus.lists import Listing
from janus.lists.images import IMAGES
from janus.lists.records import ANALYTICS, LOGS, SECURITY_EVENTS
from janus.lists.users import ADMINS, USERS
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.repos.base import decode_cursor, is_row_id, naive_utc, page_of
from janus.repos.compiled import HotQuery, Slots
from janus.repos.users import users
from janus.schemas.common import utc
from janus.schemas.images import ImageOut, ImagePage
from janus.schemas.records import (
    AnalyticsOut,
    AnalyticsPage,
    LogOut,
    LogPage,
    SecurityEventOut,
    SecurityEventPage,
)
from janus.schemas.users import AdminOut, AdminPage, UserOut, UserPage


# -- response Structs straight from rows ------------------------------------------
def _or_empty(value):
    return value or {}


def _is_set(value) -> bool:
    return value is not None


class View:
    """A response Struct read from one row: a column per Struct field, in the
    Struct's order (the model's field of the same name unless ``special``
    says ``name=(column, fix)``); times become aware UTC, as ``from_row`` does."""

    def __init__(self, struct, model, **special):
        self.struct, self.model = struct, model
        columns, fixes = [], []
        for name in struct.__struct_fields__:
            column, fix = special.get(name) or (getattr(model, name), None)
            if fix is None and isinstance(column, pw.DateTimeField):
                fix = utc
            columns.append(column)
            fixes.append(fix)
        self.columns = tuple(columns)
        self.fixes = tuple((i, fix) for i, fix in enumerate(fixes) if fix is not None)
        # By identity: ``==`` on peewee fields builds an expression.
        when = getattr(model, model.ordering_field)
        self.position = tuple(next(i for i, column in enumerate(self.columns) if column is field)
                              for field in (when, model.id))

    def out(self, row: list):
        for i, fix in self.fixes:
            row[i] = fix(row[i])
        return self.struct(*row)


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
        self._one, self._page = HotQuery(self._one_query), HotQuery(self._page_query)

    def _visible(self, slots: Slots, is_admin: bool) -> pw.Select:
        query = self.base(*self.view.columns)
        if self.owner is None:
            return query
        viewer = _Viewer(is_admin, None if is_admin else slots.integer("viewer"))
        return visible(query, self.owner, viewer)

    def _one_query(self, slots: Slots, is_admin: bool) -> pw.Select:
        query = self._visible(slots, is_admin)
        return query.where(self.view.model.id == slots.integer("id")).limit(1)

    def _page_query(self, slots: Slots, is_admin: bool, given: tuple, after: bool):
        filters, bounds = {}, {}
        for name in given:
            if isinstance(name, tuple):  # (name, value): a value that is part of the shape
                filters[name[0]] = name[1]
            elif name in ("since", "until"):
                bounds[name] = slots.moment(name)
            else:
                filters[name] = getattr(slots, self.listing.filters[name].kind)(name)
        query = self.listing.narrow(self._visible(slots, is_admin), filters,
                                    bounds.get("since"), bounds.get("until"))
        position = (slots.moment("after_when"), slots.integer("after_id")) if after else None
        return self.repo.keyset(query, slots.integer("fetch"), position)

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
            if declared[name].shape:
                given.append((name, value))
            else:
                given.append(name)
                values[name] = value
        if q.cursor:
            values["after_when"], values["after_id"] = decode_cursor(q.cursor)
        rows = self._page.rows((actor.is_admin, tuple(given), bool(q.cursor)), values)
        when, row_id = self.view.position
        page = page_of(rows, q.limit, lambda row: (row[when], row[row_id]))
        return self.page_type([self.view.out(row) for row in page.items], page.next_cursor)


user_reads = Resource(
    View(UserOut, User, admin_level=(Admin.admin_level, None),
         email_verified=(User.email_verified_at, _is_set)), UserPage,
    USERS, base=users.with_level)
admin_reads = Resource(
    View(AdminOut, Admin, username=(User.username, None), email=(User.email, None)),
    AdminPage, ADMINS)
image_reads = Resource(
    View(ImageOut, Image, has_file=(Image.storage_key, _is_set),
         image_metadata=(Image.image_metadata, _or_empty)), ImagePage, IMAGES)
log_reads = Resource(
    View(LogOut, Log, log_metadata=(Log.log_metadata, _or_empty)), LogPage, LOGS)
analytics_reads = Resource(View(AnalyticsOut, Analytics), AnalyticsPage, ANALYTICS)
security_event_reads = Resource(
    View(SecurityEventOut, SecurityEvent,
         security_metadata=(SecurityEvent.security_metadata, _or_empty)),
    SecurityEventPage, SECURITY_EVENTS)
