"""Where uploaded files live: one interface, two stores, chosen in one place.

    base       Store (the interface), Staged, Blob, Listed; keys and the layout
    local      LocalStore: a folder on this host (JANUS_STORAGE_DIR)
    s3         S3Store: a bucket shared by every host (JANUS_STORAGE_URL=s3://...)
    s3errors   botocore's failures as 404 / 503 / 507
    location   s3://bucket/prefix
"""
from __future__ import annotations

from pathlib import Path

from janus.storage.base import Blob, Listed, Staged, Store, check_key, key_for, key_of
from janus.storage.local import LocalStore
from janus.storage.location import S3Location, S3Settings, is_s3_url

__all__ = ["Blob", "Listed", "LocalStore", "S3Location", "S3Settings", "Staged", "Store",
           "check_key", "is_s3_url", "key_for", "key_of", "open_store", "store_at"]


def store_at(where: str | Path, config, create: bool = False) -> Store:
    """The store at ``where``: an s3:// URL (with the AWS_* settings of
    ``config``) or a local folder (made now only with ``create``)."""
    if is_s3_url(str(where)):
        from janus.storage.s3 import S3Store  # boto3 loads only when a bucket is used
        return S3Store(S3Location.parse(str(where)), config.s3_settings)
    return LocalStore(Path(where), create=create)


def open_store(config) -> Store:
    """The store the service uses: JANUS_STORAGE_URL when set, else the
    folder JANUS_STORAGE_DIR (see janus.config), made if missing."""
    return store_at(config.storage_url or config.storage_dir, config, create=True)
