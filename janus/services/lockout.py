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
  It spares the account's known addresses (docs/accounts.md, "Known
  addresses"), so guessers cannot lock the owner out where the owner logs in.

An operator's ``janus-admin unlock`` (or the console's unlock button)
writes a ``lockout_cleared`` row: the failures before it no longer count,
for either limit and every address (``clear``). ``current`` lists the locks
in force, by the same rules as ``assess``.

The failures are the account's ``login_failed`` security rows. Each attempt
is recorded as one *before* the password is checked (janus.services.auth),
inside a transaction that serialises attempts on the account, so concurrent
guesses cannot all slip past the count: at most the threshold of them are
ever verified.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from datetime import datetime, timedelta
from itertools import groupby

from janus.access import Actor, require_level
from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.models import User, utcnow
from janus.repos.security import normalise_ip, security_events
from janus.repos.users import users

# The current lockouts list at most this many accounts (the first by name).
LOCKOUTS_LISTED = 200
# Known addresses are looked for among this many of the account's newest
# logins (within JANUS_KNOWN_ADDRESS_DAYS): a refused attempt stays cheap
# however often the account logs in (~3 ms at 50,000 logins a month).
KNOWN_LOGINS_READ = 1000


@dataclasses.dataclass(frozen=True)
class Assessment:
    """Where an account stands for one address before an attempt."""

    # Seconds until an attempt may be made; None: it may be made now.
    retry_after: int | None
    # Which limit refuses ("address" or "account"), or which one this attempt
    # reaches should it fail (then it is the one that locks).
    scope: str | None
    # The account limit is in force, and spares this address: a known one.
    known_address: bool = False


def _seconds_until(oldest: datetime, window: timedelta, now: datetime) -> int:
    """A lock holds until the oldest failure that makes it leaves the window."""
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def _address_lock(failures, address: str | None, reset: datetime | None, threshold: int,
                  window: timedelta, now: datetime) -> tuple[int | None, int]:
    """(seconds the address limit holds, or None; the address's failures
    that count): those from ``address`` after its last success ``reset``."""
    mine = [when for when, from_ip in failures
            if from_ip == address and (reset is None or when > reset)]
    if len(mine) >= threshold:
        return _seconds_until(mine[threshold - 1], window, now), len(mine)
    return None, len(mine)


def _account_lock(failures, threshold: int, window: timedelta, now: datetime) -> int | None:
    """Seconds the account limit holds, or None."""
    if len(failures) >= threshold:
        return _seconds_until(failures[threshold - 1][0], window, now)
    return None


def _is_address(address: str | None) -> bool:
    try:
        ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return True


def _is_known(account: str, address: str | None, own_address: bool, config: Config,
              now: datetime) -> bool:
    """Only the client's own address can be known, and only logins recorded
    as made from the client's own address make it so."""
    if not (own_address and config.known_address_days and _is_address(address)):
        return False
    since = now - timedelta(days=config.known_address_days)
    return security_events.logged_in_as_own(account, address, since, KNOWN_LOGINS_READ)


def assess(account: str, ip: str | None, config: Config, now: datetime,
           own_address: bool = False) -> Assessment:
    """Count the failures that matter for ``account`` from ``ip``
    (``own_address``: see ``janus.access.Client``). Call it in the
    transaction that records the attempt, after
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
    by_address, mine = _address_lock(failures, address, reset, per_address, window, now)
    account_locked = _account_lock(failures, per_account, window, now)
    # Asked only while the account is locked: the one time it changes anything.
    known = account_locked is not None and _is_known(account, address, own_address, config, now)
    by_account = None if known else account_locked
    locks = [(seconds, scope) for seconds, scope in ((by_address, "address"),
                                                     (by_account, "account"))
             if seconds is not None]
    if locks:
        retry_after, scope = max(locks)
        return Assessment(retry_after, scope, known)
    if mine + 1 >= per_address:
        return Assessment(None, "address", known)
    # A known address failing while the account is locked locks nothing new.
    if account_locked is None and len(failures) + 1 >= per_account:
        return Assessment(None, "account", known)
    return Assessment(None, None, known)


@dataclasses.dataclass(frozen=True)
class Lockout:
    """A lock in force: ``account`` (a login name; ``user``, its account if
    it has one) is locked out from ``ip`` (scope "address") or from every
    address but its known ones (scope "account", ``ip`` None) until
    ``until``, by ``failures`` counted failures."""

    account: str
    user: User | None
    scope: str
    ip: str | None
    failures: int
    until: datetime


def current(config: Config, now: datetime | None = None) -> list[Lockout]:
    """Every lock in force at ``now`` (default: now; one query), by account
    then scope: what ``assess`` would refuse an attempt with."""
    now = utcnow() if now is None else now
    window = timedelta(seconds=config.lockout_window_seconds)
    per_address, per_account = config.lockout_threshold, config.lockout_account_threshold
    rows = security_events.lockout_history(now - window, min(per_address, per_account),
                                           LOCKOUTS_LISTED)
    found = []
    for account, events in groupby(rows, key=lambda row: row.account):
        events = list(events)
        user = next((row.user for row in events if row.user_id is not None), None)
        failures = []  # as security_events.recent_failures reads them
        for row in events:
            if row.action == "lockout_cleared":
                break
            if row.action == "login_failed":
                failures.append((row.timestamp, row.ip))
        failures = failures[:max(per_address, per_account)]
        seconds = _account_lock(failures, per_account, window, now)
        if seconds is not None:
            found.append(Lockout(account, user, "account", None, len(failures),
                                 now + timedelta(seconds=seconds)))
        for address in dict.fromkeys(ip for _when, ip in failures):
            reset = max((row.timestamp for row in events
                         if row.action == "login_success" and row.ip == address), default=None)
            seconds, counted = _address_lock(failures, address, reset, per_address, window, now)
            if seconds is not None:
                found.append(Lockout(account, user, "address", address, counted,
                                     now + timedelta(seconds=seconds)))
    return found


def unlock(actor: Actor, user_id: int) -> User:
    """A superadmin clears user ``user_id``'s lockout (``clear``); the console's action."""
    require_level(actor, "superadmin")
    user = users.get_by_id(user_id)
    clear(actor, user)
    return user


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
