"""/logs: the audit trail. Read your own (admins: all); append-only, so there
is no PATCH or DELETE (405)."""
from __future__ import annotations

from janus.db import database
from janus.models import Log
from janus.repos.logs import logs
from janus.web.access import visible
from janus.web.jsonio import read_json, read_query
from janus.web.plugin import current_user
from janus.web.schemas.records import LogCreateIn, LogOut, LogPage, LogQuery, log_out


def register(api) -> None:
    config = api.config

    @api.route("GET", "/logs", summary="List audit rows, newest first", tag="logs",
               query=LogQuery, response=LogPage)
    def list_logs():
        q = read_query(LogQuery)
        query = logs.since(visible(logs.select(), Log.user, current_user()),
                           q.since, q.until)
        if q.user_id is not None:
            query = logs.by_user(q.user_id, query)
        for name in ("action", "module", "level"):
            if getattr(q, name) is not None:
                query = query.where(getattr(Log, name) == getattr(q, name))
        page = logs.page(query, limit=q.limit, cursor=q.cursor)
        return LogPage([log_out(row) for row in page.items], page.next_cursor)

    @api.route("GET", "/logs/<log_id:int>", summary="One audit row", tag="logs",
               response=LogOut, errors=(404,))
    def get_log(log_id):
        return log_out(logs.get_by_id(log_id, visible(logs.select(), Log.user, current_user())))

    @api.route("POST", "/logs", summary="Append a client event to the audit trail",
               tag="logs", body=LogCreateIn, response=LogOut, status=201)
    def create_log():
        body = read_json(LogCreateIn, config.max_body_bytes)
        with database.atomic():
            row = logs.record(body.action, body.module, user=current_user(), level=body.level,
                              metadata=body.log_metadata)
        return log_out(row)
