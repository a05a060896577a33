"""/auth: register, login, logout, me, password."""
from __future__ import annotations

from janus.errors import Forbidden
from janus.lists.users import USER_VIEW
from janus.schemas.common import utc
from janus.schemas.email_verification import Accepted
from janus.schemas.users import (
    LoginIn,
    PasswordIn,
    PasswordOut,
    RegisterIn,
    TokenOut,
    UserOut,
)
from janus.services import accounts, auth, email_verification
from janus.web.jsonio import json_body

REGISTERED = ("Check your mail: a link to confirm the address is on its way (if the address "
              "already has an account, its owner is told instead).")


def register(api) -> None:
    config = api.config

    @api.route("POST", "/auth/register", summary="Create an account", tag="auth", auth=False,
               body=RegisterIn, response=UserOut, status=201, errors=(403, 409),
               other_responses={202: Accepted},
               example={"email": "ada@example.com", "username": "ada",
                        "password": "analytical-engine-1843"},
               rate_limit="register",
               description="Turned off when JANUS_ALLOW_REGISTRATION=false. With "
                           "JANUS_REQUIRE_EMAIL_VERIFICATION=true the answer is 202 with "
                           "the same body whether or not the email is taken: a new address "
                           "gets an account that logs in once the mailed link is used "
                           "(POST /auth/verify-email), a taken one a mail telling its "
                           "owner. Otherwise 201 with the user, and a taken email is a 409. "
                           "A taken username is a 409 either way.")
    def register_user(body, client):
        if not config.allow_registration:
            raise Forbidden("open registration is turned off; ask an admin for an account")
        if config.require_email_verification:
            email_verification.register(body, client, config)
            return json_body(Accepted(message=REGISTERED), 202)
        return USER_VIEW.from_model(accounts.register(body), admin_level=None)

    @api.route("POST", "/auth/login", summary="Exchange email or username and password "
               "for a bearer token", tag="auth", auth=False, body=LoginIn, response=TokenOut,
               example={"login": "ada", "password": "analytical-engine-1843"},
               errors=(401, 403, 429), rate_limit="login", idempotent=False,
               description="Ignores Idempotency-Key: the answer holds a bearer token, "
                           "which is never stored. With JANUS_REQUIRE_EMAIL_VERIFICATION="
                           "true, the right password for an account whose email is not "
                           "verified yet is a 403 email_not_verified.")
    def login(body, client):
        actor, issued = auth.login(body.login, body.password, client, config)
        return TokenOut(token=issued.plain, token_type="bearer",
                        expires_at=utc(issued.row.expires_at),
                        user=USER_VIEW.from_model(actor.user, admin_level=actor.level))

    @api.route("POST", "/auth/logout", summary="Revoke the token of this request", tag="auth",
               status=204, refuses_keys=True)
    def logout(actor):
        auth.logout(actor)

    @api.route("GET", "/auth/me", summary="The authenticated user", tag="auth",
               response=UserOut, scope="users:read")
    def me(actor):
        return USER_VIEW.from_model(actor.user, admin_level=actor.level)

    @api.route("POST", "/auth/password", summary="Change password; revokes the user's "
               "other tokens", tag="auth", body=PasswordIn, response=PasswordOut, refuses_keys=True,
               example={"current_password": "analytical-engine-1843",
                        "new_password": "difference-engine-no-2"})
    def change_password(actor, body):
        revoked = auth.change_password(actor, body.current_password, body.new_password)
        return PasswordOut(revoked_tokens=revoked)
