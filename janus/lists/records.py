"""GET /logs, /security-events and /analytics, and the console's audit
timeline: their one declaration each."""
from __future__ import annotations

from janus.lists import Filter, Listing
from janus.lists.views import View, or_empty
from janus.models import Analytics, Log, SecurityEvent
from janus.repos.analytics import analytics
from janus.repos.logs import logs
from janus.repos.security import normalise_account, normalise_ip, security_events
from janus.schemas.common import Id, ListQuery
from janus.schemas.records import (
    AnalyticsOut,
    Level,
    LogOut,
    Module,
    SecurityEventOut,
    Source,
)

_SOURCE = ("Who wrote the row: service (the service recorded it itself) or client (posted "
           "to POST /logs or POST /security-events: stored and shown, never acted on: no "
           "lockout, unlock or count reads it).")


def _user(model, label: str | None = None) -> Filter:
    return Filter("user_id", model.user, Id, "Id of the user this is about, or null.",
                  label=label)


def _action(model, label: str | None = None) -> Filter:
    return Filter("action", model.action, str,
                  "What happened, e.g. login_failed or image.create.", label=label)


def _source(model) -> Filter:
    # Two values: each its own compiled shape rather than a parameter.
    return Filter("source", model.source, Source, _SOURCE, shape=True, label="Source")


def _strip(value: str) -> str:
    return value.strip()


LOG_SORT = ("action", "module")
LOGS = Listing(
    logs, _user(Log, "Actor (user id)"), _action(Log, "Action"),
    Filter("module", Log.module, str, "The part of the application the event comes from.",
           label="Module"),
    Filter("level", Log.level, Level, "Severity."),
    _source(Log), owner=Log.user, sort=LOG_SORT, search=(Log.action, Log.module))
LogQuery = LOGS.query_struct("LogQuery", ListQuery)
LOG_VIEW = View(LogOut, Log, log_metadata=(Log.log_metadata, or_empty))

# The console's audit timeline: the filters of GET /logs, and the object a
# row is about (``object_type`` and ``object_id`` of its metadata).
TIMELINE = Listing(
    logs, *LOGS.filters.values(),
    Filter("object_type", Log.log_metadata["object_type"], Module,
           "The kind of object the row is about.", label="Object type"),
    Filter("object_id", Log.log_metadata["object_id"], Id, "The object the row is about.",
           label="Object id"),
    owner=Log.user, sort=LOG_SORT)
TimelineQuery = TIMELINE.query_struct("TimelineQuery", ListQuery)

SECURITY_EVENTS = Listing(
    security_events, _user(SecurityEvent, "User id"), _action(SecurityEvent, "Kind"),
    Filter("account", SecurityEvent.account, str,
           "The account name the event is about (an email or username, as typed).",
           normalise=normalise_account, label="Account"),
    Filter("ip", SecurityEvent.ip, str, "Client address (IPv4 or IPv6).",
           normalise=normalise_ip, label="Address"),
    _source(SecurityEvent), owner=SecurityEvent.user, sort=("action",),
    search=(SecurityEvent.account, SecurityEvent.action, SecurityEvent.user_agent))
SecurityEventQuery = SECURITY_EVENTS.query_struct("SecurityEventQuery", ListQuery)
SECURITY_EVENT_VIEW = View(SecurityEventOut, SecurityEvent,
                           security_metadata=(SecurityEvent.security_metadata, or_empty))

ANALYTICS = Listing(
    analytics,
    Filter("research_topic", Analytics.research_topic, str, "What the record is about.",
           normalise=_strip),
    Filter("image_id", Analytics.image, Id, "Id of the image this is about, or null."),
    _user(Analytics), owner=Analytics.user, sort=("research_topic",),
    search=(Analytics.research_topic,))
AnalyticsQuery = ANALYTICS.query_struct("AnalyticsQuery", ListQuery)
ANALYTICS_VIEW = View(AnalyticsOut, Analytics)
