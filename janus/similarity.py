"""Near-duplicate search over perceptual hashes, done by the database.

Hashes are stored as signed BIGINTs. The Hamming distance is computed in SQL:
PostgreSQL (14+) with ``bit_count((phash # h)::bit(64))``; SQLite has no
XOR or popcount, so janus.db registers ``janus_hamming(a, b)`` (``hamming_sql``) on every
connection (a deterministic function SQLite calls per row, in-process). Both
are a scan over the caller's visible rows with hashes, without materialising
rows in Python; bench/ measures it on tens of thousands of images.
"""
from __future__ import annotations

import peewee as pw

from janus.db import MASK_64, is_postgres
from janus.errors import Conflict
from janus.models import Image

MASK = MASK_64
MAX_DISTANCE = 32


def distance_to(value: int):
    if is_postgres():
        return pw.fn.bit_count(pw.Cast(pw.Expression(Image.phash, "#", value), "bit(64)"))
    return pw.fn.janus_hamming(Image.phash, value)


def similar(image: Image, query: pw.ModelSelect, max_distance: int, limit: int):
    """[(image, distance)] of rows in ``query`` within ``max_distance`` bits of
    ``image``, nearest first (ties: newest first)."""
    if image.phash is None:
        raise Conflict("this record has no perceptual hash (it has no uploaded file)")
    distance = distance_to(image.phash)
    rows = (query.select_extend(distance.alias("distance"))
            .where(Image.phash.is_null(False), Image.id != image.id, distance <= max_distance)
            .order_by(distance, Image.created_at.desc(), Image.id.desc())
            .limit(limit).objects())
    return [(row, row.distance) for row in rows]
