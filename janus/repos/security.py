"""Security events: logins, failures, logouts, password changes.

``account`` is the login name that was tried, lower-cased, so failures
against accounts that do not exist are counted (and rate-limited) too.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime

import peewee as pw

from janus.errors import ValidationError
from janus.models import SecurityEvent
from janus.repos.base import Repository
from janus.repos.common import HistoryMixin, text, when

LOGIN_FAILED = "login_failed"
ACCOUNT_MAX = SecurityEvent.account.max_length
USER_AGENT_MAX = SecurityEvent.user_agent.max_length
IP_MAX = SecurityEvent.ip.max_length


def normalise_account(account) -> str | None:
    """Lower-cased and stripped; cut to the column width rather than refused,
    because an over-long login attempt must still be recorded (and counted)."""
    if account is None:
        return None
    if not isinstance(account, str):
        raise ValidationError.at("$.account", "must be a string")
    return account.strip().lower()[:ACCOUNT_MAX]


def normalise_ip(ip) -> str | None:
    """The canonical form of an address. Something unparseable (a proxy's
    "unknown", a port suffix) is kept as text rather than refused: recording
    a login attempt must not fail on what the client or proxy sent."""
    if ip is None:
        return None
    if not isinstance(ip, str):  # ip_address(5) would give "0.0.0.5"
        raise ValidationError.at("$.ip", "must be a string")
    ip = ip.strip()
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip[:IP_MAX]


class SecurityRepository(HistoryMixin, Repository):
    model = SecurityEvent
    metadata_field = "security_metadata"
    writable = ("user", "action", "account", "ip", "user_agent", "security_metadata")
    required = ("action",)

    def _check(self, fields: dict) -> dict:
        # Normalise before the base type check, so an over-long user agent or
        # account is cut rather than refused.
        if "account" in fields:
            fields["account"] = normalise_account(fields["account"])
        if "ip" in fields:
            fields["ip"] = normalise_ip(fields["ip"])
        if isinstance(fields.get("user_agent"), str):
            fields["user_agent"] = fields["user_agent"][:USER_AGENT_MAX]
        if "security_metadata" in fields and fields["security_metadata"] is None:
            fields["security_metadata"] = {}
        super()._check(fields)
        if "action" in fields:
            fields["action"] = text(fields["action"], "$.action")
        if not isinstance(fields.get("security_metadata", {}), dict):
            raise ValidationError.at("$.security_metadata", "must be an object")
        return fields

    def record(self, action: str, user=None, account: str | None = None, ip: str | None = None,
               user_agent: str | None = None, metadata: dict | None = None) -> SecurityEvent:
        return self.create(action=action, user=user, account=account, ip=ip,
                           user_agent=user_agent, security_metadata=metadata)

    def by_action(self, action: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(SecurityEvent.action == text(action, "$.action"))

    def by_account(self, account: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(SecurityEvent.account == normalise_account(text(account, "$.account")))

    def by_ip(self, ip: str, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
        query = self.select() if query is None else query
        return query.where(SecurityEvent.ip == normalise_ip(text(ip, "$.ip")))

    def failures_since(self, account: str, since: datetime) -> int:
        """How many ``login_failed`` events ``account`` had at or after ``since``
        (the lockout check; served by the (account, action, timestamp) index)."""
        since = when(since, "$.since")
        if since is None:
            raise ValidationError.at("$.since", "must be a datetime")
        query = self.by_action(LOGIN_FAILED, self.by_account(account))
        return query.where(SecurityEvent.timestamp >= since).count()


security_events = SecurityRepository()
