"""Email verification by mail (JANUS_REQUIRE_EMAIL_VERIFICATION): a
single-use link that confirms an address for an account.

As for password reset (janus.services.password_reset), the token is 256
random bits handed out only in the mail, and the table keeps its SHA-256.
A link names the address it was mailed to: it is void once used, once a
newer one is issued for the account, once the account's email is another,
and after VERIFY_TOKEN_TTL_SECONDS. Asking for another answers the same
whatever the address, and the mail goes after commit (janus.mail.sender).
"""
from __future__ import annotations

from datetime import timedelta

from janus.access import Client
from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.errors import Conflict, ValidationError
from janus.mail import links, outbox, sender
from janus.models import EmailVerification, User, utcnow
from janus.repos.security import security_events
from janus.repos.users import normalise_email, users
from janus.schemas.users import RegisterIn
from janus.services.auth import claim_mailed_token, mailed_token_email, token_hash

VERIFY_PATH = "/verify-email?token="
# Two days: long enough for a mail read after a weekend's first day.
VERIFY_TOKEN_TTL_SECONDS = 48 * 3600



def _event(action: str, client: Client, user=None, account=None, **metadata):
    return security_events.record(action, user=user, account=account, ip=client.ip,
                                  user_agent=client.user_agent, metadata=metadata or None)


def issue(user: User, config: Config, email: str | None = None) -> None:
    """Mail a link confirming ``email`` (default: the account's own) for
    ``user``; call inside the transaction of the change, and
    ``sender.wake()`` after its commit."""
    address = email or user.email
    # The outbox holds a placeholder, not the token (janus.mail.links).
    plain, in_mail = links.new_token(config.secret_key)
    now = utcnow()
    # A newer link voids the older ones.
    EmailVerification.delete().where(EmailVerification.user == user.id).execute()
    EmailVerification.create(user=user, email=address, previous_email=user.email,
                             token_hash=token_hash(plain), created_at=now,
                             expires_at=now + timedelta(seconds=VERIFY_TOKEN_TTL_SECONDS))
    after = ("Your account's email changes to this one when you do; until then it stays "
             "the old one." if address != user.email else
             "Until you do, your Janus account cannot sign in. If you did not create one, "
             "ignore this mail.")
    outbox.enqueue("verify_email", address, "Confirm your email address for Janus", (
        f"Hello {user.username},\n\n"
        f"To confirm that this address is yours, open this link within "
        f"{VERIFY_TOKEN_TTL_SECONDS // 3600} hours:\n\n"
        f"{config.link(VERIFY_PATH + in_mail)}\n\n{after}\n"))


def request_change(user: User, new_email: str, config: Config) -> None:
    """A user's own new address: a link to it, a notice to the old one. The
    email changes when the link is used (``verify``). Inside the change's
    transaction; a taken address is the 409 a direct change would meet."""
    if User.select().where(User.email == new_email).exists():
        raise Conflict("email is taken", details={"constraint": "unique", "field": "email"})
    issue(user, config, email=new_email)
    outbox.enqueue("email_change_requested", user.email, "Your Janus email is changing", (
        f"Hello {user.username},\n\n"
        f"Someone signed in to your Janus account asked to change its email to "
        f"{new_email}. It changes once that address confirms; until then it stays this "
        f"one.\nIf this was not you, change your password and contact your Janus "
        f"administrator.\n"))


def tell_admin_change(user: User, old_email: str) -> None:
    """A superadmin set ``user``'s email: both addresses are told. Inside the
    change's transaction."""
    for address in (old_email, user.email):
        outbox.enqueue("email_changed", address, "Your Janus email was changed", (
            f"Hello {user.username},\n\n"
            f"An administrator changed the email of your Janus account from {old_email} "
            f"to {user.email}. If you did not expect this, contact your Janus "
            f"administrator.\n"))


def register(body: RegisterIn, client: Client, config: Config) -> None:
    """Open registration when emails are verified: a new address gets an
    unverified account and a link; a taken one gets a mail telling its owner
    that someone tried, and the caller the same answer. Either way the
    password is checked and hashed (the same 422s, about the same time),
    and a taken username is a 409, as without verification."""
    account = normalise_email(body.email)
    owner = User.get_or_none(User.email == account)
    if owner is None:
        with database.atomic():
            user = users.register(body.email, body.username, body.password, verified=False)
            record_change(user, "user.registered", "user", user.id,
                          {"email": user.email, "username": user.username})
            issue(user, config)
        sender.wake()
        return
    users.new_password(body.password, email=account, username=body.username.strip(),
                       admin=False)
    conflict = users.username_conflict(body.username)
    if conflict is not None:
        raise conflict
    with database.atomic():
        outbox.enqueue("registration_taken", owner.email,
                       "Someone tried to register with your address", (
                           f"Hello {owner.username},\n\n"
                           f"Someone just tried to create a Janus account with this address, "
                           f"which already has one: yours. Nothing was changed.\n"
                           f"If it was you, sign in instead; if you forgot your password, "
                           f"ask for a reset link. Otherwise, ignore this mail.\n"))
        _event("registration_email_taken", client, user=owner, account=account)
    sender.wake()


def resend(email: str, client: Client, config: Config) -> None:
    """A new link when ``email`` is an active account's that is not verified
    yet; else nothing but the security row. Never says which."""
    account = normalise_email(email)[:254]
    user = User.get_or_none(User.email == account)
    with database.atomic():
        mailed = user is not None and user.is_active and user.email_verified_at is None
        if mailed:
            issue(user, config)
        _event("email_verification_requested", client, user=user, account=account,
               mailed=mailed)
    if mailed:
        sender.wake()


def owner_email(plain: str) -> str | None:
    """The account a token names (for the per-account rate limit), if any."""
    return mailed_token_email(EmailVerification, plain)


def verify(plain: str, client: Client) -> User:
    """Mark the account's email verified: a security row and an audit row."""
    invalid = ValidationError.at("$.token", "invalid, used or expired verification token")
    with database.atomic():
        # Unchanged: the account's email is still the one it had when mailed.
        row, user = claim_mailed_token(EmailVerification, plain, invalid,
                                       lambda user, row: user.email == row.previous_email)
        now = row.used_at
        if row.email != user.email:  # a change of address, confirmed (409 if taken since)
            changes = users.update_with_changes(user, {"email": row.email})
            record_change(user, "user.updated", "user", user.id, changes)
        User.update(email_verified_at=now, updated_at=now).where(User.id == user.id).execute()
        user.email_verified_at = now
        _event("email_verified", client, user=user, account=user.email)
        record_change(user, "user.email_verified", "user", user.id, {"email": user.email})
    return user
