"""User accounts: registration, creation by a superadmin, changes to
profile, activity and role, and deletion, each in one transaction with its
audit row. Role and admin level go through ``janus.services.admins``.
"""
from __future__ import annotations

from datetime import datetime

from janus.access import Actor, require_level, visible
from janus.audit import record_change
from janus.config import Config
from janus.db import database
from janus.errors import InsufficientScope, NotFound, ValidationError
from janus.lists.users import USERS, UserSearch
from janus.mail import sender
from janus.models import Admin, User, utcnow
from janus.repos.base import Page
from janus.repos.security import security_events
from janus.repos.users import normalise_email, users
from janus.schemas.common import provided
from janus.schemas.users import (
    RegisterIn,
    UserCreateIn,
    UserImportIn,
    UserPatchIn,
)
from janus.services import admins as admin_service
from janus.services import dated, email_verification
from janus.services import images as image_service
from janus.services.auth import revoke_tokens
from janus.storage import Store

# Changing these takes a superadmin, even on your own account.
ACCOUNT_FIELDS = ("is_active", "role", "admin_level")
ROLE_FIELDS = ("role", "admin_level")


def visible_user(actor: Actor, user_id: int) -> User:
    """The user with ``admin_level`` loaded, if the actor may see them (else 404)."""
    return users.get_by_id(user_id, visible(users.with_level(), User.id, actor))


def search_users(actor: Actor, q: UserSearch) -> Page:
    """The console's list: GET /users's filters and search (janus.lists.users)
    plus the admin level; one query."""
    query = USERS.narrow(USERS.visible(users.with_level(), actor), USERS.given(q),
                         q.since, q.until)
    if q.admin_level == "none":
        query = query.where(Admin.id.is_null())
    elif q.admin_level is not None:
        query = query.where(Admin.admin_level == q.admin_level)
    return USERS.page(query, q)


def activity(actor: Actor, user_id: int) -> tuple[User, dict, dict]:
    user = visible_user(actor, user_id)
    return user, users.action_counts(user.id), users.security_action_counts(user.id)


def register(body: RegisterIn) -> User:
    """Open registration: the new user is the actor of their own audit row."""
    with database.atomic():
        user = users.register(body.email, body.username, body.password)
        record_change(user, "user.registered", "user", user.id,
                      {"email": user.email, "username": user.username})
    return user


def import_user(body: UserImportIn, *, at: datetime | None = None,
                last_login_at: datetime | None = None) -> User:
    """An account whose password is already hashed (the seed loader's demo
    accounts), with its ``user.created`` audit row: there is no one else to
    act, so the new user is the actor, as in ``register``. ``at``: when the
    account was created, if not now; ``last_login_at``: its last login, if any."""
    with database.atomic():
        user = users.create(email=body.email, username=body.username,
                            password_hash=body.password_hash, is_active=body.is_active,
                            last_login_at=last_login_at, **dated(at, "created_at", "updated_at"))
        record_change(user, "user.created", "user", user.id,
                      {"email": user.email, "username": user.username,
                       "is_active": user.is_active}, at=at)
    return user


def _check_role(role: str | None, level: str | None) -> None:
    if role == "user" and level is not None:
        raise ValidationError.at("$.admin_level", "a user with role 'user' has no admin level")


def create_user(actor: Actor, body: UserCreateIn) -> User:
    require_level(actor, "superadmin")
    _check_role(body.role, body.admin_level)
    admin = body.role == "admin" or body.admin_level is not None
    with database.atomic():
        # An admin-to-be's password is checked against the admin rule here,
        # so the grant below finds it met.
        user = users.register(body.email, body.username, body.password, body.is_active,
                              admin=admin)
        record_change(actor.user, "user.created", "user", user.id,
                      {"email": user.email, "username": user.username,
                       "is_active": user.is_active})
        if admin:
            admin_service.grant(actor, user, body.admin_level or "moderator")
    return visible_user(actor, user.id)


def update_user(actor: Actor, user_id: int, body: UserPatchIn,
                config: Config | None = None) -> User:
    """Users change their own email and username; is_active, role and
    admin_level, and any change to another user, take a superadmin. With
    ``config.require_email_verification``, your own new email waits for its
    mailed link (the old one is told), and a superadmin's change to another's
    tells both addresses."""
    fields = provided(body)
    _check_role(fields.get("role"), fields.get("admin_level"))
    verify = config is not None and config.require_email_verification
    user = _update(actor, user_id, fields, config if verify else None)
    if verify:
        sender.wake()
    return user


