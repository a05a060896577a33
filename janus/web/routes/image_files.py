"""Image bytes over HTTP: GET /images/<id>/file and GET /images/<id>/thumbnail.

The ETag comes from the row (the SHA-256, and the size for a thumbnail), so
a 304 never touches the store. Bytes are streamed from the store in chunks
(an open file goes out through the server's sendfile), never loaded whole.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from bottle import HTTPResponse

from janus.imaging import MEDIA_TYPES, cached_thumbnail
from janus.schemas.images import ThumbnailQuery
from janus.services.images import stored_image
from janus.storage import Blob
from janus.web.plugins import header


def _etag_matches(etag: str) -> bool:
    given = header("If-None-Match")
    candidates = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return "*" in candidates or etag in candidates


def send_file(open_blob: Callable[[], Blob], etag: str, media_type: str,
              filename: str | None = None):
    """304 when the client has ``etag``; else the blob ``open_blob()`` gives
    (NotFound when the store has nothing), streamed."""
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if _etag_matches(etag):
        return HTTPResponse(status=304, headers=headers)
    blob = open_blob()
    headers.update({"Content-Type": media_type, "Content-Length": str(blob.size),
                    "X-Content-Type-Options": "nosniff"})
    if filename:
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return HTTPResponse(body=blob.body, status=200, headers=headers)


def register(api) -> None:
    store, max_pixels = api.store, api.config.max_image_pixels

    @api.route("GET", "/images/<image_id:int>/file", summary="Download the original file",
               tag="images", response=bytes, response_media="image/*", scope="images:read",
               errors=(304, 404), headers={"ETag": "The SHA-256 of the bytes."},
               description="Sends the stored bytes with their media type, ETag (the "
               "SHA-256) and Content-Length; If-None-Match answers 304.")
    def image_file(image_id, actor):
        image = stored_image(actor, image_id)
        return send_file(lambda: store.open(image.storage_key), f'"{image.sha256}"',
                         MEDIA_TYPES.get(image.format, "application/octet-stream"),
                         image.filename)

    @api.route("GET", "/images/<image_id:int>/thumbnail", summary="A WebP thumbnail",
               tag="images", query=ThumbnailQuery, response=bytes, response_media="image/webp",
               scope="images:read",
               errors=(304, 404), headers={"ETag": "The SHA-256 and the size."},
               description="Longest side = size (64, 128, 256 or 512), EXIF orientation "
               "applied; made once and cached in the file store.")
    def image_thumbnail(image_id, actor, query):
        image = stored_image(actor, image_id)
        return send_file(lambda: cached_thumbnail(store, image.storage_key, query.size,
                                                  max_pixels),
                         f'"{image.sha256}-{query.size}"', "image/webp")
