"""Login lockout, by account and client address (as django-axes does).

Two limits over one sliding window (``JANUS_LOCKOUT_WINDOW_SECONDS``):

- ``address``: ``JANUS_LOCKOUT_THRESHOLD`` failures against one account from
  one address lock that address out of that account. A successful login from
  the address starts its count again. Someone guessing from their own
  address cannot lock the owner out of the owner's.
- ``account``: ``JANUS_LOCKOUT_ACCOUNT_THRESHOLD`` failures against one
  account from every address together lock the account, against guessing
  spread over many addresses. A success does not reset this one, so the
  owner logging in does not hand a distributed guesser a fresh allowance.

An operator's ``janus-admin unlock`` writes a ``lockout_cleared`` row: the
failures before it no longer count, for either limit and every address
(``clear``).

The failures are the account's ``login_failed`` security rows. Each attempt
is recorded as one *before* the password is checked (janus.services.auth),
inside a transaction that serialises attempts on the account, so concurrent
guesses cannot all slip past the count: at most the threshold of them are
ever verified.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.models import User
from janus.repos.security import normalise_ip, security_events


@dataclasses.dataclass(frozen=True)
class Assessment:
    """Where an account stands for one address before an attempt."""

    # Seconds until an attempt may be made; None: it may be made now.
    retry_after: int | None
    # Which limit refuses ("address" or "account"), or which one this attempt
    # reaches should it fail (then it is the one that locks).
    scope: str | None


def _seconds_until(oldest: datetime, window: timedelta, now: datetime) -> int:
    """A lock holds until the oldest failure that makes it leaves the window."""
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def assess(account: str, ip: str | None, config: Config, now: datetime) -> Assessment:
    """Count the failures that matter for ``account`` from ``ip``. Call it in
    the transaction that records the attempt, after
    ``security_events.serialise_logins``."""
    window = timedelta(seconds=config.lockout_window_seconds)
    since = now - window
    per_address, per_account = config.lockout_threshold, config.lockout_account_threshold
    # The newest failures from every address; those of this address among
    # them are its newest too. Were it to have more failures further back,
    # the account limit is reached and ends later than the address limit.
    failures = security_events.recent_failures(account, since,
                                               max(per_address, per_account))
    address = normalise_ip(ip)
    reset = security_events.last_success(account, address, since)
    mine = [when for when, from_ip in failures
            if from_ip == address and (reset is None or when > reset)]
    locks = []
    if len(mine) >= per_address:
        locks.append((_seconds_until(mine[per_address - 1], window, now), "address"))
    if len(failures) >= per_account:
        locks.append((_seconds_until(failures[per_account - 1][0], window, now), "account"))
    if locks:
        retry_after, scope = max(locks)
        return Assessment(retry_after, scope)
    if len(mine) + 1 >= per_address:
        return Assessment(None, "address")
    if len(failures) + 1 >= per_account:
        return Assessment(None, "account")
    return Assessment(None, None)


def clear(actor, user: User) -> None:
    """An operator clears ``user``'s lockout (both limits, every address):
    a ``lockout_cleared`` security row that ``assess`` counts from, and its
    audit row. Takes its turn with login attempts on the account."""
    with database.atomic():
        security_events.serialise_logins(user.email)
        security_events.record("lockout_cleared", user=user, account=user.email,
                               ip=actor.client.ip, user_agent=actor.client.user_agent,
                               metadata={"by_user_id": actor.id})
        record_change(actor.user, "user.unlocked", "user", user.id)
