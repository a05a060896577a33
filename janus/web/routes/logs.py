"""/logs: the audit trail. Read your own (admins: all); append-only, so there
is no PATCH or DELETE (405)."""
from __future__ import annotations

from janus.lists.reads import log_reads
from janus.lists.records import LogQuery
from janus.schemas.records import LogCreateIn, LogOut, LogPage, log_out
from janus.services import records

REPORTED = ("Recorded as yours, with source \"client\". Any action name is accepted, the "
            "service's own (admin.granted, say) included: no name is reserved. The source "
            "label, which a client cannot set, is what tells a reported row from the "
            "service's own record: it is listed and shown as reported, never read as a "
            "change, and counts for nothing.")


def register(api) -> None:
    @api.route("GET", "/logs", summary="List audit rows, newest first", tag="logs",
               query=LogQuery, response=LogPage, scope="logs:read")
    def list_logs(actor, query):
        return log_reads.page(actor, query)

    api.get_one("/logs/<log_id:int>", log_reads.get, name="get_log",
                summary="One audit row", tag="logs", response=LogOut, scope="logs:read")

    @api.route("POST", "/logs", summary="Append a client event to the audit trail",
               tag="logs", body=LogCreateIn, response=LogOut, status=201, scope="logs:write",
               description=REPORTED,
               example={"action": "export", "module": "gallery", "level": "info",
                        "log_metadata": {"rows": 12}})
    def create_log(actor, body):
        return log_out(records.append_log(actor, body))
