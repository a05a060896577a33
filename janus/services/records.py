"""Analytics records, client audit events and reported security events:
reads narrowed to what the actor may see, and every write in one
transaction with its audit row.

Request Structs (``janus.schemas.records``) have validated shapes and
limits before anything here runs; fields pass through by name, so a new
writable column needs no code here.
"""
from __future__ import annotations

from datetime import datetime

import msgspec

from janus.access import Actor, changeable_row, require_level, visible, visible_row
from janus.audit import record_change
from janus.db import database
from janus.models import Analytics, Log, SecurityEvent
from janus.repos.analytics import analytics
from janus.repos.base import Page
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.repos.users import users
from janus.schemas.common import provided
from janus.schemas.records import (
    AnalyticsCreateIn,
    AnalyticsPatchIn,
    AnalyticsQuery,
    LogCreateIn,
    LogQuery,
    SecurityEventCreateIn,
    SecurityEventQuery,
)
from janus.services import dated
from janus.services import images as image_service

# Large free-form documents are noted as changed in the audit trail, not copied.
NOT_COPIED = frozenset({"data"})


# -- analytics -------------------------------------------------------------
def visible_analytics(actor: Actor, record_id: int) -> Analytics:
    return visible_row(analytics, Analytics.user, actor, record_id)


def _changeable_analytics(actor: Actor, record_id: int) -> Analytics:
    return changeable_row(analytics, Analytics.user, actor, record_id)


def _page(repo, actor: Actor, q, filters: dict) -> Page:
    """One visible, filtered keyset page: ``filters`` maps a query field to
    the repository filter it feeds (fields left at None are not applied)."""
    query = repo.since(visible(repo.select(), repo.model.user, actor), q.since, q.until)
    for name, narrow in filters.items():
        value = getattr(q, name)
        if value is not None:
            query = narrow(value, query)
    return repo.page(query, limit=q.limit, cursor=q.cursor)


def list_analytics(actor: Actor, q: AnalyticsQuery) -> Page:
    """The ORM form of GET /analytics; the route runs its compiled twin
    (janus.hotpath.reads), and tests/test_hotpath.py holds the two equal."""
    return _page(analytics, actor, q, {"research_topic": analytics.by_topic,
                                       "image_id": analytics.by_image,
                                       "user_id": analytics.by_user})


def _audit_summary(fields: dict) -> dict:
    return {key: ("changed" if key in NOT_COPIED else value) for key, value in fields.items()}


def create_analytics(actor: Actor, body: AnalyticsCreateIn, *,
                     at: datetime | None = None) -> Analytics:
    """A record owned by ``actor``; a linked image must be visible to them (else 404).
    ``at``: when, if not now (the seed loader's times)."""
    fields = msgspec.structs.asdict(body)
    image_id = fields.pop("image_id")
    with database.atomic():
        if image_id is not None:
            image_service.visible_image(actor, image_id)
        row = analytics.create(image=image_id, user=actor.id, **fields,
                               **dated(at, "created_at", "updated_at"))
        record_change(actor.user, "analytics.created", "analytics", row.id,
                      {"research_topic": row.research_topic, "image_id": row.image_id}, at=at)
    return row


def update_analytics(actor: Actor, record_id: int, body: AnalyticsPatchIn) -> Analytics:
    with database.atomic():
        row = _changeable_analytics(actor, record_id)
        fields = provided(body)
        if "image_id" in fields:
            image_id = fields.pop("image_id")
            if image_id is not None:
                image_service.visible_image(actor, image_id)
            fields["image"] = image_id
        changes = analytics.update_with_changes(row, fields)
        if changes:
            # The audit row says image_id, as analytics.created does.
            named = {("image_id" if key == "image" else key): value
                     for key, value in changes.items()}
            record_change(actor.user, "analytics.updated", "analytics", row.id,
                          _audit_summary(named))
    return row


def delete_analytics(actor: Actor, record_id: int) -> None:
    with database.atomic():
        row = _changeable_analytics(actor, record_id)
        record_change(actor.user, "analytics.deleted", "analytics", row.id,
                      {"research_topic": row.research_topic})
        analytics.delete(row)


# -- the audit trail ---------------------------------------------------------
def visible_log(actor: Actor, log_id: int) -> Log:
    return visible_row(logs, Log.user, actor, log_id)


def list_logs(actor: Actor, q: LogQuery) -> Page:
    """The ORM form of GET /logs; the route runs its compiled twin
    (janus.hotpath.reads), and tests/test_hotpath.py holds the two equal."""
    return _page(logs, actor, q, {"user_id": logs.by_user, "action": logs.by_action,
                                  "module": logs.by_module, "level": logs.by_level,
                                  "source": logs.by_source})


def append_log(actor: Actor, body: LogCreateIn) -> Log:
    """A client-side event, recorded as the actor's (the audit row is itself),
    labelled ``source = client``: any action name is taken, and the label is
    what tells it from the service's own rows."""
    with database.atomic():
        return logs.record(body.action, body.module, user=actor.user, level=body.level,
                           metadata=body.log_metadata, source="client")


# -- security events ---------------------------------------------------------
def visible_security_event(actor: Actor, event_id: int) -> SecurityEvent:
    return visible_row(security_events, SecurityEvent.user, actor, event_id)


def list_security_events(actor: Actor, q: SecurityEventQuery) -> Page:
    """The ORM form of GET /security-events; the route runs its compiled twin
    (janus.hotpath.reads), and tests/test_hotpath.py holds the two equal."""
    events = security_events
    return _page(events, actor, q, {"user_id": events.by_user, "action": events.by_action,
                                    "account": events.by_account, "ip": events.by_ip,
                                    "source": events.by_source})


def report_security_event(actor: Actor, body: SecurityEventCreateIn) -> SecurityEvent:
    """An event reported by another component (a gateway, say). Admins only.
    Stored with ``source = client`` and ``reported_by``: it is shown, and it
    never acts (the lockout and every count read the service's rows alone)."""
    require_level(actor, "moderator")
    with database.atomic():
        subject = users.get_by_id(body.user_id) if body.user_id is not None else None
        row = security_events.record(
            body.action, user=subject, account=body.account, ip=body.ip,
            user_agent=body.user_agent,
            metadata={**body.security_metadata, "reported_by": actor.id},
            source="client", reported_by=actor.id)
        record_change(actor.user, "security_event.reported", "security_event", row.id,
                      {"action": row.action, "user_id": row.user_id})
    return row
