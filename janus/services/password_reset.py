"""Password reset by mail: a single-use link, then a new password.

The token is 256 random bits handed out only in the mail; the table keeps
its SHA-256. It is void once used, once a newer one is issued for the
account (issuing deletes the older ones), once the password changes (the
row keeps the password hash it was issued against), and after
JANUS_RESET_TOKEN_TTL_SECONDS. Asking answers the same whether or not the
account exists: both paths write one security row in one transaction, and
the mail goes after commit (janus.mail.sender), so no SMTP time shows.
"""
from __future__ import annotations

from datetime import timedelta

from janus.access import Actor, Client
from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.errors import ValidationError
from janus.mail import links, outbox, sender
from janus.models import PasswordReset, User, utcnow
from janus.repos.security import security_events
from janus.repos.users import normalise_email, users
from janus.services import api_keys, lockout
from janus.services.auth import claim_mailed_token, mailed_token_email, revoke_tokens, token_hash

RESET_PATH = "/password-reset?token="



def _event(action: str, client: Client, user=None, account=None, **metadata):
    return security_events.record(action, user=user, account=account, ip=client.ip,
                                  user_agent=client.user_agent, metadata=metadata or None)


def _link(config: Config, plain: str) -> str:
    return config.link(RESET_PATH + plain)


def request_reset(email: str, client: Client, config: Config) -> None:
    """Mail a reset link when ``email`` is an active account's; else nothing
    but the security row. Never says which."""
    account = normalise_email(email)[:254]
    user = User.get_or_none(User.email == account)
    with database.atomic():
        if user is None or not user.is_active:
            _event("password_reset_requested", client, user=user, account=account,
                   mailed=False)
            return
        issue_link(user, config)
        _event("password_reset_requested", client, user=user, account=account, mailed=True)
    sender.wake()


def issue_link(user: User, config: Config, purpose: str = "reset") -> None:
    """Mail ``user`` a single-use link to POST /auth/password-reset/confirm:
    "reset" (a forgotten password, JANUS_RESET_TOKEN_TTL_SECONDS) or "set"
    (an account a superadmin made, JANUS_SET_PASSWORD_TOKEN_TTL_SECONDS).
    Call inside the transaction of the change; ``sender.wake()`` after it."""
    ttl = (config.reset_token_ttl_seconds if purpose == "reset"
           else config.set_password_token_ttl_seconds)
    # The outbox holds a placeholder, not the token (janus.mail.links).
    plain, in_mail = links.new_token(config.secret_key)
    now = utcnow()
    # A newer token voids the older ones.
    PasswordReset.delete().where(PasswordReset.user == user.id).execute()
    PasswordReset.create(user=user, token_hash=token_hash(plain),
                         password_hash=user.password_hash, created_at=now,
                         expires_at=now + timedelta(seconds=ttl))
    if purpose == "reset":
        outbox.enqueue("password_reset", user.email, "Reset your Janus password", (
            f"Hello {user.username},\n\n"
            f"Someone (we hope you) asked to reset the password of your Janus account.\n"
            f"To choose a new password, open this link within {ttl // 60} minutes:\n\n"
            f"{_link(config, in_mail)}\n\n"
            f"The link works once. If you did not ask, ignore this mail: your password "
            f"stays as it is.\n"))
    else:
        outbox.enqueue("password_set", user.email, "Your Janus account: choose a password", (
            f"Hello {user.username},\n\n"
            f"An administrator made you a Janus account with this address.\n"
            f"To choose its password, open this link within {ttl // 3600} hours:\n\n"
            f"{_link(config, in_mail)}\n\n"
            f"The link works once. If you expected no account, ignore this mail.\n"))


def _keys_kept(user: User) -> str:
    """The mail's paragraph on API keys: a reset keeps them (machines must
    not stop), so the owner is shown which still work, to revoke any in doubt."""
    kept = api_keys.live_keys(user)
    if not kept:
        return ""
    listed = "".join(f"  - {key.name} ({key.prefix}...)\n" for key in kept)
    return (f"These API keys still work (a reset does not end them); revoke any you do "
            f"not recognise (DELETE /api-keys/{{id}}):\n{listed}")


def owner_email(plain: str) -> str | None:
    """The account a token names (for the per-account rate limit), if any."""
    return mailed_token_email(PasswordReset, plain)


def confirm(plain: str, password: str, client: Client) -> int:
    """Set the new password: every login token and console session ends,
    the lockout is cleared, a security row, an audit row and a mail.
    Returns how many login tokens ended."""
    invalid = ValidationError.at("$.token", "invalid, used or expired reset token")
    with database.atomic():
        # Unchanged: the password is still the one it had when mailed.
        _, user = claim_mailed_token(PasswordReset, plain, invalid,
                                     lambda user, row: user.password_hash == row.password_hash)
        users.set_password(user, password, field="$.password")
        revoked = revoke_tokens(user)
        actor = Actor(user, None, None, client)
        lockout.clear(actor, user)
        _event("password_reset", client, user=user, account=user.email, revoked_tokens=revoked)
        record_change(user, "user.password_reset", "user", user.id,
                      {"password": "changed", "revoked_tokens": revoked})
        outbox.enqueue("password_reset_done", user.email, "Your Janus password was reset", (
            f"Hello {user.username},\n\n"
            f"The password of your Janus account was just reset with a link mailed to "
            f"this address, and every session was signed out.\n"
            f"{_keys_kept(user)}"
            f"If this was not you, contact your Janus administrator at once.\n"))
    sender.wake()
    return revoked
