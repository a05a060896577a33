"""Analytics: research results (JSON ``data``) filed under a topic,
optionally about one image and/or by one user.

Deleting the image deletes its analytics (they describe nothing any more);
deleting the user keeps them with ``user`` NULL.
"""
from __future__ import annotations

import peewee as pw

from janus.models import Analytics
from janus.repos.base import Repository
from janus.repos.common import HistoryMixin, text


class AnalyticsRepository(HistoryMixin, Repository):
    model = Analytics

    def _normalise(self, fields: dict) -> dict:
        if "research_topic" in fields:
            fields["research_topic"] = text(fields["research_topic"], "$.research_topic")
        return fields

    def by_topic(self, topic: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(Analytics.research_topic == topic.strip())

    def by_image(self, image_id: int, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(Analytics.image == image_id)


analytics = AnalyticsRepository()
