"""/auth/password-reset: a reset link by mail, then a new password."""
from __future__ import annotations

from janus.schemas.password_reset import (
    PasswordResetAccepted,
    PasswordResetConfirmIn,
    PasswordResetDone,
    PasswordResetIn,
)
from janus.services import password_reset

ACCEPTED = ("If the address belongs to an active account, a reset link is on its way; "
            "it works once.")


def register(api) -> None:
    config = api.config

    @api.route("POST", "/auth/password-reset", summary="Mail a password reset link",
               tag="auth", auth=False, body=PasswordResetIn, response=PasswordResetAccepted,
               status=202, example={"email": "ada@example.com"},
               rate_limit="password_reset", errors=(429,),
               description="Answers 202 with the same body whether or not the address "
                           "belongs to an account. An active account gets a link "
                           "(JANUS_PUBLIC_URL + /password-reset?token=...) valid "
                           "JANUS_RESET_TOKEN_TTL_SECONDS, once; a newer request or "
                           "a password change voids it. Rate-limited per address and per "
                           "account (JANUS_RATE_LIMIT_PASSWORD_RESET*).")
    def request_reset(body, client):
        api.limits.hit("password_reset_account", body.email.strip().lower())
        password_reset.request_reset(body.email, client, config)
        return PasswordResetAccepted(message=ACCEPTED)

    @api.route("POST", "/auth/password-reset/confirm", summary="Set a new password with "
               "a mailed reset token; ends every session", tag="auth", auth=False,
               body=PasswordResetConfirmIn, response=PasswordResetDone,
               example={"token": "mH2gYb0c3o9c8pP2oXxv2W5mJfQb9K0w3s6T1u2V4yA",
                        "password": "difference-engine-no-2"},
               rate_limit="password_reset", errors=(422, 429),
               description="The one password policy applies. Ends every login token "
                           "and console session of the account, clears its lockout, "
                           "and mails the account that its password was reset. "
                           "An unknown, used, expired or voided token is a 422 on "
                           "$.token.")
    def confirm_reset(body, client):
        account = password_reset.owner_email(body.token)
        if account is not None:
            api.limits.hit("password_reset_account", account)
        revoked = password_reset.confirm(body.token, body.password, client)
        return PasswordResetDone(revoked_tokens=revoked)
