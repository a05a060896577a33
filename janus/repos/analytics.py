"""Analytics: research results (JSON ``data``) filed under a topic,
optionally about one image and/or by one user.

Deleting the image deletes its analytics (they describe nothing any more);
deleting the user keeps them with ``user`` NULL.

``analysis_results`` keeps the values of each image analysis the service
computed, by the bytes' SHA-256, ``k`` and version, for the next analysis of
the same bytes to copy (janus.services.images.analyse_image).
"""
from __future__ import annotations

import peewee as pw

from janus.models import AnalysisResult, Analytics
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


def stored_result(sha256: str, k: int, version: int) -> dict | None:
    """The values the service computed for these bytes and ``k``, if any."""
    row = (AnalysisResult.select(AnalysisResult.data)
           .where((AnalysisResult.sha256 == sha256) & (AnalysisResult.k == k)
                  & (AnalysisResult.version == version)).first())
    return None if row is None else row.data


def keep_result(sha256: str, k: int, version: int, data: dict) -> None:
    """Keep computed values; a concurrent analysis of the same bytes may have
    kept the same ones first (then this is a no-op)."""
    (AnalysisResult.insert(sha256=sha256, k=k, version=version, data=data)
     .on_conflict_ignore().execute())
