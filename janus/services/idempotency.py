"""Idempotency keys: a POST retried with the same ``Idempotency-Key`` gets the
first answer again and changes nothing.

``run_once`` opens one transaction around the whole request. The services'
own ``database.atomic()`` blocks nest inside it as savepoints, and the
stored answer is written in that same transaction: a crash leaves either the
change and its key, or neither. The client that saw a broken connection
retries with the same key and learns what happened.

- A key is scoped: ``user:<id>`` for authenticated routes, ``client:<address>``
  for public ones (register). Two scopes never see each other's keys.
- The fingerprint is an HMAC-SHA256 of method, path (with query) and raw
  body, keyed with JANUS_SECRET_KEY (janus.secret_key): a body can hold a
  password, and a plain digest of it in the database would confirm a guess
  offline. The same key with another fingerprint is a 422, and so is a
  retry after JANUS_SECRET_KEY changed (or, for a row written before keyed
  fingerprints, migration 011 blanked): the service can no longer tell that
  it is the same request, and running it again could do it twice.
- A concurrent duplicate waits for the first to finish, then replays its
  answer: SQLite transactions begin IMMEDIATE (one writer at a time), and on
  PostgreSQL the second INSERT of the unique (scope, key) blocks until the
  first transaction ends. If the first one failed, the second runs.
- Only successful (2xx) answers are stored. An error answer leaves no key:
  whatever the service committed before raising (e.g. a security event)
  stays, the key row is removed, and a retry runs again. An unexpected
  exception rolls the whole request back.
- Keys expire after ``JANUS_IDEMPOTENCY_TTL_SECONDS``; an expired key counts
  as unused, and expired rows are purged (``purge_expired``) at most once a
  minute per process, inside a keyed request's transaction.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import peewee as pw

from janus.db import database
from janus.errors import Conflict, JanusError, ValidationError
from janus.models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
# 1-255 visible ASCII characters (no space, no control characters).
KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")
PURGE_EVERY_SECONDS = 60

_purge_lock = threading.Lock()
_last_purge = [float("-inf")]


@dataclasses.dataclass(frozen=True)
class Answer:
    """An HTTP answer as sent: status, the headers worth replaying, body."""

    status: int
    headers: dict
    body: bytes
    replayed: bool = False


def check_key(raw: str) -> str:
    """The key as sent, or 422 naming the header."""
    if not KEY_RE.fullmatch(raw):
        raise ValidationError(
            f"{HEADER} must be 1 to 255 visible ASCII characters",
            details=[{"path": f"header {HEADER}",
                      "message": "1 to 255 visible ASCII characters (0x21-0x7E)"}])
    return raw


def fingerprint(secret: bytes, method: str, path: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) keyed with ``secret`` of the length-prefixed parts."""
    digest = hmac.new(secret, digestmod=hashlib.sha256)
    for part in (method.upper().encode(), path.encode("utf-8", "surrogateescape"), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _stored(scope: str, key: str, now: datetime) -> IdempotencyKey | None:
    row = IdempotencyKey.get_or_none((IdempotencyKey.scope == scope)
                                     & (IdempotencyKey.key == key))
    if row is not None and row.expires_at <= now:
        row.delete_instance()  # expired: as if never used
        return None
    return row


def _replay(row: IdempotencyKey, print_: str) -> Answer:
    if row.fingerprint != print_:
        raise ValidationError(
            f"this {HEADER} was already used for a different request",
            details=[{"path": f"header {HEADER}",
                      "message": "reused with another method, path or body"}])
    return Answer(row.status, dict(row.response_headers), row.response_body.encode("utf-8"),
                  replayed=True)


def _claim(scope: str, key: str, print_: str, now: datetime, ttl: int):
    """Insert the key (status 0: running) or return the row already there."""
    try:
        with database.atomic():
            return IdempotencyKey.create(scope=scope, key=key, fingerprint=print_, status=0,
                                         response_body="", created_at=now,
                                         expires_at=now + timedelta(seconds=ttl))
    except pw.IntegrityError:
        # PostgreSQL: another transaction committed this key while we waited.
        row = _stored(scope, key, now)
        if row is None:
            raise Conflict(f"a request with this {HEADER} is in progress; retry") from None
        return row


def run_once(scope: str, key: str, print_: str, ttl: int,
             execute: Callable[[], Answer], *, now: datetime | None = None) -> Answer:
    """Answer with the stored answer for (scope, key), or run ``execute`` and
    store its answer in the same transaction as its changes."""
    now = now or utcnow()
    failure: JanusError | None = None
    with database.atomic() as txn:
        _maybe_purge(now)
        row = _stored(scope, key, now)
        if row is None:
            row = _claim(scope, key, print_, now, ttl)
        if row.status:
            return _replay(row, print_)
        try:
            answer = execute()
        except JanusError as exc:
            failure = exc
            _forget(row, txn)
        else:
            if 200 <= answer.status < 300:
                row.status = answer.status
                row.response_headers = answer.headers
                row.response_body = answer.body.decode("utf-8")
                row.save()
            else:
                _forget(row, txn)
    if failure is not None:
        raise failure
    return answer


def _forget(row: IdempotencyKey, txn) -> None:
    """Drop the claim of a request that answered with an error, keeping what
    the service committed before raising. Should a write outside a savepoint
    have left the transaction unusable (PostgreSQL), roll it all back."""
    try:
        with database.atomic():
            row.delete_instance()
    except pw.DatabaseError:
        txn.rollback()


def purge_expired(now: datetime | None = None) -> int:
    """Delete expired keys; returns how many."""
    now = now or utcnow()
    return IdempotencyKey.delete().where(IdempotencyKey.expires_at <= now).execute()


def _maybe_purge(now: datetime) -> None:
    with _purge_lock:
        if time.monotonic() - _last_purge[0] < PURGE_EVERY_SECONDS:
            return
        _last_purge[0] = time.monotonic()
    purge_expired(now)
