"""POST /images/<id>/analysis and GET /images/<id>/similar."""
from __future__ import annotations

from janus.audit import record_change
from janus.db import database
from janus.errors import Conflict, NotFound
from janus.imaging import analyse, phash_to_int
from janus.models import Image
from janus.repos.analytics import analytics
from janus.repos.images import images
from janus.similarity import similar
from janus.uploads import file_store
from janus.web.access import visible
from janus.web.jsonio import read_query
from janus.web.plugin import current_user
from janus.web.routes.images import visible_image
from janus.web.schemas.images import AnalysisQuery, SimilarImage, SimilarList, SimilarQuery, image_out
from janus.web.schemas.records import AnalyticsOut, analytics_out

ANALYSIS_TOPIC = "image_analysis"


def register(api) -> None:
    config = api.config
    store = file_store(config)

    @api.route("POST", "/images/<image_id:int>/analysis", summary="Analyse the pixels",
               tag="images", query=AnalysisQuery, response=AnalyticsOut, status=201,
               errors=(404, 409),
               description="Luminance histogram, brightness, RMS contrast, k dominant "
               "colours with their share, WCAG contrast ratio of the two most dominant, "
               "transparency and a 64-bit perceptual hash, computed on a copy reduced to "
               "256 px and stored as an analytics row (topic image_analysis) linked to the "
               "image and owned by the caller.")
    def analyse_image(image_id):
        me = current_user()
        q = read_query(AnalysisQuery)
        image = visible_image(image_id, me)
        if image.storage_key is None:
            raise Conflict(f"image {image_id} has no uploaded file to analyse")
        if not store.exists(image.storage_key):
            raise NotFound("the stored file is missing")
        result = analyse(store.path(image.storage_key), q.k, config.max_image_pixels)
        with database.atomic():
            row = analytics.create(research_topic=ANALYSIS_TOPIC, data=result, image=image.id,
                                   user=me.id)
            if image.phash is None:
                images.update(image, phash=phash_to_int(result["phash"]))
            record_change(me, "image.analysed", "analytics", row.id,
                          {"image_id": image.id, "k": q.k})
        return analytics_out(row)

    @api.route("GET", "/images/<image_id:int>/similar", summary="Near-duplicates by "
               "perceptual hash", tag="images", query=SimilarQuery, response=SimilarList,
               errors=(404, 409),
               description="Images visible to the caller whose perceptual hash differs "
               "in at most max_distance of 64 bits, nearest first. Computed in SQL.")
    def similar_images(image_id):
        me = current_user()
        q = read_query(SimilarQuery)
        image = visible_image(image_id, me)
        found = similar(image, visible(images.select(), Image.owner, me), q.max_distance,
                        q.limit)
        return SimilarList(image_id=image.id, max_distance=q.max_distance,
                           items=[SimilarImage(distance=d, image=image_out(i))
                                  for i, d in found])
