"""The manifest: ``manifest.json``, the last member of every archive.

It lists every other member with its size and SHA-256 (the database dump
first, then each stored file), the backend the dump came from, the Janus
migrations applied in the snapshot, the row count of each table and the
storage keys the snapshot's ``images`` rows reference. Restore trusts nothing
in the archive that the manifest does not name and checksum.

Format version 1::

    {"format": "janus-backup", "format_version": 1,
     "created_at": "2026-11-29T09:31:00Z", "backend": "sqlite",
     "database": {"path": "database/janus.sqlite3", "size": 1, "sha256": "..."},
     "migrations": ["001_initial", "002_image_phash"],
     "counts": {"users": 6, ...},
     "storage_keys": ["ab/cd/abcd..."],
     "files": [{"path": "storage/ab/cd/abcd...", "size": 1, "sha256": "..."}]}
"""
from __future__ import annotations

import dataclasses
import json
import re

from janus.backup.common import BackupError

FORMAT = "janus-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/janus.sqlite3", "postgresql": "database/janus.pgdump"}
STORAGE_PREFIX = "storage/"

HEX64 = re.compile(r"[0-9a-f]{64}")
# Paths inside the file store an archive may carry: originals and thumbnails.
# Nothing else (no "..", no absolute paths) ever reaches the file system.
ORIGINAL = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
THUMBNAIL = re.compile(r"thumbnails/([0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64})/([0-9]{1,4})\.webp")


def is_storage_key(key) -> bool:
    match = ORIGINAL.fullmatch(key) if isinstance(key, str) else None
    return bool(match) and match[3].startswith(match[1] + match[2])


def is_store_path(rel: str) -> bool:
    """``rel`` (relative to the store root) is an original or a thumbnail."""
    thumb = THUMBNAIL.fullmatch(rel)
    return is_storage_key(thumb[1] if thumb else rel)


@dataclasses.dataclass(frozen=True)
class Entry:
    path: str
    size: int
    sha256: str


@dataclasses.dataclass
class Manifest:
    created_at: str
    backend: str
    database: Entry
    migrations: list[str]
    counts: dict[str, int]
    storage_keys: list[str]
    files: list[Entry]

    def members(self) -> dict[str, Entry]:
        """Every member but the manifest itself, by path."""
        return {e.path: e for e in [self.database, *self.files]}

    def to_json(self) -> bytes:
        body = {"format": FORMAT, "format_version": FORMAT_VERSION,
                **dataclasses.asdict(self)}
        return (json.dumps(body, indent=1, sort_keys=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"damaged archive: {MANIFEST_NAME} is not JSON ({exc})") from None
        return _validated(body)


def _entry(raw, where: str) -> Entry:
    if (not isinstance(raw, dict) or not isinstance(raw.get("path"), str)
            or type(raw.get("size")) is not int or raw["size"] < 0
            or not isinstance(raw.get("sha256"), str) or not HEX64.fullmatch(raw["sha256"])):
        raise BackupError(f"damaged archive: bad {where} entry in {MANIFEST_NAME}")
    return Entry(raw["path"], raw["size"], raw["sha256"])


def _validated(body) -> Manifest:
    def bad(what: str) -> BackupError:
        return BackupError(f"damaged archive: {MANIFEST_NAME} {what}")

    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise bad(f"is not a {FORMAT} manifest")
    version = body.get("format_version")
    if type(version) is not int:
        raise bad("has no format_version")
    if version > FORMAT_VERSION:
        raise BackupError(f"archive format version {version} is newer than this Janus "
                          f"understands ({FORMAT_VERSION}): restore it with a newer Janus")
    backend = body.get("backend")
    if backend not in DATABASE_MEMBERS:
        raise bad(f"names an unknown backend {backend!r}")
    database = _entry(body.get("database"), "database")
    if database.path != DATABASE_MEMBERS[backend]:
        raise bad(f"names an unexpected database member {database.path!r}")
    files = [_entry(raw, "file") for raw in body.get("files") or []]
    for entry in files:
        rel = entry.path[len(STORAGE_PREFIX):]
        if not entry.path.startswith(STORAGE_PREFIX) or not is_store_path(rel):
            raise bad(f"names an unexpected file {entry.path!r}")
        if is_storage_key(rel) and rel.rsplit("/", 1)[1] != entry.sha256:
            raise bad(f"gives {entry.path} a checksum other than its name")
    if len({e.path for e in files}) != len(files):
        raise bad("lists a file twice")
    keys = body.get("storage_keys")
    if not isinstance(keys, list) or not all(is_storage_key(k) for k in keys):
        raise bad("has a bad storage_keys list")
    missing = set(keys) - {e.path[len(STORAGE_PREFIX):] for e in files}
    if missing:
        raise bad(f"references {len(missing)} stored file(s) it does not carry, "
                  f"e.g. {sorted(missing)[0]}")
    migrations, counts = body.get("migrations"), body.get("counts")
    if not isinstance(migrations, list) or not all(isinstance(m, str) for m in migrations):
        raise bad("has a bad migrations list")
    if not isinstance(counts, dict) or not all(type(v) is int for v in counts.values()):
        raise bad("has bad row counts")
    created_at = body.get("created_at")
    if not isinstance(created_at, str):
        raise bad("has no created_at")
    return Manifest(created_at, backend, database, migrations, counts, keys, files)
