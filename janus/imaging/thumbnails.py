"""WebP thumbnails, made once per (file, size) and cached in the file store
(beside the originals: in the bucket with an S3 store, so every host shares
them).

A thumbnail is the first frame, turned upright (EXIF orientation), scaled so
its longest side is ``size`` (never enlarged: a smaller original keeps its
own size), as 8-bit RGB or RGBA WebP without any metadata but the colour
profile (EXIF may hold GPS positions; thumbnails are shared more freely).
"""
from __future__ import annotations

import contextlib
import io
import logging

from PIL import Image, ImageOps

from janus.errors import InsufficientStorage, ServiceUnavailable, ValidationError
from janus.imaging.decode import DEFAULT_MAX_PIXELS, Source, decode_errors, open_image
from janus.imaging.gate import full_decode
from janus.imaging.modes import to_display
from janus.storage import Blob, Store

log = logging.getLogger("janus.files")
THUMBNAIL_SIZES = (64, 128, 256, 512)
WEBP_QUALITY = 80
# Decode JPEGs at a 1/2..1/8 scale still at least this many times the target,
# then resample with Lanczos: fast, and no visible loss at thumbnail sizes.
REDUCING_GAP = 2.0


def check_size(size) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size not in THUMBNAIL_SIZES:
        raise ValidationError.at("$.size", f"must be one of {list(THUMBNAIL_SIZES)}")
    return size


def make_thumbnail(source: Source, size: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """WebP bytes of ``source`` (bytes or a path) with longest side ``size``."""
    check_size(size)
    with open_image(source, max_pixels) as im, full_decode():
        with decode_errors():
            limit = int(size * REDUCING_GAP)
            im.draft(None, (limit, limit))  # JPEG only; a no-op for other formats
            im.load()
        icc = im.info.get("icc_profile") if im.mode in ("RGB", "RGBA") else None
        with contextlib.suppress(Exception):  # unreadable EXIF: keep the pixels as stored
            ImageOps.exif_transpose(im, in_place=True)
        display = to_display(im)
        display.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        out = io.BytesIO()
        display.save(out, "WEBP", quality=WEBP_QUALITY, method=4, icc_profile=icc)
    return out.getvalue()


def cached_thumbnail(store: Store, key: str, size: int,
                     max_pixels: int = DEFAULT_MAX_PIXELS) -> Blob:
    """The cached thumbnail, made from the original and cached on first use
    (one GET when it is cached: no separate existence check).

    Concurrent first requests may both render it; the last write wins with
    identical bytes, and readers never see a partial one (a rename, or one
    PUT). The cache is best effort: when the store cannot take the new
    thumbnail (full, or gone since the original was read) the rendered bytes
    are still sent, and the next request renders it again.
    """
    check_size(size)
    cached = store.open_thumbnail(key, size)
    if cached is not None:
        return cached
    data = make_thumbnail(store.read(key), size, max_pixels)  # NotFound: no original
    try:
        store.put_thumbnail(key, size, data)
    except (InsufficientStorage, ServiceUnavailable, OSError) as exc:
        log.warning({"message": "thumbnail sent but not cached", "storage_key": key,
                     "size": size, "detail": f"{type(exc).__name__}: {exc}"})
    return Blob.of(data)
