"""Image handling without HTTP: validate uploads, make thumbnails (cached in
the file store, janus.storage) and compute pixel statistics.

    inspect     inspect_image(), MEDIA_TYPES
    filenames   safe_filename(): a client's file name, checked
    thumbnails  make_thumbnail(), cached_thumbnail(), THUMBNAIL_SIZES
    analysis    analyse(), contrast_ratio(), phash helpers
    decode      the one safe way to open untrusted bytes with Pillow
"""
from janus.imaging.analysis import analyse, hamming, int_to_phash, phash_to_int
from janus.imaging.decode import ALLOWED_FORMATS, DEFAULT_MAX_PIXELS
from janus.imaging.filenames import safe_filename
from janus.imaging.inspect import MEDIA_TYPES, ImageInfo, inspect_image
from janus.imaging.thumbnails import THUMBNAIL_SIZES, cached_thumbnail, make_thumbnail

__all__ = ["ALLOWED_FORMATS", "DEFAULT_MAX_PIXELS", "MEDIA_TYPES", "THUMBNAIL_SIZES",
           "ImageInfo", "analyse", "cached_thumbnail", "hamming", "inspect_image",
           "int_to_phash", "make_thumbnail", "phash_to_int", "safe_filename"]
