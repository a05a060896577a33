"""Images: the metadata record of an uploaded (or described) picture.

The bytes live in storage under ``storage_key``; this table holds what Pillow
reported about them, so lists and filters never open a file.
"""
from __future__ import annotations

from datetime import datetime

from janus.errors import ValidationError
from janus.models import Image
from janus.repos.base import Repository, naive_utc
from janus.repos.common import text


def check_range(since: datetime | None, until: datetime | None) -> None:
    """The list filter's time range must not be empty (422)."""
    if since is not None and until is not None and naive_utc(since) >= naive_utc(until):
        raise ValidationError.at("$.until", "must be later than since")


class ImageRepository(Repository):
    model = Image

    def _normalise(self, fields: dict) -> dict:
        if fields.get("color_type") is not None:
            fields["color_type"] = text(fields["color_type"], "$.color_type")
        if fields.get("format") is not None:
            # Pillow says "PNG", "JPEG"; one spelling keeps the format filter exact.
            fields["format"] = text(fields["format"], "$.format").upper()
        if fields.get("sha256") is not None:
            fields["sha256"] = fields["sha256"].lower()
        if "image_metadata" in fields and fields["image_metadata"] is None:
            fields["image_metadata"] = {}  # "no metadata" is an empty object
        return fields

    def duplicate_of(self, owner_id: int, sha256: str) -> Image | None:
        """The owner's image with these bytes, if any (uploads answer 409)."""
        return self.select().where((Image.owner == owner_id)
                                   & (Image.sha256 == sha256.lower())).first()


images = ImageRepository()
