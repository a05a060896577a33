"""/logs: the audit trail. Read your own (admins: all); append-only, so there
is no PATCH or DELETE (405)."""
from __future__ import annotations

from janus.lists.reads import log_reads
from janus.lists.records import LOG_VIEW, LogQuery
from janus.schemas.records import LogCreateIn, LogOut, LogPage
from janus.services import records

REPORTED = ("Recorded as yours, with source \"client\". Any action name is accepted, the "
            "service's own (admin.granted, say) included: no name is reserved. The source "
            "label, which a client cannot set, is what tells a reported row from the "
            "service's own record: it is listed and shown as reported, never read as a "
            "change, and counts for nothing.")


def register(api) -> None:
    api.get_list("/logs", log_reads, name="list_logs",
                 summary="List audit rows (newest first by default)", tag="logs", query=LogQuery,
                 response=LogPage, scope="logs:read")

    api.get_one("/logs/<log_id:int>", log_reads.get, name="get_log",
                summary="One audit row", tag="logs", response=LogOut, scope="logs:read")

    @api.route("POST", "/logs", summary="Append a client event to the audit trail",
               tag="logs", body=LogCreateIn, response=LogOut, status=201, scope="logs:write",
               description=REPORTED,
               example={"action": "export", "module": "gallery", "level": "info",
                        "log_metadata": {"rows": 12}})
    def create_log(actor, body):
        return LOG_VIEW.from_model(records.append_log(actor, body))
