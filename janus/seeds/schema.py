"""The shape of each seed file: one msgspec Struct per domain, decoded with
unknown fields refused and strict types, and the one-line ``SeedError``."""
from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from janus.models import ADMIN_LEVELS, LOG_LEVELS

# Load order: every domain refers only to domains before it.
DOMAINS = ("users", "admins", "images", "analytics", "logs", "security")
SEED_KEY = "seed"  # JSON key under which append-only rows keep their natural key

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Positive = Annotated[int, msgspec.Meta(gt=0)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
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
class _Seed(msgspec.Struct, forbid_unknown_fields=True):
    """Unknown fields are errors; subclasses are keyword-only (kw_only is not inherited)."""


class UserSeed(_Seed, kw_only=True):
    email: NonEmpty
    username: NonEmpty
    password_hash: NonEmpty
    is_active: bool = True
    at: str = "now"
    last_login: str | None = None


class AdminSeed(_Seed, kw_only=True):
    user: NonEmpty
    admin_level: Literal[ADMIN_LEVELS]
    granted_by: NonEmpty | None = None
    at: str = "now"


class ImageSeed(_Seed, kw_only=True):
    owner: NonEmpty
    filename: NonEmpty
    format: NonEmpty
    width: Positive
    height: Positive
    color_type: NonEmpty
    bit_depth: Annotated[int, msgspec.Meta(ge=1, le=64)]
    compression_method: NonEmpty | None = None
    file_size: Positive
    sha256: Sha256 | None = None
    metadata: JSONObject = msgspec.field(default_factory=dict)
    at: str = "now"


class ImageFileSeed(_Seed, kw_only=True):
    """An image stored from a real file under the seed directory, as an upload
    would be: everything technical is read from the bytes."""
    owner: NonEmpty
    file: NonEmpty  # relative to the seed directory, e.g. "files/logo.png"
    filename: NonEmpty | None = None  # default: the file's base name
    at: str = "now"


# ImageSeed fields a file-backed record may not give: the bytes are the truth.
IMAGE_TECHNICAL_FIELDS = ("format", "width", "height", "color_type", "bit_depth",
                          "compression_method", "file_size", "sha256", "metadata")


class ImageRef(_Seed, kw_only=True):
    owner: NonEmpty
    filename: NonEmpty


class AnalyticsSeed(_Seed, kw_only=True):
    key: Key
    research_topic: NonEmpty
    data: JSONObject
    image: ImageRef | None = None
    user: NonEmpty | None = None
    at: str = "now"


class LogSeed(_Seed, kw_only=True):
    key: Key
    action: NonEmpty
    module: NonEmpty
    level: Literal[LOG_LEVELS] = "info"
    user: NonEmpty | None = None
    metadata: JSONObject = msgspec.field(default_factory=dict)
    at: str = "now"


class SecuritySeed(_Seed, kw_only=True):
    key: Key
    action: NonEmpty
    user: NonEmpty | None = None
    account: NonEmpty | None = None
    ip: NonEmpty | None = None
    user_agent: NonEmpty | None = None
    metadata: JSONObject = msgspec.field(default_factory=dict)
    at: str = "now"
