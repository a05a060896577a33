"""Image uploads: validate the bytes, store them by content hash, and write
the images row (with its audit row) in one transaction.

The HTTP route and the seed loader both come through ``ingest``, so demo
images get exactly the metadata a real upload would. Files are shared by
content: one stored file may back several owners' rows, and it is removed
only when the last row that uses it is gone (``release``).
"""
from __future__ import annotations

from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.errors import Conflict
from janus.imaging import FileStore, inspect_image, safe_filename
from janus.models import Image, User
from janus.repos.images import images


def file_store(config: Config) -> FileStore:
    return FileStore(config.storage_dir)


def ingest(owner: User, data: bytes, filename: str, config: Config,
           actor: User | None = None) -> Image:
    """Store an uploaded file for ``owner``; raises typed errors for bad bytes,
    a bad filename (422), too many pixels (413), an unsupported format (415)
    and bytes this owner already uploaded (409, with the existing id)."""
    name = safe_filename(filename)
    info = inspect_image(data, name, config.max_image_pixels)
    existing = images.duplicate_of(owner, info.sha256)
    if existing is not None:
        raise _duplicate(existing)
    store = file_store(config)
    key = store.put(data)
    try:
        with database.atomic():
            image = images.create(owner=owner.id, storage_key=key, **info.fields())
            record_change(actor or owner, "image.uploaded", "image", image.id,
                          {"filename": image.filename, "format": image.format,
                           "sha256": image.sha256, "file_size": image.file_size})
    except Exception as exc:
        release(store, key)
        if isinstance(exc, Conflict):
            # Lost a race with this owner's identical upload: the (owner, sha256)
            # unique index caught what the check above could not see yet.
            existing = images.duplicate_of(owner, info.sha256)
            if existing is not None:
                raise _duplicate(existing) from None
        raise
    return image


def _duplicate(existing: Image) -> Conflict:
    return Conflict(f"you already uploaded this file as image {existing.id}",
                    details={"existing_id": existing.id})


def release(store: FileStore, key: str | None) -> bool:
    """Delete the stored file (and its thumbnails) when no row uses it any more."""
    if key is None or Image.select().where(Image.storage_key == key).exists():
        return False
    store.delete(key)
    store.delete_thumbnails(key)
    return True


def keys_of_owner(owner_id: int) -> list[str]:
    """Storage keys of an owner's images, to release after deleting the owner."""
    query = (Image.select(Image.storage_key).distinct()
             .where((Image.owner == owner_id) & Image.storage_key.is_null(False)))
    return [key for (key,) in query.tuples()]
