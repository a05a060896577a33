"""/auth: register, login, logout, me, password."""
from __future__ import annotations

from janus.errors import Forbidden
from janus.schemas.common import utc
from janus.schemas.users import (
    LoginIn,
    PasswordIn,
    PasswordOut,
    RegisterIn,
    TokenOut,
    UserOut,
    user_out,
)
from janus.services import accounts, auth


def register(api) -> None:
    config = api.config

    @api.route("POST", "/auth/register", summary="Create an account", tag="auth", auth=False,
               body=RegisterIn, response=UserOut, status=201, errors=(403, 409),
               example={"email": "ada@example.com", "username": "ada",
                        "password": "analytical-engine-1843"},
               rate_limit="register",
               description="Turned off when JANUS_ALLOW_REGISTRATION=false.")
    def register_user(body):
        if not config.allow_registration:
            raise Forbidden("open registration is turned off; ask an admin for an account")
        return user_out(accounts.register(body))

    @api.route("POST", "/auth/login", summary="Exchange email or username and password "
               "for a bearer token", tag="auth", auth=False, body=LoginIn, response=TokenOut,
               example={"login": "ada", "password": "analytical-engine-1843"},
               errors=(401, 429), rate_limit="login", idempotent=False,
               description="Ignores Idempotency-Key: the answer holds a bearer token, "
                           "which is never stored.")
    def login(body, client):
        actor, issued = auth.login(body.login, body.password, client, config)
        return TokenOut(token=issued.plain, token_type="bearer",
                        expires_at=utc(issued.row.expires_at),
                        user=user_out(actor.user, actor.level))

    @api.route("POST", "/auth/logout", summary="Revoke the token of this request", tag="auth",
               status=204)
    def logout(actor):
        auth.logout(actor)

    @api.route("GET", "/auth/me", summary="The authenticated user", tag="auth",
               response=UserOut)
    def me(actor):
        return user_out(actor.user, actor.level)

    @api.route("POST", "/auth/password", summary="Change password; revokes the user's "
               "other tokens", tag="auth", body=PasswordIn, response=PasswordOut,
               example={"current_password": "analytical-engine-1843",
                        "new_password": "difference-engine-no-2"})
    def change_password(actor, body):
        revoked = auth.change_password(actor, body.current_password, body.new_password)
        return PasswordOut(revoked_tokens=revoked)
