"""/auth: register, login, logout, me, password."""
from __future__ import annotations

from janus import auth
from janus.audit import record_change
from janus.db import database
from janus.errors import Forbidden
from janus.repos.users import users
from janus.web.access import admin_level
from janus.web.jsonio import read_json, utc
from janus.web.plugin import client, current_user, session
from janus.web.schemas.users import (LoginIn, PasswordIn, PasswordOut, RegisterIn, TokenOut,
                                     UserOut, user_out)


def register(api) -> None:
    config = api.config

    @api.route("POST", "/auth/register", summary="Create an account", tag="auth", auth=False,
               body=RegisterIn, response=UserOut, status=201, errors=(403, 409),
               description="Turned off when JANUS_ALLOW_REGISTRATION=false.")
    def register_user():
        if not config.allow_registration:
            raise Forbidden("open registration is turned off; ask an admin for an account")
        body = read_json(RegisterIn, config.max_body_bytes)
        with database.atomic():
            user = users.register(body.email, body.username, body.password)
            record_change(user, "user.registered", "user", user.id,
                          {"email": user.email, "username": user.username})
        return user_out(user)

    @api.route("POST", "/auth/login", summary="Exchange email or username and password "
               "for a bearer token", tag="auth", auth=False, body=LoginIn, response=TokenOut,
               errors=(429,))
    def login():
        body = read_json(LoginIn, config.max_body_bytes)
        current = auth.login(body.login, body.password, client(), config)
        return TokenOut(token=current.plain_token, token_type="bearer",
                        expires_at=utc(current.token.expires_at),
                        user=user_out(current.user, admin_level(current.user)))

    @api.route("POST", "/auth/logout", summary="Revoke the token of this request", tag="auth",
               status=204)
    def logout():
        auth.logout(session(), client())

    @api.route("GET", "/auth/me", summary="The authenticated user", tag="auth",
               response=UserOut)
    def me():
        user = current_user()
        return user_out(user, admin_level(user))

    @api.route("POST", "/auth/password", summary="Change password; revokes the user's "
               "other tokens", tag="auth", body=PasswordIn, response=PasswordOut)
    def change_password():
        body = read_json(PasswordIn, config.max_body_bytes)
        revoked = auth.change_password(session(), body.current_password, body.new_password,
                                       client())
        return PasswordOut(revoked_tokens=revoked)
