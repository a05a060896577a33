"""/security-events: logins, failures, lockouts, password and admin changes.
Read your own (admins: all); append-only; only admins append."""
from __future__ import annotations

from janus.lists.reads import security_event_reads
from janus.lists.records import SECURITY_EVENT_VIEW, SecurityEventQuery
from janus.schemas.records import (
    SecurityEventCreateIn,
    SecurityEventOut,
    SecurityEventPage,
)
from janus.services import records

REPORTED = ("For another component (a gateway, say) to pass on what it saw. Stored with "
            "source \"client\" and reported_by (your user id), listed and shown as "
            "reported, and never acted on: a reported login_failed, login_success or "
            "lockout_cleared locks, resets and unlocks nothing, and no count reads it. Any "
            "action name is accepted: no name is reserved for the service, whose own rows "
            "carry source \"service\".")


def register(api) -> None:
    api.get_list("/security-events", security_event_reads, name="list_security_events",
                 summary="List security events (newest first by default)", tag="security",
                 query=SecurityEventQuery, response=SecurityEventPage, scope="security:read")

    api.get_one("/security-events/<event_id:int>", security_event_reads.get,
                name="get_security_event", summary="One security event",
                tag="security", response=SecurityEventOut, scope="security:read")

    @api.route("POST", "/security-events", summary="Report a security event (admins)",
               tag="security", body=SecurityEventCreateIn, response=SecurityEventOut,
               status=201, errors=(403, 404), description=REPORTED, scope="security:write",
               example={"action": "blocked_request", "ip": "203.0.113.7",
                        "security_metadata": {"rule": "geo"}})
    def create_security_event(actor, body):
        return SECURITY_EVENT_VIEW.from_model(records.report_security_event(actor, body))
