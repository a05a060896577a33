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

from janus.access import Actor, require_level, require_owner_or_superadmin, visible
from janus.audit import record_change
from janus.db import database
from janus.models import Analytics, Log, SecurityEvent
from janus.repos.analytics import analytics
from janus.repos.base import Page
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.repos.users import users
from janus.schemas.common import provided
from janus.schemas.records import (AnalyticsCreateIn, AnalyticsPatchIn, AnalyticsQuery,
                                   LogCreateIn, LogQuery, SecurityEventCreateIn,
                                   SecurityEventQuery)
from janus.services import dated
from janus.services import images as image_service

# Large free-form documents are noted as changed in the audit trail, not copied.
NOT_COPIED = frozenset({"data"})


# -- analytics -------------------------------------------------------------
def visible_analytics(actor: Actor, record_id: int) -> Analytics:
    return analytics.get_by_id(record_id, visible(analytics.select(), Analytics.user, actor))


def list_analytics(actor: Actor, q: AnalyticsQuery) -> Page:
    query = analytics.since(visible(analytics.select(), Analytics.user, actor), q.since, q.until)
    if q.research_topic is not None:
        query = analytics.by_topic(q.research_topic, query)
    if q.image_id is not None:
        query = analytics.by_image(q.image_id, query)
    if q.user_id is not None:
        query = analytics.by_user(q.user_id, query)
    return analytics.page(query, limit=q.limit, cursor=q.cursor)


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
    fields = provided(body)
    with database.atomic():
        row = visible_analytics(actor, record_id)
        require_owner_or_superadmin(row.user_id, actor)
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
        row = visible_analytics(actor, record_id)
        require_owner_or_superadmin(row.user_id, actor)
        record_change(actor.user, "analytics.deleted", "analytics", row.id,
                      {"research_topic": row.research_topic})
        analytics.delete(row)


# -- the audit trail ---------------------------------------------------------
def visible_log(actor: Actor, log_id: int) -> Log:
    return logs.get_by_id(log_id, visible(logs.select(), Log.user, actor))


def list_logs(actor: Actor, q: LogQuery) -> Page:
    query = logs.since(visible(logs.select(), Log.user, actor), q.since, q.until)
    if q.user_id is not None:
        query = logs.by_user(q.user_id, query)
    if q.action is not None:
        query = logs.by_action(q.action, query)
    if q.module is not None:
        query = logs.by_module(q.module, query)
    if q.level is not None:
        query = logs.by_level(q.level, query)
    return logs.page(query, limit=q.limit, cursor=q.cursor)


def append_log(actor: Actor, body: LogCreateIn) -> Log:
    """A client-side event, recorded as the actor's (the audit row is itself)."""
    with database.atomic():
        return logs.record(body.action, body.module, user=actor.user, level=body.level,
                           metadata=body.log_metadata)


# -- security events ---------------------------------------------------------
def visible_security_event(actor: Actor, event_id: int) -> SecurityEvent:
    query = visible(security_events.select(), SecurityEvent.user, actor)
    return security_events.get_by_id(event_id, query)


def list_security_events(actor: Actor, q: SecurityEventQuery) -> Page:
    query = security_events.since(visible(security_events.select(), SecurityEvent.user, actor),
                                  q.since, q.until)
    if q.user_id is not None:
        query = security_events.by_user(q.user_id, query)
    if q.action is not None:
        query = security_events.by_action(q.action, query)
    if q.account is not None:
        query = security_events.by_account(q.account, query)
    if q.ip is not None:
        query = security_events.by_ip(q.ip, query)
    return security_events.page(query, limit=q.limit, cursor=q.cursor)


def report_security_event(actor: Actor, body: SecurityEventCreateIn) -> SecurityEvent:
    """An event reported by another component (a gateway, say). Admins only."""
    require_level(actor, "moderator")
    with database.atomic():
        subject = users.get_by_id(body.user_id) if body.user_id is not None else None
        row = security_events.record(
            body.action, user=subject, account=body.account, ip=body.ip,
            user_agent=body.user_agent,
            metadata={**body.security_metadata, "reported_by": actor.id})
        record_change(actor.user, "security_event.reported", "security_event", row.id,
                      {"action": row.action, "user_id": row.user_id})
    return row
