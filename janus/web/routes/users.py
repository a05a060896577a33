"""/users: accounts. Users see themselves; admins see everyone; only a
superadmin creates, deactivates, re-roles or deletes other users."""
from __future__ import annotations

from peewee import JOIN

from janus import accounts
from janus.audit import record_change
from janus.auth import revoke_tokens
from janus.db import database
from janus.errors import ValidationError
from janus.models import Admin, User
from janus.repos.admins import admins
from janus.repos.users import users
from janus.uploads import file_store, keys_of_owner, release
from janus.web.access import require_level, visible
from janus.web.jsonio import read_json, read_query
from janus.web.plugin import client, current_user
from janus.web.schemas.common import provided
from janus.web.schemas.users import (ActivityOut, UserCreateIn, UserOut, UserPage, UserPatchIn,
                                     UserQuery, user_out)

ACCOUNT_FIELDS = ("is_active", "role", "admin_level")


def _with_level():
    return (User.select(User, Admin.admin_level.alias("admin_level"))
            .join(Admin, JOIN.LEFT_OUTER, on=(Admin.user == User.id)).objects())


def _visible_user(user_id: int, me) -> User:
    return users.get_by_id(user_id, visible(_with_level(), User.id, me))


def register(api) -> None:
    config = api.config
    store = file_store(config)

    @api.route("GET", "/users", summary="List users (yourself, or everyone for admins)",
               tag="users", query=UserQuery, response=UserPage)
    def list_users():
        q = read_query(UserQuery)
        query = users.since(visible(_with_level(), User.id, current_user()),
                            q.since, q.until)
        for name in ("email", "username", "role", "is_active"):
            value = getattr(q, name)
            if value is not None:
                query = query.where(getattr(User, name) == (
                    value.strip().lower() if name == "email" else value))
        page = users.page(query, limit=q.limit, cursor=q.cursor)
        return UserPage([user_out(u, u.admin_level) for u in page.items], page.next_cursor)

    @api.route("POST", "/users", summary="Create a user (superadmin)", tag="users",
               body=UserCreateIn, response=UserOut, status=201, errors=(403, 409))
    def create_user():
        me = current_user()
        require_level(me, "superadmin")
        body = read_json(UserCreateIn, config.max_body_bytes)
        if body.role == "user" and body.admin_level is not None:
            raise ValidationError.at("$.admin_level", "a user with role 'user' has no admin level")
        with database.atomic():
            user = users.register(body.email, body.username, body.password, body.is_active)
            record_change(me, "user.created", "user", user.id,
                          {"email": user.email, "username": user.username,
                           "is_active": user.is_active})
            if body.role == "admin" or body.admin_level:
                accounts.grant(me, user, body.admin_level or "moderator", client())
        return user_out(user, admins.level_of(user))

    @api.route("GET", "/users/<user_id:int>", summary="One user", tag="users",
               response=UserOut, errors=(404,))
    def get_user(user_id):
        user = _visible_user(user_id, current_user())
        return user_out(user, user.admin_level)

    @api.route("GET", "/users/<user_id:int>/activity", summary="Audit and security action "
               "counts of one user", tag="users", response=ActivityOut, errors=(404,))
    def user_activity(user_id):
        user = _visible_user(user_id, current_user())
        return ActivityOut(user_id=user.id, logs=users.action_counts(user.id),
                           security=users.security_action_counts(user.id))

    @api.route("PATCH", "/users/<user_id:int>", summary="Change a user", tag="users",
               body=UserPatchIn, response=UserOut, errors=(403, 404, 409),
               description="Users change their own email and username. is_active, role "
               "and admin_level, and any change to another user, need a superadmin.")
    def update_user(user_id):
        me = current_user()
        target = _visible_user(user_id, me)
        body = read_json(UserPatchIn, config.max_body_bytes)
        fields = provided(body)
        if target.id != me.id or any(name in fields for name in ACCOUNT_FIELDS):
            require_level(me, "superadmin")
        with database.atomic():
            _apply_account_fields(me, target, fields)
            plain = {k: v for k, v in fields.items() if k not in ("role", "admin_level")}
            changes = users.update_with_changes(users.get_by_id(target.id), plain)
            if changes:
                record_change(me, "user.updated", "user", target.id, changes)
        fresh = _visible_user(user_id, me)
        return user_out(fresh, fresh.admin_level)

    @api.route("DELETE", "/users/<user_id:int>", summary="Delete a user (yourself, or anyone "
               "as superadmin); their images and tokens go too, logs stay", tag="users",
               status=204, errors=(403, 404, 409))
    def delete_user(user_id):
        me = current_user()
        target = _visible_user(user_id, me)
        if target.id != me.id:
            require_level(me, "superadmin")
        keys = keys_of_owner(target.id)
        with database.atomic():
            record_change(me, "user.deleted", "user", target.id,
                          {"email": target.email, "username": target.username})
            users.delete(users.get_by_id(target.id))
        for key in keys:  # their images went with them (cascade); now the files
            release(store, key)


def _apply_account_fields(me, target, fields) -> None:
    """role / admin_level go through grant and revoke, which keep the Admin
    row and User.role in step; deactivating the last superadmin is refused."""
    role, level = fields.get("role"), fields.get("admin_level")
    if role == "user" and level is not None:
        raise ValidationError.at("$.admin_level", "a user with role 'user' has no admin level")
    if fields.get("is_active") is False and target.is_active:
        accounts.guard_last_superadmin(target, "deactivated")
        # A deactivated account's tokens are revoked, not merely refused, so
        # reactivating it later does not bring old sessions back.
        revoke_tokens(target)
    if role == "user":
        if target.role == "admin":
            accounts.revoke(me, target, client())
    elif role == "admin" or level is not None:
        accounts.grant(me, target, level or target.admin_level or "moderator", client())

