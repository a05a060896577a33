"""Analytics: research results (JSON ``data``) filed under a topic,
optionally about one image and/or by one user.

Deleting the image deletes its analytics (they describe nothing any more);
deleting the user keeps them with ``user`` NULL.
"""
from __future__ import annotations

import peewee as pw

from janus.errors import ValidationError
from janus.models import Analytics, Image
from janus.repos.base import Repository
from janus.repos.common import HistoryMixin, ref_id, text


class AnalyticsRepository(HistoryMixin, Repository):
    model = Analytics
    metadata_field = "data"
    writable = ("research_topic", "data", "image", "user")
    required = ("research_topic", "data")

    def _check(self, fields: dict) -> dict:
        # "data" may not be null even on update: the column is required.
        if "data" in fields and fields["data"] is None:
            raise ValidationError.at("$.data", "may not be null")
        super()._check(fields)
        if "research_topic" in fields:
            fields["research_topic"] = text(fields["research_topic"], "$.research_topic")
        return fields

    def by_topic(self, topic: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(Analytics.research_topic == text(topic, "$.research_topic"))

    def recent_by_topic(self, topic: str, limit: int | None = None, since=None) -> pw.ModelSelect:
        return self.recent(limit, since, self.by_topic(topic))

    def by_image(self, image, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        image_id = ref_id(image, Image, "$.image_id")
        if image_id is None:
            raise ValidationError.at("$.image_id", "must be an image id")
        return query.where(Analytics.image == image_id)

    def by_data(self, key, value, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """Rows whose ``data`` object has ``key`` (nested: "a.b") equal to ``value``."""
        return self.by_metadata(key, value, query)

    def topics(self) -> dict:
        """{topic: number of rows}, for an overview."""
        query = (Analytics.select(Analytics.research_topic, pw.fn.COUNT(Analytics.id))
                 .group_by(Analytics.research_topic).order_by(Analytics.research_topic))
        return dict(query.tuples())


analytics = AnalyticsRepository()
