"""/security-events: logins, failures, lockouts, password and admin changes.
Read your own (admins: all); append-only; only admins append."""
from __future__ import annotations

from janus.audit import record_change
from janus.db import database
from janus.models import SecurityEvent
from janus.repos.security import security_events
from janus.repos.users import users
from janus.web.access import require_level, visible
from janus.web.jsonio import read_json, read_query
from janus.web.plugin import current_user
from janus.web.schemas.records import (SecurityEventCreateIn, SecurityEventOut,
                                       SecurityEventPage, SecurityEventQuery,
                                       security_event_out)


def register(api) -> None:
    config = api.config

    @api.route("GET", "/security-events", summary="List security events, newest first",
               tag="security", query=SecurityEventQuery, response=SecurityEventPage)
    def list_security_events():
        q = read_query(SecurityEventQuery)
        query = security_events.since(
            visible(security_events.select(), SecurityEvent.user, current_user()),
            q.since, q.until)
        if q.user_id is not None:
            query = security_events.by_user(q.user_id, query)
        if q.action is not None:
            query = security_events.by_action(q.action, query)
        if q.account is not None:
            query = security_events.by_account(q.account, query)
        if q.ip is not None:
            query = security_events.by_ip(q.ip, query)
        page = security_events.page(query, limit=q.limit, cursor=q.cursor)
        return SecurityEventPage([security_event_out(r) for r in page.items], page.next_cursor)

    @api.route("GET", "/security-events/<event_id:int>", summary="One security event",
               tag="security", response=SecurityEventOut, errors=(404,))
    def get_security_event(event_id):
        query = visible(security_events.select(), SecurityEvent.user, current_user())
        return security_event_out(security_events.get_by_id(event_id, query))

    @api.route("POST", "/security-events", summary="Report a security event (admins)",
               tag="security", body=SecurityEventCreateIn, response=SecurityEventOut,
               status=201, errors=(403, 404))
    def create_security_event():
        me = current_user()
        require_level(me, "moderator")
        body = read_json(SecurityEventCreateIn, config.max_body_bytes)
        subject = users.get_by_id(body.user_id) if body.user_id is not None else None
        with database.atomic():
            row = security_events.record(
                body.action, user=subject, account=body.account, ip=body.ip,
                user_agent=body.user_agent,
                metadata={**body.security_metadata, "reported_by": me.id})
            record_change(me, "security_event.reported", "security_event", row.id,
                          {"action": row.action, "user_id": row.user_id})
        return security_event_out(row)
