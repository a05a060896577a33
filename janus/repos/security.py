"""Security events: logins, failures, logouts, password changes.

``account`` is the login name that was tried, lower-cased, so failures
against accounts that do not exist are counted (and rate-limited) too.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime

import peewee as pw
from peewee import JOIN, fn

from janus.db import database, is_postgres
from janus.models import SecurityEvent, User
from janus.repos.base import Repository
from janus.repos.common import HistoryMixin

# pg_advisory_xact_lock(namespace, key): the namespace keeps Janus's login
# locks apart from any other advisory lock on the same database.
LOGIN_LOCK_NAMESPACE = 0x4A4E4C  # "JNL"

ACCOUNT_MAX = SecurityEvent.account.max_length
USER_AGENT_MAX = SecurityEvent.user_agent.max_length
IP_MAX = SecurityEvent.ip.max_length


def normalise_account(account: str | None) -> str | None:
    """Lower-cased and stripped; cut to the column width rather than refused,
    because an over-long login attempt must still be recorded (and counted)."""
    if account is None:
        return None
    return account.strip().lower()[:ACCOUNT_MAX]


def normalise_ip(ip: str | None) -> str | None:
    """The canonical form of an address. Something unparseable (a proxy's
    "unknown", a port suffix) is kept as text rather than refused: recording
    a login attempt must not fail on what the client or proxy sent."""
    if ip is None:
        return None
    ip = ip.strip()
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip[:IP_MAX]


def recorded():
    """The service's own rows: the only ones the lockout and the counts read.
    A reported row (``source = client``, POST /security-events) is stored
    and shown, and changes nothing."""
    return SecurityEvent.source == "service"


class SecurityRepository(HistoryMixin, Repository):
    model = SecurityEvent

    def _normalise(self, fields: dict) -> dict:
        # Cut rather than refused: recording a login attempt must not fail on
        # what the client or a proxy sent.
        if "account" in fields:
            fields["account"] = normalise_account(fields["account"])
        if "ip" in fields:
            fields["ip"] = normalise_ip(fields["ip"])
        if isinstance(fields.get("user_agent"), str):
            fields["user_agent"] = fields["user_agent"][:USER_AGENT_MAX]
        if fields.get("security_metadata", {}) is None:
            fields["security_metadata"] = {}
        return fields

    def record(self, action: str, user=None, account: str | None = None, ip: str | None = None,
               user_agent: str | None = None, metadata: dict | None = None,
               **columns) -> SecurityEvent:
        """``columns``: a ``timestamp`` other than now (the seed loader's)."""
        return self.create(action=action, user=user, account=account, ip=ip,
                           user_agent=user_agent, security_metadata=metadata, **columns)

    def serialise_logins(self, account: str) -> None:
        """Inside a transaction: make concurrent login attempts on ``account``
        take turns until it commits, so each counts the attempts before it.
        SQLite needs nothing: every transaction begins IMMEDIATE (janus.db),
        which already serialises writers. PostgreSQL takes an advisory lock
        on the account, released at commit."""
        if is_postgres():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                           (LOGIN_LOCK_NAMESPACE, normalise_account(account)))

    def recent_failures(self, account: str, since: datetime,
                        limit: int) -> list[tuple[datetime, str | None]]:
        """``(timestamp, ip)`` of the newest ``limit`` recorded login failures
        against ``account`` after ``since``, newest first (the (account,
        source, action, timestamp) index serves it)."""
        query = (SecurityEvent.select(SecurityEvent.timestamp, SecurityEvent.ip,
                                      SecurityEvent.action)
                 .where((SecurityEvent.account == normalise_account(account)) & recorded()
                        & SecurityEvent.action.in_(("login_failed", "lockout_cleared"))
                        & (SecurityEvent.timestamp > since))
                 .order_by(SecurityEvent.timestamp.desc(), SecurityEvent.id.desc())
                 .limit(limit))
        # An operator's unlock (``lockout_cleared``, janus-admin unlock): the
        # failures before it no longer count. Same query, no extra round trip.
        failures = []
        for when, ip, action in query.tuples():
            if action == "lockout_cleared":
                break
            failures.append((when, ip))
        return failures

    def _logins_from(self, account: str, ip: str | None, since: datetime) -> pw.ModelSelect:
        ip_match = (SecurityEvent.ip.is_null() if normalise_ip(ip) is None
                    else SecurityEvent.ip == normalise_ip(ip))
        return (SecurityEvent.select(SecurityEvent.timestamp)
                .where((SecurityEvent.account == normalise_account(account)) & recorded()
                       & (SecurityEvent.action == "login_success")
                       & (SecurityEvent.timestamp > since) & ip_match))

    def last_success(self, account: str, ip: str | None, since: datetime) -> datetime | None:
        """When ``account`` last logged in from ``ip`` after ``since``, or None."""
        return (self._logins_from(account, ip, since)
                .order_by(SecurityEvent.timestamp.desc()).limit(1).scalar())

    def logged_in_as_own(self, account: str, ip: str, since: datetime, newest: int) -> bool:
        """Whether one of ``account``'s ``newest`` logins after ``since`` was
        from ``ip`` with ``ip`` the client's own address, as the row records
        it (janus.services.auth; rows from before it was recorded do not say
        so). Bounded: an account that logs in all day costs no more to ask
        (the (account, source, action, timestamp) index walked backwards)."""
        own = SecurityEvent.security_metadata["own_address"] == True  # noqa: E712
        recent = (SecurityEvent.select(SecurityEvent.ip, own.alias("own"))
                  .where((SecurityEvent.account == normalise_account(account)) & recorded()
                         & (SecurityEvent.action == "login_success")
                         & (SecurityEvent.timestamp > since))
                  .order_by(SecurityEvent.timestamp.desc()).limit(newest).alias("recent"))
        query = (pw.Select((recent,), (pw.SQL("1"),))
                 .where((recent.c.ip == normalise_ip(ip)) & (recent.c.own == True))  # noqa: E712
                 .limit(1))
        return database.execute(query).fetchone() is not None

    def lockout_history(self, since: datetime, min_failures: int, max_accounts: int) -> list:
        """The login failures, successes and operator unlocks after ``since``
        of every account (at most ``max_accounts``) with ``min_failures``
        failures or more after ``since``, each row with the user it names
        (or None), grouped by account and newest first: one query, for the
        list of current lockouts (janus.services.lockout.current)."""
        candidates = (SecurityEvent.select(SecurityEvent.account)
                      .where((SecurityEvent.action == "login_failed") & recorded()
                             & (SecurityEvent.timestamp > since))
                      .group_by(SecurityEvent.account)
                      .having(fn.COUNT(SecurityEvent.id) >= min_failures)
                      .order_by(SecurityEvent.account).limit(max_accounts))
        return list(
            SecurityEvent.select(SecurityEvent.id, SecurityEvent.account, SecurityEvent.action,
                                 SecurityEvent.user,
                                 SecurityEvent.ip, SecurityEvent.timestamp,
                                 User.id, User.email, User.username, User.is_active)
            .join(User, JOIN.LEFT_OUTER, on=(SecurityEvent.user == User.id))
            .where(SecurityEvent.account.in_(candidates) & recorded()
                   & SecurityEvent.action.in_(("login_failed", "login_success",
                                               "lockout_cleared"))
                   & (SecurityEvent.timestamp > since))
            .order_by(SecurityEvent.account, SecurityEvent.timestamp.desc(),
                      SecurityEvent.id.desc()))

    def settle(self, event: SecurityEvent, action: str, metadata: dict) -> None:
        """Turn a recorded attempt into what it turned out to be."""
        SecurityEvent.update(action=action, security_metadata=metadata) \
            .where(SecurityEvent.id == event.id).execute()

    def by_action(self, action: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(SecurityEvent.action == action)

    def by_account(self, account: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(SecurityEvent.account == normalise_account(account))

    def by_ip(self, ip: str, query: pw.ModelSelect) -> pw.ModelSelect:
        return query.where(SecurityEvent.ip == normalise_ip(ip))


security_events = SecurityRepository()
