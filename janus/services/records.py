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

from janus.access import Actor, changeable_row, require_level
from janus.audit import record_change
from janus.db import database
from janus.lists import Listing
from janus.lists.records import LOGS, SECURITY_EVENTS, LogQuery, SecurityEventQuery
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
    LogCreateIn,
    SecurityEventCreateIn,
)
from janus.services import dated
from janus.services import images as image_service

# Large free-form documents are noted as changed in the audit trail, not copied.
NOT_COPIED = frozenset({"data"})


# -- analytics -------------------------------------------------------------
def _changeable_analytics(actor: Actor, record_id: int) -> Analytics:
    return changeable_row(analytics, Analytics.user, actor, record_id)


def _page(listing: Listing, actor: Actor, q) -> Page:
    """One visible keyset page of the list ``listing`` declares, as ``q`` filters it."""
    repo = listing.repo
    query = listing.narrow(listing.visible(repo.select(), actor), listing.given(q),
                           q.since, q.until)
    return listing.page(query, q)


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
def list_logs(actor: Actor, q: LogQuery) -> Page:
    """A page of the audit trail as models: the console's user page (GET
    /logs runs the same declaration compiled, janus.lists.reads)."""
    return _page(LOGS, actor, q)


def append_log(actor: Actor, body: LogCreateIn) -> Log:
    """A client-side event, recorded as the actor's (the audit row is itself),
    labelled ``source = client``: any action name is taken, and the label is
    what tells it from the service's own rows."""
    with database.atomic():
        return logs.record(body.action, body.module, user=actor.user, level=body.level,
                           metadata=body.log_metadata, source="client")


# -- security events ---------------------------------------------------------
def list_security_events(actor: Actor, q: SecurityEventQuery) -> Page:
    """A page of security events as models: the console's user page (GET
    /security-events runs the same declaration compiled, janus.lists.reads)."""
    return _page(SECURITY_EVENTS, actor, q)


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
