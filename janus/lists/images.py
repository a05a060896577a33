"""GET /images: its one declaration."""
from __future__ import annotations

from janus.lists import Filter, Listing
from janus.lists.views import View, is_set, or_empty
from janus.models import Image
from janus.repos.images import check_range, images
from janus.schemas.common import Id, ListQuery, Positive
from janus.schemas.images import ImageOut


def _upper(value: str) -> str:
    # Stored upper-cased (janus.repos.images): "png" finds "PNG".
    return value.strip().upper()


IMAGES = Listing(
    images,
    Filter("owner_id", Image.owner, Id, "Id of the user who owns the image."),
    Filter("format", Image.format, str, "Pillow's format name, e.g. PNG or JPEG.",
           normalise=_upper, label="Format"),
    Filter("color_type", Image.color_type, str, "Pillow's mode name, e.g. RGB, RGBA or L.",
           label="Colour type"),
    Filter("min_width", Image.width, Positive, "Only images at least this wide.", op="ge",
           label="Minimum width (px)"),
    Filter("min_height", Image.height, Positive, "Only images at least this high.", op="ge",
           label="Minimum height (px)"),
    Filter("max_width", Image.width, Positive, "Only images at most this wide.", op="le",
           label="Maximum width (px)"),
    owner=Image.owner, check=check_range, sort=("filename", "width", "file_size"),
    search=(Image.filename,),
)
ImageQuery = IMAGES.query_struct("ImageQuery", ListQuery)
IMAGE_VIEW = View(ImageOut, Image, has_file=(Image.storage_key, is_set),
                  image_metadata=(Image.image_metadata, or_empty))
