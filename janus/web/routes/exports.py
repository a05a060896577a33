"""GET /<list>/export for every list: one registration loop over ``EXPORTS``.

A handler checks everything before the first byte goes out -- the query
(422), access (403), the caller's rate (429), a free export slot in this
worker (503), the first batch -- and then returns the body as a generator
that reads the rest batch by batch (janus.lists.export). An error after
that cannot change the status any more: it is logged and the connection is
cut, so the client sees a truncated transfer, never a short file that looks
whole. The manual is docs/api.md, "Export".
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import UTC, datetime

from bottle import request, response

from janus.errors import ServiceUnavailable
from janus.lists.export import export_rows, export_struct
from janus.lists.images import ImageQuery
from janus.lists.reads import (
    Resource,
    admin_reads,
    analytics_reads,
    image_reads,
    log_reads,
    security_event_reads,
    user_reads,
)
from janus.lists.records import AnalyticsQuery, LogQuery, SecurityEventQuery
from janus.lists.users import AdminQuery, UserQuery
from janus.services.exports import record_export
from janus.web import export_body

log = logging.getLogger("janus.export")


@dataclasses.dataclass(frozen=True)
class Export:
    """One list's export: its path, reads and list query; ``audited``: the
    module of the audit row an export writes (None: none); ``renamed``: list
    filters sent under another name (``format`` is the export's own). Its
    API-key scope is the list route's (registered before it)."""

    path: str
    reads: Resource
    list_query: type
    tag: str
    audited: str | None = None
    renamed: dict = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:  # "security-events" -> "security_events"
        return self.path.strip("/").replace("-", "_")


EXPORTS = (
    Export("/users", user_reads, UserQuery, "users"),
    Export("/admins", admin_reads, AdminQuery, "admins"),
    Export("/images", image_reads, ImageQuery, "images", renamed={"format": "image_format"}),
    Export("/logs", log_reads, LogQuery, "logs", audited="log"),
    Export("/analytics", analytics_reads, AnalyticsQuery, "analytics"),
    Export("/security-events", security_event_reads, SecurityEventQuery, "security",
           audited="security_event"),
)


class Slots:
    """At most N exports streaming at once in this worker (each holds one of
    its threads for as long as the client reads): beyond, a 503 at once."""

    def __init__(self, limit: int):
        self.limit, self._free = limit, threading.BoundedSemaphore(limit)

    def take(self) -> None:
        if not self._free.acquire(blocking=False):
            raise ServiceUnavailable("too many exports are running right now; try again "
                                     "shortly", details={"export_concurrency": self.limit})

    def give_back(self) -> None:
        self._free.release()


def _description(export: Export) -> str:
    struct = export.reads.view.struct.__name__
    text = (f"Every row GET {export.path} would list to the caller, with its filters, in "
            f"its order (?sort=; default newest first), streamed: format=ndjson (default) "
            f"one {struct} per line, format=csv a header row of its field names then one "
            "row per item (nested JSON as JSON text; a cell starting with = + - @, tab or "
            "CR is prefixed with '). Counted per user (JANUS_RATE_LIMIT_EXPORT): 429 "
            "beyond it; 503 when this worker streams JANUS_EXPORT_CONCURRENCY exports "
            "already. An error after the first byte cuts the transfer short.")
    if export.renamed:
        text += " Sent under another name here: " + ", ".join(
            f"the list's {old} as {new}" for old, new in export.renamed.items()) + "."
    if export.audited:
        text += " Writes an audit row (action " + export.audited + ".exported)."
    return text


def register(api) -> None:
    slots = Slots(api.config.export_concurrency)
    for export in EXPORTS:
        _register(api, export, slots)


def _register(api, export: Export, slots: Slots) -> None:
    struct = export.reads.view.struct
    query_type = export_struct(f"{struct.__name__.removesuffix('Out')}ExportQuery",
                               export.list_query, export.renamed)
    limits = api.limits
    (scope,) = [spec.scope for spec in api.specs
                if (spec.method, spec.path) == ("GET", export.path)]

    def handler(actor, query):
        limits.hit("export", actor.id)  # per user, before any work
        slots.take()
        try:
            batches = export_rows(export.reads, export.list_query, actor, query)
            if export.audited:
                record_export(actor, export.name, export.audited, query)
            day = datetime.now(UTC).date().isoformat()
            response.content_type = export_body.MEDIA[query.output]
            response.set_header("Content-Disposition", f'attachment; filename='
                                f'"{export.path[1:]}-{day}.{query.output}"')
            counted = Counted(batches)
            outcome = {"request_id": request.environ.get("janus.request_id"),
                       "list": export.name, "format": query.output, "user_id": actor.id}
            return _stream(export_body.body(query.output, struct, counted), counted, outcome,
                           slots)
        except BaseException:
            slots.give_back()
            raise

    handler.__name__ = handler.__qualname__ = f"export_{export.name}"
    api.route("GET", f"{export.path}/export", summary=f"Export {export.path[1:]} as CSV or "
              "NDJSON", tag=export.tag, query=query_type, response=struct,
              response_media=tuple(m.split(";")[0] for m in export_body.MEDIA.values()),
              errors=(403,) if export.reads.owner is None else (),  # moderators and up
              rate_limit="export", scope=scope, description=_description(export),
              headers={"Content-Disposition": 'attachment; filename="<list>-<UTC date>.csv" '
                       "(or .ndjson)"})(handler)


class Counted:
    """The batches, counting the rows that went by."""

    def __init__(self, batches):
        self.batches, self.rows = batches, 0

    def __iter__(self):
        for items in self.batches:
            self.rows += len(items)
            yield items


def _stream(chunks, counted: Counted, outcome: dict, slots: Slots):
    """The body: ``chunks``, the slot given back and the outcome logged
    however it ends (read to the end, an error, the client gone)."""
    ended = "aborted"  # the server closed the body early: the client went away
    try:
        yield from chunks
        ended = "complete"
    except Exception as exc:
        ended = "failed"
        log.error({"message": "export failed mid-stream; transfer cut short", **outcome,
                   "rows": counted.rows, "detail": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        slots.give_back()
        if ended != "failed":
            log.info({"message": f"export {ended}", **outcome, "rows": counted.rows})