def _update(actor: Actor, user_id: int, fields: dict, config: Config | None) -> User:
    if actor.key is not None and "email" in fields:  # the way to a reset: people only
        raise InsufficientScope("an API key cannot change an email address; use a login token")
    with database.atomic():
        admin_service.lock_user(user_id)  # the lock order: target user first
        target = visible_user(actor, user_id)
        if target.id != actor.id or any(name in fields for name in ACCOUNT_FIELDS):
            require_level(actor, "superadmin")
        if fields.get("is_active") is False and target.is_active:
            admin_service.guard_last_superadmin(target, "deactivated")
            # A deactivated account's tokens are revoked, not merely refused, so
            # reactivating it later does not bring old sessions back.
            revoke_tokens(target)
        _apply_role(actor, target, fields.get("role"), fields.get("admin_level"))
        plain = {k: v for k, v in fields.items() if k not in ROLE_FIELDS}
        old_email, new_email = target.email, normalise_email(plain.get("email") or target.email)
        if config is not None and new_email != old_email and target.id == actor.id:
            plain.pop("email")
            email_verification.request_change(target, new_email, config)
        changes = users.update_with_changes(target, plain)
        if changes:
            record_change(actor.user, "user.updated", "user", target.id, changes)
        if config is not None and "email" in changes:  # a superadmin's, for another
            users.update(target, email_verified_at=utcnow())  # the superadmin vouches
            email_verification.tell_admin_change(target, old_email)
        # The answer is read inside the transaction: a delete committing right
        # after must not turn this acknowledged change into a 404.
        return visible_user(actor, user_id)


def _apply_role(actor: Actor, target: User, role: str | None, level: str | None) -> None:
    if role == "user":
        if target.role == "admin":
            admin_service.revoke(actor, target)
    elif role == "admin" or level is not None:
        admin_service.grant(actor, target, level or target.admin_level or "moderator")


def delete_user(actor: Actor, user_id: int, store: Store) -> None:
    """Yourself, or anyone as superadmin. Their admin row, images and tokens
    go with them (cascade); logs and security events stay with a NULL user."""
    with database.atomic():
        admin_service.lock_user(user_id)  # the lock order: target user first
        target = visible_user(actor, user_id)
        if target.id != actor.id:
            require_level(actor, "superadmin")
        admin_service.guard_last_superadmin(target, "deleted")
        keys = image_service.keys_of_owner(target.id)
        record_change(actor.user, "user.deleted", "user", target.id,
                      {"email": target.email, "username": target.username})
        User.delete().where(User.id == target.id).execute()
    for key in keys:  # their images went with them; now the files no row uses
        image_service.release_or_leave(store, key)


# -- what the operator CLI (janus.operator) calls, beside the routes' own ----------
def by_email(email: str) -> User:
    """The user with ``email`` (case-insensitive), or NotFound."""
    user = users.by_login(email) if "@" in (email or "") else None
    if user is None:
        raise NotFound(f"no user with email {email.strip().lower()!r}")
    return user


def set_password(actor: Actor, user_id: int, password: str) -> int:
    """A superadmin sets another user's password (no current one needed),
    checked by the policy (the admin rule for an admin); every token of
    theirs is revoked. Returns how many."""
    require_level(actor, "superadmin")
    with database.atomic():
        target = admin_service.lock_user(user_id)
        users.set_password(target, password)
        revoked = revoke_tokens(target)
        security_events.record("password_reset", user=target, account=target.email,
                               ip=actor.client.ip, user_agent=actor.client.user_agent,
                               metadata={"by_user_id": actor.id, "revoked_tokens": revoked})
        record_change(actor.user, "user.password_changed", "user", target.id,
                      {"password": "changed", "revoked_tokens": revoked})
    return revoked


def revoke_user_tokens(actor: Actor, user_id: int) -> int:
    """A superadmin signs a user out everywhere. Returns how many tokens."""
    require_level(actor, "superadmin")
    with database.atomic():
        target = admin_service.lock_user(user_id)
        revoked = revoke_tokens(target)
        security_events.record("tokens_revoked", user=target, account=target.email,
                               ip=actor.client.ip, user_agent=actor.client.user_agent,
                               metadata={"by_user_id": actor.id, "revoked_tokens": revoked})
        record_change(actor.user, "user.tokens_revoked", "user", target.id,
                      {"revoked_tokens": revoked})
    return revoked


def rename(actor: Actor, user_id: int, username: str) -> User:
    """A new username: PATCH /users/{id} {"username": ...}, so a clashing
    name is a 409 and the audit row is the same."""
    return update_user(actor, user_id, UserPatchIn(username=username))


def clashing_usernames() -> list[tuple[User | None, list[User]]]:
    return users.clashing()


def stale_username_forms() -> int:
    return users.stale_forms()


def rekey_usernames() -> tuple[int, list[tuple[int, list[int]]]]:
    with database.atomic():
        return users.rekey()


def set_active(actor: Actor, user_id: int, active: bool) -> User:
    """Activate or deactivate: the API's PATCH {"is_active": ...} path, its
    last-superadmin guard and token revocation included."""
    return update_user(actor, user_id, UserPatchIn(is_active=active))
