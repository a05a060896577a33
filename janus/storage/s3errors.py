"""What botocore raises, as the typed errors the API answers with.

* the object is not there (NoSuchKey, a HEAD's bare 404)   -> NotFound (404)
* the server says it is full (507, or a storage-full code,
  or a "no space left" message from a server on a disk)   -> InsufficientStorage (507)
* anything else: no connection, a timeout, a 5xx, or a
  refusal (AccessDenied, NoSuchBucket, a read-only server) -> ServiceUnavailable (503)

A refusal is the operator's to fix, not the client's, and never a 500. The
log line keeps the server's own code and message; the answer does not (it
would name the endpoint or the bucket).
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from botocore.exceptions import BotoCoreError, ClientError

from janus.errors import InsufficientStorage, NotFound
from janus.storage.base import StoreRefused, StoreUnreachable

log = logging.getLogger("janus.files")
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
# Servers' words for "full": MinIO, Ceph RGW (quota), Wasabi/others (EntityTooLarge
# is per-object, not "full": it stays a 503 like any refusal).
FULL_CODES = frozenset({"XMinioStorageFull", "QuotaExceeded", "InsufficientStorage",
                        "StorageFull", "NotEnoughSpace"})
FULL_WORDS = ("no space left", "storage full", "quota exceeded", "disk full")


def error_code(exc: ClientError) -> tuple[str, int]:
    error = exc.response.get("Error") or {}
    status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0
    return str(error.get("Code") or status), int(status)


def is_missing(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc)[0] in MISSING


def is_full(exc: ClientError) -> bool:
    code, status = error_code(exc)
    message = str((exc.response.get("Error") or {}).get("Message") or "").lower()
    return status == 507 or code in FULL_CODES or any(w in message for w in FULL_WORDS)


@contextlib.contextmanager
def translated(action: str, where: str) -> Iterator[None]:
    """Run a boto3 call; ``action`` ("store a file") goes into the messages,
    ``where`` (s3://bucket/prefix) into the log only."""
    try:
        yield
    except ClientError as exc:
        if is_missing(exc):
            raise NotFound("stored file not found") from None
        code, status = error_code(exc)
        _log(action, where, f"{code} (HTTP {status}): {exc}")
        if is_full(exc):
            raise InsufficientStorage(f"the file store is full: could not {action}; "
                                      "nothing was stored; retry once space is freed") from exc
        raise StoreRefused(f"the file store refused to {action}; "
                                 "retry later") from exc
    except BotoCoreError as exc:  # no connection, a timeout, a broken response
        _log(action, where, f"{type(exc).__name__}: {exc}")
        raise StoreUnreachable(f"the file store cannot be reached to {action}; "
                                 "retry later") from exc


def _log(action: str, where: str, detail: str) -> None:
    log.warning({"message": f"file store: could not {action}", "store": where,
                 "detail": detail})
