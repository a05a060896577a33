"""GET /analytics/summary: aggregate figures (all data for admins, your own
for everyone else)."""
from __future__ import annotations

import msgspec

from janus.schemas.common import utc
from janus.schemas.summary import SummaryOut, SummaryQuery
from janus.summary import summarise


def register(api) -> None:
    @api.route("GET", "/analytics/summary", summary="Counts, formats, activity per day, "
               "top actions, failed logins, uploads per user", tag="analytics",
               query=SummaryQuery, response=SummaryOut, scope="analytics:read",
               description="Admins get figures over all data; other users get the same "
               "figures restricted to their own rows. Every figure is one SQL aggregation.")
    def analytics_summary(actor, query):
        figures = summarise(query.days, None if actor.is_admin else actor.user)
        figures["since"] = utc(figures["since"])
        return msgspec.convert(figures, SummaryOut)
