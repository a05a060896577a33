"""GET /console/audit: the audit trail as a filterable timeline (actor,
action, module, object, time window) in keyset pages, newest first. Each
row shows its change as a before/after table and links to its actor and,
where the console has a page for it, its object. One query for the rows and
their actors (janus.services.history), whatever the page size."""
from __future__ import annotations

from janus.errors import ValidationError
from janus.lists.records import TIMELINE, TimelineQuery
from janus.services import history
from janus.web.console.filters import declared_form
from janus.web.console.inputs import given, problem, read
from janus.web.console.render import page_links, render
from janus.web.console.values import shown

PATH = "/console/audit"
# Object types with a console page of their own.
OBJECT_PAGES = {"user": "/console/users/{}", "image": "/console/images/{}"}
# What the object filter offers (janus.audit.record_change's object types).
OBJECT_TYPES = ("user", "admin", "image", "analytics", "security_event")
PAGE_SIZES = (25, 50, 100, 200)
# The source filter: who wrote the row (janus.models.SOURCES).
SOURCES = (("service", "recorded by the service"), ("client", "reported by a client"))
# A change's field naming an object that has a page.
RELATED = {"user_id": "user", "image_id": "image"}


def _link(kind: str, object_id: int) -> str | None:
    return OBJECT_PAGES[kind].format(object_id) if kind in OBJECT_PAGES else None


def _subject(row, changes) -> dict | None:
    """The object: its type, id and page. An object without a page of its
    own (an admin row, an analytics record) links to the user or image its
    change names (``user_id``, ``image_id``), if any."""
    about = history.subject(row)
    if about is None:
        return None
    kind, object_id = about
    subject = {"kind": kind, "id": object_id, "href": _link(kind, object_id), "related": None}
    if subject["href"] is None:
        for change in changes:
            value = change.after if change.has_after else change.before
            related = RELATED.get(change.field)
            if related and isinstance(value, int) and not isinstance(value, bool):
                subject["related"] = {"kind": related, "id": value,
                                      "href": _link(related, value)}
                break
    return subject


def entry(row) -> dict:
    """One timeline row, ready to show (values as text, autoescaped by the template)."""
    changes = history.diff(row)
    actor = history.user_of(row)
    return {
        "id": row.id, "when": row.timestamp, "action": row.action, "module": row.module,
        "level": row.level, "reported": history.is_reported(row),
        "actor": None if actor is None else {"id": actor.id, "username": actor.username,
                                             "href": _link("user", actor.id)},
        "subject": _subject(row, changes),
        "changes": [{"field": c.field,
                     "before": shown(c.before) if c.has_before else None,
                     "after": shown(c.after) if c.has_after else None} for c in changes],
        "details": [(key, shown(value)) for key, value in history.details(row).items()],
    }


def register(console) -> None:
    @console.page(PATH)
    def console_audit(actor):
        form = given(TimelineQuery)
        context = {"title": "Audit log", "form": form,
                   **declared_form(TIMELINE, form, choices={
                       "object_type": [(kind, kind) for kind in OBJECT_TYPES],
                       "source": SOURCES}, hints={"action": "user.updated", "module": "user"}),
                   "page_sizes": PAGE_SIZES, "entries": [], "next_url": None, "first_url": None,
                   "error": None}
        try:  # a bad value, or a cursor this service never issued
            page = history.timeline(actor, read(TimelineQuery, form))
        except ValidationError as exc:
            return render("audit.html", status=422,
                          **{**context, "error": problem(exc)})
        return render("audit.html", **{**context, "entries": [entry(row) for row in page.items],
                                     **page_links(PATH, form, page.next_cursor)})
