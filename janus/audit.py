"""The audit trail: one ``logs`` row per successful change.

Callers write the change and its audit row inside one ``database.atomic()``
block, so either both are stored or neither is. Secrets never reach a row.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import datetime

from janus.repos.logs import logs

# Where the change came from when it was not an API request, merged into
# every audit row's metadata while set: the operator CLI (janus.operator) sets
# {"via": "cli", "os_user": ..., "host": ...}, its actor having no user.
_origin: ContextVar[dict | None] = ContextVar("audit_origin", default=None)


@contextlib.contextmanager
def origin(metadata: dict):
    """Stamp every audit row written in the block with ``metadata``."""
    token = _origin.set(dict(metadata))
    try:
        yield
    finally:
        _origin.reset(token)

# Field names whose values are replaced before they are logged.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash",
                           "current_password", "new_password", "key", "key_hash"})


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def redact(changes: dict | None) -> dict:
    return {key: ("[redacted]" if key in SECRET_FIELDS else _plain(value))
            for key, value in (changes or {}).items()}


def record_change(actor, action: str, object_type: str, object_id, changes: dict | None = None,
                  level: str = "info", *, at: datetime | None = None):
    """Write the audit row for ``action`` (``<domain>.<verb>``, e.g. ``image.updated``).
    ``at``: when the change happened, if not now (the seed loader's times)."""
    module = action.split(".", 1)[0]
    metadata = {"object_type": object_type, "object_id": object_id}
    if changes:
        metadata["changes"] = redact(changes)
    metadata.update(_origin.get() or {})
    return logs.record(action, module, user=actor, level=level, metadata=metadata,
                       **({} if at is None else {"timestamp": at}))
