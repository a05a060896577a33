"""Images: the metadata record of an uploaded (or described) picture.

The bytes live in storage under ``storage_key``; this table holds what Pillow
reported about them, so lists and filters never open a file.
"""
from __future__ import annotations

import re
from datetime import datetime

import peewee as pw

from janus.errors import ValidationError
from janus.models import Image
from janus.repos.base import Repository
from janus.repos.common import json_equals, positive_int, text, user_id, when

SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_BIGINT = 2**63 - 1


class ImageRepository(Repository):
    model = Image
    writable = ("owner", "filename", "format", "width", "height", "color_type", "bit_depth",
                "compression_method", "file_size", "sha256", "storage_key", "image_metadata",
                "phash")
    required = ("owner", "filename", "format", "width", "height", "color_type", "bit_depth",
                "file_size")

    def _check(self, fields: dict) -> dict:
        """Types first (base), then values; normalises ``fields`` in place."""
        if "image_metadata" in fields and fields["image_metadata"] is None:
            fields["image_metadata"] = {}  # "no metadata" is an empty object
        super()._check(fields)
        for name in ("filename", "format", "color_type"):
            if fields.get(name) is not None:
                fields[name] = text(fields[name], f"$.{name}")
        if fields.get("format") is not None:
            # Pillow says "PNG", "JPEG"; one spelling keeps by_format exact.
            fields["format"] = fields["format"].upper()
        for name in ("width", "height", "bit_depth"):
            if fields.get(name) is not None:
                positive_int(fields[name], f"$.{name}")
        if fields.get("file_size") is not None:
            positive_int(fields["file_size"], "$.file_size", MAX_BIGINT)
        if fields.get("sha256") is not None:
            digest = fields["sha256"].lower()
            if not SHA256.fullmatch(digest):
                raise ValidationError.at("$.sha256", "must be 64 hexadecimal digits")
            fields["sha256"] = digest
        if "image_metadata" in fields and not isinstance(fields["image_metadata"], dict):
            raise ValidationError.at("$.image_metadata", "must be an object")
        return fields

    # -- queries (each narrows ``query``, default: all images) --------------
    def _q(self, query):
        return self.select() if query is None else query

    def by_owner(self, owner, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        uid = user_id(owner, "$.owner_id")
        if uid is None:
            raise ValidationError.at("$.owner_id", "must be a user id")
        return self._q(query).where(Image.owner == uid)

    def by_format(self, fmt: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        return self._q(query).where(Image.format == text(fmt, "$.format").upper())

    def min_size(self, min_width: int | None = None, min_height: int | None = None,
                 query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """Images at least ``min_width`` wide and ``min_height`` high."""
        query = self._q(query)
        if min_width is not None:
            query = query.where(Image.width >= positive_int(min_width, "$.min_width"))
        if min_height is not None:
            query = query.where(Image.height >= positive_int(min_height, "$.min_height"))
        return query

    def created_between(self, since: datetime | None = None, until: datetime | None = None,
                        query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """Images created in [since, until); either bound may be open."""
        since, until = when(since, "$.since"), when(until, "$.until")
        if since is not None and until is not None and since >= until:
            raise ValidationError.at("$.until", "must be later than since")
        return self.since(self._q(query), since, until)

    def by_metadata(self, key, value, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """``key`` may be nested: "exif.Make" or ("exif", "Make")."""
        return self._q(query).where(json_equals(Image.image_metadata, key, value))

    def duplicate_of(self, owner, sha256: str) -> Image | None:
        """The owner's image with these bytes, if any (uploads answer 409)."""
        if not isinstance(sha256, str):
            raise ValidationError.at("$.sha256", "must be 64 hexadecimal digits")
        return self.by_owner(owner).where(Image.sha256 == sha256.lower()).first()

    def search(self, owner=None, format: str | None = None, min_width: int | None = None,
               min_height: int | None = None, since: datetime | None = None,
               until: datetime | None = None, metadata: dict | None = None,
               query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        """Every filter at once, as the list route receives them (None: unused)."""
        query = self._q(query)
        if owner is not None:
            query = self.by_owner(owner, query)
        if format is not None:
            query = self.by_format(format, query)
        query = self.min_size(min_width, min_height, query)
        query = self.created_between(since, until, query)
        for key, value in (metadata or {}).items():
            query = self.by_metadata(key, value, query)
        return query


images = ImageRepository()
