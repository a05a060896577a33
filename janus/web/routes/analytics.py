"""/analytics: research data (JSON), optionally about one image. Yours to
change; admins read all; linking an image needs it to be visible to you."""
from __future__ import annotations

from janus.audit import record_change
from janus.db import database
from janus.models import Analytics, Image
from janus.repos.analytics import analytics
from janus.repos.images import images
from janus.web.access import require_owner_or_superadmin, visible
from janus.web.jsonio import read_json, read_query
from janus.web.plugin import current_user
from janus.web.schemas.common import provided
from janus.web.schemas.records import (AnalyticsCreateIn, AnalyticsOut, AnalyticsPage,
                                       AnalyticsPatchIn, AnalyticsQuery, analytics_out)


def _visible(row_id: int, me) -> Analytics:
    return analytics.get_by_id(row_id, visible(analytics.select(), Analytics.user, me))


def _image_id(image_id, me):
    """The image must exist and be visible to the caller (else 404)."""
    if image_id is None:
        return None
    return images.get_by_id(image_id, visible(images.select(), Image.owner, me)).id


def register(api) -> None:
    config = api.config

    @api.route("GET", "/analytics", summary="List analytics records, newest first",
               tag="analytics", query=AnalyticsQuery, response=AnalyticsPage)
    def list_analytics():
        q = read_query(AnalyticsQuery)
        query = analytics.since(visible(analytics.select(), Analytics.user, current_user()),
                                q.since, q.until)
        if q.research_topic is not None:
            query = analytics.by_topic(q.research_topic, query)
        if q.image_id is not None:
            query = analytics.by_image(q.image_id, query)
        if q.user_id is not None:
            query = analytics.by_user(q.user_id, query)
        page = analytics.page(query, limit=q.limit, cursor=q.cursor)
        return AnalyticsPage([analytics_out(r) for r in page.items], page.next_cursor)

    @api.route("POST", "/analytics", summary="Create an analytics record", tag="analytics",
               body=AnalyticsCreateIn, response=AnalyticsOut, status=201, errors=(404,))
    def create_analytics():
        me = current_user()
        body = read_json(AnalyticsCreateIn, config.max_body_bytes)
        with database.atomic():
            row = analytics.create(research_topic=body.research_topic, data=body.data,
                                   image=_image_id(body.image_id, me), user=me.id)
            record_change(me, "analytics.created", "analytics", row.id,
                          {"research_topic": row.research_topic, "image_id": row.image_id})
        return analytics_out(row)

    @api.route("GET", "/analytics/<record_id:int>", summary="One analytics record",
               tag="analytics", response=AnalyticsOut, errors=(404,))
    def get_analytics(record_id):
        return analytics_out(_visible(record_id, current_user()))

    @api.route("PATCH", "/analytics/<record_id:int>", summary="Change an analytics record",
               tag="analytics", body=AnalyticsPatchIn, response=AnalyticsOut,
               errors=(403, 404))
    def update_analytics(record_id):
        me = current_user()
        row = _visible(record_id, me)
        require_owner_or_superadmin(row.user_id, me)
        fields = provided(read_json(AnalyticsPatchIn, config.max_body_bytes))
        if "image_id" in fields:
            fields["image"] = _image_id(fields.pop("image_id"), me)
        with database.atomic():
            changes = analytics.update_with_changes(row, fields)
            if changes:
                # The audit row says image_id, as analytics.created does; the
                # (possibly large) data is noted, not copied.
                summary = {("image_id" if k == "image" else k): v
                           for k, v in changes.items() if k != "data"}
                if "data" in changes:
                    summary["data"] = "changed"
                record_change(me, "analytics.updated", "analytics", row.id, summary)
        return analytics_out(row)

    @api.route("DELETE", "/analytics/<record_id:int>", summary="Delete an analytics record",
               tag="analytics", status=204, errors=(403, 404))
    def delete_analytics(record_id):
        me = current_user()
        row = _visible(record_id, me)
        require_owner_or_superadmin(row.user_id, me)
        with database.atomic():
            record_change(me, "analytics.deleted", "analytics", row.id,
                          {"research_topic": row.research_topic})
            analytics.delete(row)
