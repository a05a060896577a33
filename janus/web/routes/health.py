"""GET /health: is the service up, its database reachable, and can it write?"""
from __future__ import annotations

from typing import Literal

import msgspec
from bottle import response

from janus.errors import RETRY_AFTER_UNAVAILABLE
from janus.services.health import OK, check_database, database_writes, storage_writes
from janus.web.jsonio import json_body


class Health(msgspec.Struct):
    """``status`` is "ok" (200) or "degraded" (503: the database or the file
    store refuses writes; reads may still work)."""
    status: Literal["ok", "degraded"]
    database: Literal["sqlite", "postgresql"]  # the backend
    database_writes: str  # "ok" or "not writable: <why>"
    storage: str  # the file store: "ok" or "not writable: <why>"


def register(api) -> None:
    store = api.store

    @api.route("GET", "/health", summary="Liveness, database and writability check",
               tag="health", auth=False, response=Health, errors=(503,),
               error_responses={503: Health},
               description="200 when the database answers and both the database and the "
                           "file store accept writes; 503 with the same body and status "
                           "\"degraded\" when either refuses writes; 503 with the error "
                           "envelope when the database is unreachable or not migrated.")
    def health():
        # An unreachable database raises OperationalError in check_database,
        # which the plugin answers with 503 service_unavailable.
        backend = check_database()
        result = Health(status=OK, database=backend, database_writes=database_writes(),
                        storage=storage_writes(store))
        if result.database_writes != OK or result.storage != OK:
            result.status = "degraded"
            # Like every 503 (janus.errors.ServiceUnavailable): when to look again.
            response.set_header("Retry-After", str(RETRY_AFTER_UNAVAILABLE))
            return json_body(result, 503)
        return result
