"""The shape of each seed file: one msgspec Struct per domain, decoded with
unknown fields refused and strict types, and the one-line ``SeedError``.

Shapes and limits come from ``janus.schemas``, the one validation layer: a
user record carries the fields of ``UserImportIn``, a metadata-only image
those of ``ImageCreateIn`` and an analytics record those of
``AnalyticsCreateIn`` (by inheritance, so a field added there is a field of
the seed file too), and every other field uses the same constrained type as
the API (``Email``, ``AdminLevel``, ``Level``, ...). What is added here is
what only seed files have: references by natural key (emails, image owner
and filename), relative times (``at``) and the ``key`` of append-only records.
"""
from __future__ import annotations

from typing import Annotated, Any

import msgspec

from janus.schemas.common import Request, Text
from janus.schemas.images import ImageFields
from janus.schemas.records import (
    Account,
    AnalyticsFields,
    Ip,
    Level,
    Module,
    Name,
    SecurityAction,
    UserAgent,
)
from janus.schemas.users import AdminLevel, Email, UserImportIn

# Load order: every domain refers only to domains before it.
DOMAINS = ("users", "admins", "images", "analytics", "logs", "security")
SEED_KEY = "seed"  # JSON key under which append-only rows keep their natural key

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
JSONObject = dict[str, Any]


class SeedError(Exception):
    """One problem with the seeds or the database, rendered as one line."""

    def __init__(self, message: str, file: str | None = None, record: int | None = None,
                 label: str | None = None):
        super().__init__(message)
        self.message, self.file, self.record, self.label = message, file, record, label

    def __str__(self) -> str:
        parts = [self.file] if self.file else ["janus.seeds"]
        if self.record is not None:
            parts.append(f"record {self.record}" + (f" ({self.label})" if self.label else ""))
        parts.append(self.message)
        return ": ".join(parts)


# -- one Struct per domain -------------------------------------------------
# ``Request`` refuses unknown fields; ``at`` (and ``last_login``) are relative
# times, "now" or "-2d3h", read by ``janus.seeds.values.relative_time``.
class Dated(Request, kw_only=True):
    """When the record happened: "now" or relative, e.g. "-2d3h"."""

    at: str = "now"


class UserSeed(UserImportIn, kw_only=True):
    at: str = "now"
    last_login: str | None = None


class AdminSeed(Dated, kw_only=True):
    user: Email
    admin_level: AdminLevel
    granted_by: Email | None = None


class ImageSeed(ImageFields, kw_only=True):
    """A metadata-only image: the fields of ``ImageCreateIn``, with its owner."""

    owner: Email
    # Called "metadata" in the file, as in the other domains' records.
    image_metadata: JSONObject = msgspec.field(default_factory=dict, name="metadata")
    at: str = "now"


class ImageFileSeed(Dated, kw_only=True):
    """An image stored from a real file under the seed directory, as an upload
    would be: everything technical is read from the bytes."""

    owner: Email
    file: NonEmpty  # relative to the seed directory, e.g. "files/logo.png"
    filename: Text | None = None  # default: the file's base name


def _names(struct: type) -> list[str]:
    return [field.encode_name for field in msgspec.structs.fields(struct)]


# The fields only a metadata-only record has: a file-backed one may not give
# them, because the bytes are the truth.
IMAGE_TECHNICAL_FIELDS = tuple(name for name in _names(ImageSeed)
                               if name not in _names(ImageFileSeed))


class ImageRef(Request, kw_only=True):
    owner: Email
    filename: Text


class AnalyticsSeed(AnalyticsFields, kw_only=True):
    """The fields of ``AnalyticsCreateIn``; ``data`` must be an object here,
    since it holds the record's ``key``. ``user`` is required: the API only
    creates records owned by their caller, and so do the seeds."""

    key: Key
    user: Email
    image: ImageRef | None = None
    at: str = "now"


class LogSeed(Dated, kw_only=True):
    key: Key
    action: Name
    module: Module
    level: Level = "info"
    user: Email | None = None
    metadata: JSONObject = msgspec.field(default_factory=dict)


class SecuritySeed(Dated, kw_only=True):
    key: Key
    action: SecurityAction
    user: Email | None = None
    account: Account | None = None
    ip: Ip | None = None
    user_agent: UserAgent | None = None
    metadata: JSONObject = msgspec.field(default_factory=dict)
