"""The console's picture routes, authenticated by the session cookie (the
API's file routes want a bearer token, which a browser's <img> cannot send):

- GET /console/images/<id>/file: the original, with its image media type;
- GET /console/images/<id>/thumb?size=256: a cached WebP thumbnail.

The same visibility rules as the API (janus.services.images.stored_image),
and only images: a row whose format has no image media type is a 404, and
every answer says ``X-Content-Type-Options: nosniff``. Thumbnails come from
the store's cache; the first request for a (file, size) makes it once
(janus.imaging.cached_thumbnail, as GET /images/<id>/thumbnail does) and
every later one reads the cached one. The pages never make one.
"""
from __future__ import annotations

from bottle import request

from janus.errors import NotFound
from janus.imaging import MEDIA_TYPES, THUMBNAIL_SIZES, cached_thumbnail
from janus.services.images import stored_image
from janus.web.routes.image_files import send_file

DEFAULT_SIZE = 256


def thumb_size() -> int:
    """?size= as one of THUMBNAIL_SIZES (a 404 otherwise: no such picture)."""
    raw = request.query.get("size", "") or str(DEFAULT_SIZE)
    if not raw.isdigit() or int(raw) not in THUMBNAIL_SIZES:
        raise NotFound(f"thumbnails come in sizes {', '.join(map(str, THUMBNAIL_SIZES))}")
    return int(raw)


def register(console) -> None:
    store, max_pixels = console.store, console.config.max_image_pixels

    @console.page("/console/images/<image_id:int>/file")
    def console_image_file(actor, image_id):
        image = stored_image(actor, image_id)
        media_type = MEDIA_TYPES.get(image.format)
        if media_type is None:  # never send bytes we cannot call an image
            raise NotFound(f"image {image_id} has no picture to show")
        return send_file(lambda: store.open(image.storage_key), f'"{image.sha256}"',
                         media_type, image.filename)

    @console.page("/console/images/<image_id:int>/thumb")
    def console_image_thumb(actor, image_id):
        size = thumb_size()
        image = stored_image(actor, image_id)
        return send_file(lambda: cached_thumbnail(store, image.storage_key, size, max_pixels),
                         f'"{image.sha256}-{size}"', "image/webp")
