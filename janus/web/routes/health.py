"""GET /health/live (is the process up?), GET /health/ready and GET /health
(can it serve: the database reachable and migrated, the database and the
file store writable)."""
from __future__ import annotations

from typing import Literal

import msgspec
from bottle import response

from janus.errors import RETRY_AFTER_UNAVAILABLE
from janus.services.health import OK, StoreWrites, check_database, database_writes
from janus.web.jsonio import json_body


class Live(msgspec.Struct):
    """The process is up and answering; nothing else was checked."""
    status: Literal["ok"]


class Health(msgspec.Struct):
    """``status`` is "ok" (200) or "degraded" (503: the database or the file
    store refuses writes; reads may still work)."""
    status: Literal["ok", "degraded"]
    database: Literal["sqlite", "postgresql"]  # the backend
    database_writes: str  # "ok" or "not writable: <why>"
    storage: str  # the file store: "ok" or "not writable: <why>"


READY = ("200 when the database answers, every migration this code needs has been applied, "
         "and both the database and the file store accept writes (the store is probed with a "
         "small write at most every 2 seconds per worker while it accepts them); 503 with "
         "the same body and status \"degraded\" when either refuses writes; 503 with the "
         "error envelope when the database is unreachable (service_unavailable) or a "
         "migration is pending (not_migrated).")


def register(api) -> None:
    store_writes = StoreWrites(api.store)

    def readiness():
        # An unreachable database raises OperationalError in check_database,
        # which the plugin answers with 503 service_unavailable; an
        # unmigrated one never gets here (DatabasePlugin: 503 not_migrated).
        backend = check_database()
        result = Health(status=OK, database=backend, database_writes=database_writes(),
                        storage=store_writes())
        if result.database_writes != OK or result.storage != OK:
            result.status = "degraded"
            # Like every 503 (janus.errors.ServiceUnavailable): when to look again.
            response.set_header("Retry-After", str(RETRY_AFTER_UNAVAILABLE))
            return json_body(result, 503)
        return result

    @api.route("GET", "/health/live", summary="Liveness: the process answers", tag="health",
               auth=False, database=False, response=Live,
               description="Always 200 {\"status\": \"ok\"} while the process serves: no "
                           "database, no file store. For a supervisor's liveness check "
                           "(restart the service when it fails), not a load balancer's.")
    def health_live():
        return Live(status=OK)

    @api.route("GET", "/health/ready", summary="Readiness: database, migrations, writability",
               tag="health", auth=False, response=Health, errors=(503,),
               error_responses={503: Health}, description=READY)
    def health_ready():
        return readiness()

    @api.route("GET", "/health", summary="Readiness (the same answer as /health/ready)",
               tag="health", auth=False, response=Health, errors=(503,),
               error_responses={503: Health}, description=READY)
    def health():
        return readiness()
