"""Images: metadata records (JSON) and their responses."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from janus.schemas.common import Positive, Request, Text, Total

Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{64}$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
# ASCII only: the format is stored upper-cased, which must not lengthen it ("ß" -> "SS").
Format = Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$",
                                     description="Pillow's format name, e.g. PNG or JPEG")]
BitDepth = Annotated[int, msgspec.Meta(ge=1, le=64)]
# file_size is a BIGINT column (64 bits on both backends).
FileSize = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Compression = Annotated[str, msgspec.Meta(max_length=32)]


class ImageOut(msgspec.Struct):
    id: int
    owner_id: int
    filename: str
    format: str
    width: int
    height: int
    color_type: str
    bit_depth: int
    compression_method: str | None
    file_size: int
    sha256: str | None
    has_file: bool
    image_metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ImagePage(msgspec.Struct):
    items: list[ImageOut]
    next_cursor: str | None
    total: Total


class ImageFields(Request):
    """The fields of a metadata-only record, shared by ``ImageCreateIn`` and
    the seed files' records (``janus.seeds.schema.ImageSeed``)."""

    filename: Text
    format: Format
    width: Positive
    height: Positive
    color_type: Short
    bit_depth: BitDepth
    file_size: FileSize
    compression_method: Compression | None = None
    sha256: Sha256 | None = None
    image_metadata: dict[str, Any] = {}


class ImageCreateIn(ImageFields):
    """A metadata-only record: the client describes an image it keeps itself."""


class ImagePatchIn(Request):
    filename: Text | UnsetType = UNSET
    image_metadata: dict[str, Any] | UnsetType = UNSET
    # Technical fields change only on metadata-only records: for an upload
    # they come from the bytes and are never overwritten by a client.
    format: Format | UnsetType = UNSET
    width: Positive | UnsetType = UNSET
    height: Positive | UnsetType = UNSET
    color_type: Short | UnsetType = UNSET
    bit_depth: BitDepth | UnsetType = UNSET
    file_size: FileSize | UnsetType = UNSET
    compression_method: Compression | None | UnsetType = UNSET
    sha256: Sha256 | None | UnsetType = UNSET


TECHNICAL_FIELDS = ("format", "width", "height", "color_type", "bit_depth", "file_size",
                    "compression_method", "sha256")


class ThumbnailQuery(Request):
    size: Literal[64, 128, 256, 512] = 256


class AnalysisQuery(Request):
    k: Annotated[int, msgspec.Meta(ge=1, le=16, description="Dominant colours to find")] = 5


class SimilarQuery(Request):
    max_distance: Annotated[int, msgspec.Meta(ge=0, le=32, description="Hamming bits")] = 10
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20


class SimilarImage(msgspec.Struct):
    distance: int
    image: ImageOut


class SimilarList(msgspec.Struct):
    image_id: int
    max_distance: int
    items: list[SimilarImage]


class UploadForm(msgspec.Struct):
    """multipart/form-data: the image in a field named ``file``; its filename
    is kept (path components are refused). Every other column is read from
    the bytes."""

    file: bytes


class Upload(msgspec.Struct):
    """A decoded multipart upload: the bytes and the filename the client sent."""

    data: bytes
    filename: str
