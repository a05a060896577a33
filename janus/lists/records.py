"""GET /logs, /security-events and /analytics, and the console's audit
timeline: their one declaration each."""
from __future__ import annotations

from janus.lists import Filter, Listing
from janus.models import Analytics, Log, SecurityEvent
from janus.repos.analytics import analytics
from janus.repos.logs import logs
from janus.repos.security import normalise_account, normalise_ip, security_events
from janus.schemas.common import Id, ListQuery
from janus.schemas.records import Level, Module, Source

_SOURCE = ("Who wrote the row: service (the service recorded it itself) or client (posted "
           "to POST /logs or POST /security-events: stored and shown, never acted on: no "
           "lockout, unlock or count reads it).")


def _user(model) -> Filter:
    return Filter("user_id", model.user, Id, "Id of the user this is about, or null.")


def _action(model) -> Filter:
    return Filter("action", model.action, str,
                  "What happened, e.g. login_failed or image.create.")


def _source(model) -> Filter:
    # Two values: each its own compiled shape rather than a parameter.
    return Filter("source", model.source, Source, _SOURCE, shape=True)


def _strip(value: str) -> str:
    return value.strip()


LOGS = Listing(
    logs, _user(Log), _action(Log),
    Filter("module", Log.module, str, "The part of the application the event comes from."),
    Filter("level", Log.level, Level, "Severity."),
    _source(Log), owner=Log.user, search=(Log.action, Log.module))
LogQuery = LOGS.query_struct("LogQuery", ListQuery)

# The console's audit timeline: the filters of GET /logs, and the object a
# row is about (``object_type`` and ``object_id`` of its metadata).
TIMELINE = Listing(
    logs, *LOGS.filters.values(),
    Filter("object_type", Log.log_metadata["object_type"], Module,
           "The kind of object the row is about."),
    Filter("object_id", Log.log_metadata["object_id"], Id, "The object the row is about."),
    owner=Log.user)
TimelineQuery = TIMELINE.query_struct("TimelineQuery", ListQuery)

SECURITY_EVENTS = Listing(
    security_events, _user(SecurityEvent), _action(SecurityEvent),
    Filter("account", SecurityEvent.account, str,
           "The account name the event is about (an email or username, as typed).",
           normalise=normalise_account),
    Filter("ip", SecurityEvent.ip, str, "Client address (IPv4 or IPv6).",
           normalise=normalise_ip),
    _source(SecurityEvent), owner=SecurityEvent.user,
    search=(SecurityEvent.account, SecurityEvent.action, SecurityEvent.user_agent))
SecurityEventQuery = SECURITY_EVENTS.query_struct("SecurityEventQuery", ListQuery)

ANALYTICS = Listing(
    analytics,
    Filter("research_topic", Analytics.research_topic, str, "What the record is about.",
           normalise=_strip),
    Filter("image_id", Analytics.image, Id, "Id of the image this is about, or null."),
    _user(Analytics), owner=Analytics.user, search=(Analytics.research_topic,))
AnalyticsQuery = ANALYTICS.query_struct("AnalyticsQuery", ListQuery)
