"""Console sessions: sign-in, resolution and sign-out of the browser console.

A session is a 256-bit random value handed to the browser once, in a cookie;
the database keeps only its SHA-256 (``auth.token_hash``), as for bearer
tokens. Sign-in goes through ``auth.login`` (lockout per account and address,
the same security events), and only admins get a session. Sessions expire
(``JANUS_CONSOLE_SESSION_SECONDS``), end at sign-out, and are revoked with
the user's tokens (``auth.revoke_tokens``: password change or reset,
deactivation, revoke-tokens).
"""
from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta

from peewee import JOIN

from janus.access import Actor, Client
from janus.config import Config
from janus.db import database
from janus.errors import Forbidden, Unauthorized
from janus.models import Admin, ConsoleSession, User, utcnow
from janus.repos.security import security_events
from janus.services import auth


@dataclasses.dataclass(frozen=True)
class IssuedSession:
    """``plain`` goes into the cookie, never into the database."""

    plain: str
    session: ConsoleSession


def _issue(user: User, ttl_seconds: int, client: Client) -> IssuedSession | None:
    """A session for an admin; None for anyone else (no session at all)."""
    if Admin.get_or_none(Admin.user == user.id) is None:
        return None
    purge_expired()  # sign-ins are rare: the table stays small without a sweeper
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    row = ConsoleSession.create(user=user, session_hash=auth.token_hash(plain), created_at=now,
                                expires_at=now + timedelta(seconds=ttl_seconds),
                                last_used_ip=client.ip, user_agent=auth.session_agent(client))
    return IssuedSession(plain, row)


def sign_in(login_name: str, password: str, client: Client,
            config: Config) -> tuple[Actor, IssuedSession]:
    """Unauthorized (wrong credentials), TooManyRequests (locked out), or
    Forbidden (right credentials, but not an admin: no session is made)."""
    actor, issued = auth.login(login_name, password, client, config,
                               issue=lambda user: _issue(user, config.console_session_seconds,
                                                          client),
                               via="console")
    if issued is None:
        raise Forbidden("the console is for admins only")
    return Actor(actor.user, actor.level, None, client), issued


def resolve(plain: str, client: Client | None = None) -> Actor:
    """The actor a session cookie belongs to (user and admin level, one
    query), or Unauthorized. A user no longer an admin resolves with level
    None: the console answers 403."""
    row = (ConsoleSession.select(ConsoleSession, User, Admin.admin_level).join(User)
           .join(Admin, JOIN.LEFT_OUTER, on=(Admin.user == User.id), attr="admin_row")
           .where(ConsoleSession.session_hash == auth.token_hash(plain)).first())
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked session")
    if row.expires_at <= utcnow():
        raise Unauthorized("session expired")
    if not row.user.is_active:
        raise Unauthorized("account is deactivated")
    client = client or Client()
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > auth.LAST_USED_RESOLUTION:
        ConsoleSession.update(last_used_at=now, last_used_ip=client.ip).where(
            ConsoleSession.id == row.id).execute()
    admin_row = row.user.admin_row
    return Actor(row.user, admin_row.admin_level if admin_row else None, None, client)


def sign_out(plain: str, actor: Actor) -> None:
    """Revoke this session, with a ``logout`` security event."""
    with database.atomic():
        ConsoleSession.update(revoked_at=utcnow()).where(
            (ConsoleSession.session_hash == auth.token_hash(plain))
            & ConsoleSession.revoked_at.is_null()).execute()
        security_events.record("logout", user=actor.user, account=actor.user.email,
                               ip=actor.client.ip, user_agent=actor.client.user_agent,
                               metadata={"via": "console"})


def purge_expired() -> int:
    """Delete sessions past their expiry; returns how many."""
    return ConsoleSession.delete().where(ConsoleSession.expires_at <= utcnow()).execute()

