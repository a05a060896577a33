"""/analytics: research data (JSON), optionally about one image. Yours to
change; admins read all; linking an image needs it to be visible to you."""
from __future__ import annotations

from janus.lists.reads import analytics_reads
from janus.lists.records import ANALYTICS_VIEW, AnalyticsQuery
from janus.schemas.records import (
    AnalyticsCreateIn,
    AnalyticsOut,
    AnalyticsPage,
    AnalyticsPatchIn,
)
from janus.services import records


def register(api) -> None:
    api.get_list("/analytics", analytics_reads, name="list_analytics",
                 summary="List analytics records (newest first by default)", tag="analytics",
                 query=AnalyticsQuery, response=AnalyticsPage, scope="analytics:read")

    @api.route("POST", "/analytics", summary="Create an analytics record", tag="analytics",
               body=AnalyticsCreateIn, response=AnalyticsOut, status=201, errors=(404,),
               scope="analytics:write",
               example={"research_topic": "colour balance",
                        "data": {"mean_rgb": [112, 96, 80], "samples": 3}})
    def create_analytics(actor, body):
        return ANALYTICS_VIEW.from_model(records.create_analytics(actor, body))

    api.get_one("/analytics/<record_id:int>", analytics_reads.get, name="get_analytics",
                summary="One analytics record", tag="analytics",
                response=AnalyticsOut, scope="analytics:read")

    @api.route("PATCH", "/analytics/<record_id:int>", summary="Change an analytics record",
               tag="analytics", body=AnalyticsPatchIn, response=AnalyticsOut,
               example={"data": [0.25, 0.5, 0.75]},
               errors=(403, 404), scope="analytics:write")
    def update_analytics(record_id, actor, body):
        return ANALYTICS_VIEW.from_model(records.update_analytics(actor, record_id, body))

    @api.route("DELETE", "/analytics/<record_id:int>", summary="Delete an analytics record",
               tag="analytics", status=204, errors=(403, 404), scope="analytics:write")
    def delete_analytics(record_id, actor):
        records.delete_analytics(actor, record_id)
