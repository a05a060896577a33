"""Authentication: bearer tokens, login with lockout, logout, password change.

Tokens are 256-bit random strings handed to the client once; the database
keeps only their SHA-256. Every authentication event writes a ``security``
row. Nothing here knows about HTTP: the caller passes a ``Client`` (ip, user
agent) and maps the typed errors.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar, overload

import peewee as pw

from janus import metrics, passwords
from janus.access import Actor, Client
from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.errors import EmailNotVerified, TooManyRequests, Unauthorized, ValidationError
from janus.models import Admin, AuthToken, ConsoleSession, User, utcnow
from janus.passwords import hash_password, needs_rehash
from janus.repos.security import security_events
from janus.repos.tokens import token_owner
from janus.repos.users import users
from janus.services import lockout

# What a caller's ``issue`` hands out instead of a bearer token (the console:
# janus.services.console_sessions.IssuedSession, or None for a non-admin).
Issued = TypeVar("Issued")

# Refresh last_used_at at most this often: a write per request is not free.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    """A new bearer token: ``plain`` is shown to the client once, never stored."""

    plain: str
    row: AuthToken


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def claim_mailed_token(model, plain: str, invalid: ValidationError, unchanged) -> tuple:
    """Use a mailed single-use token (a password reset's, an email
    verification's): its unused, unexpired row, marked used (``used_at``), and
    its user, who must be active and ``unchanged(user, row)`` since the mail;
    else ``invalid``. Inside the caller's transaction, locked on PostgreSQL so
    two confirmations take turns."""
    query = model.select().where(model.token_hash == token_hash(plain))
    if isinstance(database.obj, pw.PostgresqlDatabase):
        query = query.for_update()
    row = query.first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise invalid
    user = User.get_by_id(row.user_id)
    if not user.is_active or not unchanged(user, row):
        raise invalid
    row.used_at = utcnow()
    model.update(used_at=row.used_at).where(model.id == row.id).execute()
    return row, user


def mailed_token_email(model, plain: str) -> str | None:
    """The email of the account a mailed token names (for its per-account
    rate limit), if any."""
    row = (model.select(User.email).join(User)
           .where(model.token_hash == token_hash(plain or "")).dicts().first())
    return row["email"] if row else None


def issue_token(user: User, ttl_seconds: int, client: Client | None = None) -> IssuedToken:
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    client = client or Client()
    row = AuthToken.create(user=user, token_hash=token_hash(plain), created_at=now,
                           expires_at=now + timedelta(seconds=ttl_seconds),
                           last_used_ip=client.ip, user_agent=session_agent(client))
    return IssuedToken(plain, row)


def session_agent(client: Client) -> str | None:
    """The User-Agent a session keeps (GET /auth/sessions), cut to its column."""
    return client.user_agent[:512] if client.user_agent else None


def resolve_token(plain: str, client: Client | None = None) -> Actor:
    """The actor a bearer token belongs to (user and admin level, one
    compiled query: janus.repos.tokens), or Unauthorized."""
    found = token_owner(token_hash(plain))
    now = utcnow()
    if found is None or found[0].revoked_at is not None:
        raise Unauthorized("invalid or revoked token")
    token, user, level = found
    if token.expires_at <= now:
        raise Unauthorized("token expired")
    if not user.is_active:
        raise Unauthorized("account is deactivated")
    client = client or Client()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # The address rides on the same write, never one of its own.
        AuthToken.update(last_used_at=now, last_used_ip=client.ip).where(
            AuthToken.id == token.id).execute()
    return Actor(user, level, token, client)


def _event(action, client: Client, user=None, account=None, **metadata):
    metadata = {key: value for key, value in metadata.items() if value is not None}
    return security_events.record(action, user=user, account=account, ip=client.ip,
                                  user_agent=client.user_agent, metadata=metadata or None)


def _attempt(user, account: str, client: Client, config: Config):
    """Record the attempt as a failure before any password is checked, in one
    committed transaction that takes turns with every other attempt on the
    account (janus.services.lockout). Returns the recorded row and the
    assessment (what this attempt would lock should it fail); raises
    TooManyRequests, after committing a ``login_locked`` row, when the
    account is locked for this address."""
    with database.atomic():
        security_events.serialise_logins(account)
        standing = lockout.assess(account, client.ip, config, utcnow(), client.own_address)
        if standing.retry_after is None:
            reason = "unknown_account" if user is None else "wrong_password"
            return _event("login_failed", client, user=user, account=account, reason=reason,
                          known_address=standing.known_address or None), standing
        _event("login_locked", client, user=user, account=account,
               retry_after=standing.retry_after, scope=standing.scope)
    metrics.login_locked(standing.scope)
    # Raised after the commit: the refusal stays on record.
    raise TooManyRequests("too many failed logins; try again later", standing.retry_after)


@overload
def login(login_name: str, password: str, client: Client, config: Config,
          issue: None = None, via: str | None = None) -> tuple[Actor, IssuedToken]: ...


@overload
def login(login_name: str, password: str, client: Client, config: Config,
          issue: Callable[[User], Issued], via: str | None = None) -> tuple[Actor, Issued]: ...


def login(login_name: str, password: str, client: Client, config: Config,
          issue: Callable[[User], Issued] | None = None,
          via: str | None = None) -> tuple[Actor, IssuedToken | Issued]:
    """Check the credentials (lockout, security events) and issue what the
    caller hands out: a bearer token by default; ``issue(user)`` instead (the
    console's session), inside the same transaction. ``via`` is recorded on
    the ``login_success`` row ("console")."""
    user = users.by_login(login_name)
    # One key per account whichever name was typed; unknown names are keyed
    # too, so lockout behaves the same whether or not the account exists.
    account = user.email if user else (login_name or "").strip().lower()[:254]
    attempt, standing = _attempt(user, account, client, config)
    would_lock = standing.scope
    # Always verify against some hash, so an unknown account costs the same time.
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or not user.is_active:
        if ok:  # the right password for a deactivated account
            security_events.settle(attempt, "login_failed", dict(
                attempt.security_metadata, reason="inactive"))
        if would_lock is not None:
            _event("lockout", client, user=user, account=account, scope=would_lock,
                   window_seconds=config.lockout_window_seconds)
            metrics.lockout(would_lock)
        # One reason whether or not the account exists: /metrics must not
        # tell which emails do (the security row, admins only, still says).
        metrics.login_failed("inactive" if ok else "invalid_credentials")
        raise Unauthorized("invalid credentials")
    if config.require_email_verification and user.email_verified_at is None:
        # Told only to whoever knows the password: the account is theirs.
        security_events.settle(attempt, "login_failed", dict(
            attempt.security_metadata, reason="email_not_verified"))
        metrics.login_failed("email_not_verified")
        raise EmailNotVerified("confirm your email address first: open the link mailed "
                               "to it, or ask for another (POST /auth/verify-email/resend)")
    with database.atomic():
        fields = {"last_login_at": utcnow()}
        if needs_rehash(user.password_hash):
            fields["password_hash"] = hash_password(password)
        users.update(user, **fields)
        issued = (issue or (lambda u: issue_token(u, config.token_ttl_seconds, client)))(user)
        # Whether this login makes its address a known one (janus.services.lockout).
        metadata = {"own_address": client.own_address}
        if standing.known_address:  # the account is locked for other addresses
            metadata["known_address"] = True
        if "password_hash" in fields:
            metadata["rehashed"] = True
        if via is not None:
            metadata["via"] = via
        security_events.settle(attempt, "login_success", metadata)
    admin_row = Admin.get_or_none(Admin.user == user.id)
    return Actor(user, admin_row.admin_level if admin_row else None,
                 getattr(issued, "row", None), client), issued


def revoke_tokens(user: User, keep: AuthToken | None = None) -> int:
    """Revoke every live token of ``user`` (but ``keep``); returns how many.
    Their console sessions go too, every one: the one place that signs a user
    out everywhere (password change or reset, deactivation, revoke-tokens)."""
    ConsoleSession.update(revoked_at=utcnow()).where(
        (ConsoleSession.user == user.id) & ConsoleSession.revoked_at.is_null()).execute()
    query = AuthToken.update(revoked_at=utcnow()).where(
        (AuthToken.user == user.id) & AuthToken.revoked_at.is_null())
    if keep is not None:
        query = query.where(AuthToken.id != keep.id)
    return query.execute()


def logout(actor: Actor) -> None:
    with database.atomic():
        AuthToken.update(revoked_at=utcnow()).where(AuthToken.id == actor.token.id).execute()
        _event("logout", actor.client, user=actor.user, account=actor.user.email)


def change_password(actor: Actor, current: str, new: str) -> int:
    """Set a new password (the policy's rule for the account: the admin rule
    for an admin); revoke the user's other tokens. Returns how many."""
    user, client = actor.user, actor.client
    if not passwords.verify_password(user.password_hash, current):
        _event("password_change_failed", client, user=user, account=user.email)
        raise ValidationError.at("$.current_password", "does not match the current password")
    if passwords.verify_password(user.password_hash, new):
        raise ValidationError.at("$.new_password", "must differ from the current password")
    with database.atomic():
        users.set_password(user, new, field="$.new_password")
        revoked = revoke_tokens(user, keep=actor.token)
        _event("password_changed", client, user=user, account=user.email, revoked_tokens=revoked)
        record_change(user, "user.password_changed", "user", user.id,
                      {"password": "changed", "revoked_tokens": revoked})
    return revoked
