"""GET /health: is the service up and its database reachable?"""
from __future__ import annotations

import msgspec

from janus.services.health import check_database


class Health(msgspec.Struct):
    status: str
    database: str


def register(api) -> None:
    @api.route("GET", "/health", summary="Liveness and database check", tag="health",
               auth=False, response=Health, errors=(503,))
    def health():
        # A failing query raises OperationalError, which the plugin answers
        # with 503 service_unavailable.
        return Health(status="ok", database=check_database())
