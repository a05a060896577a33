"""/images: image records. Multipart bodies upload a file; JSON bodies create
metadata-only records."""
from __future__ import annotations

from janus.lists.images import IMAGE_VIEW, ImageQuery
from janus.lists.reads import image_reads
from janus.schemas.images import (
    ImageCreateIn,
    ImageOut,
    ImagePage,
    ImagePatchIn,
    Upload,
    UploadForm,
)
from janus.services import images


def register(api) -> None:
    store, max_pixels = api.store, api.config.max_image_pixels

    api.get_list("/images", image_reads, name="list_images",
                 summary="List images (newest first by default)", tag="images", query=ImageQuery,
                 response=ImagePage, scope="images:read")

    @api.route("POST", "/images", summary="Upload an image, or create a metadata-only record",
               tag="images", body=ImageCreateIn, upload=UploadForm, response=ImageOut,
               status=201, errors=(409,), rate_limit="upload", scope="images:write",
               example={"filename": "harbour.png", "format": "PNG", "width": 640,
                        "height": 480, "color_type": "RGB", "bit_depth": 8,
                        "file_size": 48213},
               description="multipart/form-data with a `file` field uploads an image: every "
               "column is read from the bytes, never from the client. 409 (with "
               "details.existing_id) when you already uploaded the same bytes. A JSON body "
               "creates a metadata-only record instead.")
    def create_image(actor, body):
        if isinstance(body, Upload):
            image = images.upload(actor, body.data, body.filename, store, max_pixels)
            return IMAGE_VIEW.from_model(image)
        return IMAGE_VIEW.from_model(images.create_record(actor, body))

    api.get_one("/images/<image_id:int>", image_reads.get, name="get_image",
                summary="One image record", tag="images", response=ImageOut,
                scope="images:read")

    @api.route("PATCH", "/images/<image_id:int>", summary="Change an image record",
               tag="images", body=ImagePatchIn, response=ImageOut, errors=(403, 404, 409),
               scope="images:write",
               example={"filename": "harbour-at-dusk.png",
                        "image_metadata": {"album": "holiday"}})
    def update_image(image_id, actor, body):
        return IMAGE_VIEW.from_model(images.update_image(actor, image_id, body))

    @api.route("DELETE", "/images/<image_id:int>", summary="Delete an image record",
               tag="images", status=204, errors=(403, 404), scope="images:write")
    def delete_image(image_id, actor):
        images.delete_image(actor, image_id, store)
