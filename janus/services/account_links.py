"""A superadmin's mailed actions on an account (the console): make an account
that chooses its own password through a mailed link, mail a password reset
link, mail the email verification link again. Each writes its security row
and audit row in the transaction that writes the mail (janus.mail.outbox).

The links are password_reset's and email_verification's own: the same
single-use tokens, the same confirm routes; a new account's set-password
link differs only in its mail and its lifetime
(JANUS_SET_PASSWORD_TOKEN_TTL_SECONDS).
"""
from __future__ import annotations

import secrets

from janus.access import Actor, require_level
from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.errors import Conflict
from janus.mail import sender
from janus.models import User
from janus.repos.security import security_events
from janus.repos.users import users
from janus.schemas.console_accounts import UserInviteIn
from janus.services import email_verification, password_reset
from janus.services.admins import lock_user


def _event(action: str, actor: Actor, user: User, **metadata):
    security_events.record(action, user=user, account=user.email, ip=actor.client.ip,
                           user_agent=actor.client.user_agent,
                           metadata={"by_user_id": actor.id, **metadata})


def create_with_link(actor: Actor, body: UserInviteIn, config: Config) -> User:
    """A plain, active user whose password nobody knows (random, discarded)
    until they choose one through the mailed link; their email counts as
    verified once they do, as for POST /users (the superadmin vouches)."""
    require_level(actor, "superadmin")
    with database.atomic():
        user = users.register(body.email, body.username, secrets.token_urlsafe(32))
        record_change(actor.user, "user.created", "user", user.id,
                      {"email": user.email, "username": user.username, "is_active": True})
        password_reset.issue_link(user, config, purpose="set")
        _event("password_link_sent", actor, user, purpose="set")
        record_change(actor.user, "user.password_link_sent", "user", user.id,
                      {"purpose": "set"})
    sender.wake()
    return user


def send_reset_link(actor: Actor, user_id: int, config: Config) -> User:
    """Mail the user a password reset link (JANUS_RESET_TOKEN_TTL_SECONDS);
    their password stays until they use it. 409 for a deactivated account."""
    require_level(actor, "superadmin")
    with database.atomic():
        user = lock_user(user_id)
        if not user.is_active:
            raise Conflict("the account is deactivated: activate it first")
        password_reset.issue_link(user, config)
        _event("password_link_sent", actor, user, purpose="reset")
        record_change(actor.user, "user.password_link_sent", "user", user.id,
                      {"purpose": "reset"})
    sender.wake()
    return user


def resend_verification(actor: Actor, user_id: int, config: Config) -> User:
    """Mail the verification link of the account's email again; 409 when it
    is verified already or the account is deactivated."""
    require_level(actor, "superadmin")
    with database.atomic():
        user = lock_user(user_id)
        if not user.is_active:
            raise Conflict("the account is deactivated: activate it first")
        if user.email_verified_at is not None:
            raise Conflict("the email is verified already")
        email_verification.issue(user, config)
        _event("email_verification_requested", actor, user, mailed=True)
        record_change(actor.user, "user.verification_sent", "user", user.id,
                      {"email": user.email})
    sender.wake()
    return user
