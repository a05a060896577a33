"""GET /analytics/summary: aggregate figures (all data for admins, your own
for everyone else)."""
from __future__ import annotations

import msgspec

from janus.summary import summarise
from janus.web.access import is_admin
from janus.web.jsonio import read_query, utc
from janus.web.plugin import current_user
from janus.web.schemas.summary import SummaryOut, SummaryQuery


def register(api) -> None:
    @api.route("GET", "/analytics/summary", summary="Counts, formats, activity per day, "
               "top actions, failed logins, uploads per user", tag="analytics",
               query=SummaryQuery, response=SummaryOut,
               description="Admins get figures over all data; other users get the same "
               "figures restricted to their own rows. Every figure is one SQL aggregation.")
    def analytics_summary():
        me = current_user()
        q = read_query(SummaryQuery)
        figures = summarise(q.days, None if is_admin(me) else me)
        figures["since"] = utc(figures["since"])
        return msgspec.convert(figures, SummaryOut)
