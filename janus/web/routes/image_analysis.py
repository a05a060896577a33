"""POST /images/<id>/analysis and GET /images/<id>/similar."""
from __future__ import annotations

from janus.lists.images import IMAGE_VIEW
from janus.lists.records import ANALYTICS_VIEW
from janus.schemas.images import AnalysisQuery, SimilarImage, SimilarList, SimilarQuery
from janus.schemas.records import AnalyticsOut
from janus.services import images


def register(api) -> None:
    store, max_pixels, limits = api.store, api.config.max_image_pixels, api.limits

    @api.route("POST", "/images/<image_id:int>/analysis", summary="Analyse the pixels",
               tag="images", query=AnalysisQuery, response=AnalyticsOut, status=201,
               errors=(404, 409), rate_limit="analysis", scope="analytics:write",
               description="Luminance histogram, brightness, RMS contrast, k dominant "
               "colours with their share, WCAG contrast ratio of the two most dominant, "
               "transparency and a 64-bit perceptual hash, computed on a copy reduced to "
               "256 px and stored as an analytics row (topic image_analysis) linked to the "
               "image and owned by the caller. The values of an earlier analysis of the "
               "same bytes with the same k (anyone's) are copied without decoding again. "
               "Counted per user (JANUS_RATE_LIMIT_ANALYSIS): 429 beyond it; 503 when "
               "the server is decoding too many images at once.")
    def analyse_image(image_id, actor, query):
        limits.hit("analysis", actor.id)  # per user, before any work
        record = images.analyse_image(actor, image_id, query.k, store, max_pixels)
        return ANALYTICS_VIEW.from_model(record)

    @api.route("GET", "/images/<image_id:int>/similar", summary="Near-duplicates by "
               "perceptual hash", tag="images", query=SimilarQuery, response=SimilarList,
               errors=(404, 409), scope="images:read",
               description="Images visible to the caller whose perceptual hash differs "
               "in at most max_distance of 64 bits, nearest first. Computed in SQL.")
    def similar_images(image_id, actor, query):
        found = images.similar_images(actor, image_id, query.max_distance, query.limit)
        return SimilarList(image_id=image_id, max_distance=query.max_distance,
                           items=[SimilarImage(distance=d, image=IMAGE_VIEW.from_model(i))
                                  for i, d in found])
