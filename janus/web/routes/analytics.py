"""/analytics: research data (JSON), optionally about one image. Yours to
change; admins read all; linking an image needs it to be visible to you."""
from __future__ import annotations

from janus.lists.reads import analytics_reads
from janus.lists.records import AnalyticsQuery
from janus.schemas.records import (
    AnalyticsCreateIn,
    AnalyticsOut,
    AnalyticsPage,
    AnalyticsPatchIn,
    analytics_out,
)
from janus.services import records


def register(api) -> None:
    @api.route("GET", "/analytics", summary="List analytics records, newest first",
               tag="analytics", query=AnalyticsQuery, response=AnalyticsPage,
               scope="analytics:read")
    def list_analytics(actor, query):
        return analytics_reads.page(actor, query)

    @api.route("POST", "/analytics", summary="Create an analytics record", tag="analytics",
               body=AnalyticsCreateIn, response=AnalyticsOut, status=201, errors=(404,),
               scope="analytics:write",
               example={"research_topic": "colour balance",
                        "data": {"mean_rgb": [112, 96, 80], "samples": 3}})
    def create_analytics(actor, body):
        return analytics_out(records.create_analytics(actor, body))

    api.get_one("/analytics/<record_id:int>", analytics_reads.get, name="get_analytics",
                summary="One analytics record", tag="analytics",
                response=AnalyticsOut, scope="analytics:read")

    @api.route("PATCH", "/analytics/<record_id:int>", summary="Change an analytics record",
               tag="analytics", body=AnalyticsPatchIn, response=AnalyticsOut,
               example={"data": [0.25, 0.5, 0.75]},
               errors=(403, 404), scope="analytics:write")
    def update_analytics(record_id, actor, body):
        return analytics_out(records.update_analytics(actor, record_id, body))

    @api.route("DELETE", "/analytics/<record_id:int>", summary="Delete an analytics record",
               tag="analytics", status=204, errors=(403, 404), scope="analytics:write")
    def delete_analytics(record_id, actor):
        records.delete_analytics(actor, record_id)
