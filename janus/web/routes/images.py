"""/images: image records. JSON bodies create metadata-only records."""
from __future__ import annotations

from janus.audit import record_change
from janus.db import database
from janus.errors import Conflict
from janus.models import Image
from janus.repos.images import images
from janus.web.access import require_owner_or_superadmin, visible
from janus.uploads import file_store, ingest, release
from janus.web.jsonio import media_type, read_json, read_query
from janus.web.multipart import read_upload
from janus.web.plugin import current_user
from janus.web.schemas.common import provided
from janus.web.schemas.images import (TECHNICAL_FIELDS, ImageCreateIn, ImageOut, ImagePage,
                                      ImagePatchIn, ImageQuery, UploadForm, image_out)


def visible_image(image_id: int, me) -> Image:
    return images.get_by_id(image_id, visible(images.select(), Image.owner, me))


def register(api) -> None:
    config = api.config
    store = file_store(config)

    @api.route("GET", "/images", summary="List images, newest first", tag="images",
               query=ImageQuery, response=ImagePage)
    def list_images():
        q = read_query(ImageQuery)
        query = visible(images.select(), Image.owner, current_user())
        query = images.search(owner=q.owner_id, format=q.format, min_width=q.min_width,
                              min_height=q.min_height, since=q.since,
                              until=q.until, query=query)
        if q.color_type:
            query = query.where(Image.color_type == q.color_type)
        page = images.page(query, limit=q.limit, cursor=q.cursor)
        return ImagePage([image_out(i) for i in page.items], page.next_cursor)

    @api.route("POST", "/images", summary="Upload an image, or create a metadata-only record",
               tag="images", body=ImageCreateIn, upload=UploadForm, response=ImageOut,
               status=201, errors=(409,),
               description="multipart/form-data with a `file` field uploads an image: every "
               "column is read from the bytes, never from the client. 409 (with "
               "details.existing_id) when you already uploaded the same bytes. A JSON body "
               "creates a metadata-only record instead.")
    def create_image():
        me = current_user()
        if media_type() == "multipart/form-data":
            data, filename = read_upload(config)
            return image_out(ingest(me, data, filename, config))
        body = read_json(ImageCreateIn, config.max_body_bytes)
        fields = {name: getattr(body, name) for name in body.__struct_fields__}
        with database.atomic():
            image = images.create(owner=me.id, **fields)
            record_change(me, "image.created", "image", image.id,
                          {"filename": image.filename, "format": image.format})
        return image_out(image)

    @api.route("GET", "/images/<image_id:int>", summary="One image record", tag="images",
               response=ImageOut, errors=(404,))
    def get_image(image_id):
        return image_out(visible_image(image_id, current_user()))

    @api.route("PATCH", "/images/<image_id:int>", summary="Change an image record",
               tag="images", body=ImagePatchIn, response=ImageOut, errors=(403, 404, 409))
    def update_image(image_id):
        me = current_user()
        image = visible_image(image_id, me)
        require_owner_or_superadmin(image.owner_id, me)
        fields = provided(read_json(ImagePatchIn, config.max_body_bytes))
        technical = sorted(set(fields) & set(TECHNICAL_FIELDS))
        if technical and image.storage_key is not None:
            raise Conflict("these fields come from the uploaded file and cannot be changed",
                           details={"fields": technical})
        with database.atomic():
            changes = images.update_with_changes(image, fields)
            if changes:
                record_change(me, "image.updated", "image", image.id, changes)
        return image_out(image)

    @api.route("DELETE", "/images/<image_id:int>", summary="Delete an image record",
               tag="images", status=204, errors=(403, 404))
    def delete_image(image_id):
        me = current_user()
        image = visible_image(image_id, me)
        require_owner_or_superadmin(image.owner_id, me)
        with database.atomic():
            record_change(me, "image.deleted", "image", image.id, {"filename": image.filename})
            images.delete(image)
        # After the commit: the file goes when no other row uses it.
        release(store, image.storage_key)
