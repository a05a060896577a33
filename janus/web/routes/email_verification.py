"""/auth/verify-email: confirm an address with its mailed link, or ask for
another (JANUS_REQUIRE_EMAIL_VERIFICATION; registration is in routes.auth)."""
from __future__ import annotations

from janus.schemas.common import utc
from janus.schemas.email_verification import (
    Accepted,
    EmailVerified,
    VerifyEmailIn,
    VerifyEmailResendIn,
)
from janus.services import email_verification

RESENT = ("If the address belongs to an active account whose email is not verified yet, "
          "a new link is on its way; it works once.")


def register(api) -> None:
    config = api.config

    @api.route("POST", "/auth/verify-email", summary="Confirm an email address with its "
               "mailed token", tag="auth", auth=False, body=VerifyEmailIn,
               response=EmailVerified,
               example={"token": "mH2gYb0c3o9c8pP2oXxv2W5mJfQb9K0w3s6T1u2V4yA"},
               rate_limit="verify_email", errors=(409, 422, 429),
               description="The token comes from the link mailed at registration, or by "
                           "POST /auth/verify-email/resend (JANUS_PUBLIC_URL + "
                           "/verify-email?token=...). It works once, for 48 hours, and only "
                           "while the account's email is the one it was mailed to; a newer "
                           "link voids it. An unknown, used, expired or void token is a 422 "
                           "on $.token. Then the account can log in. A link for a change "
                           "of address (PATCH /users/{id}) sets the new email now, or is a "
                           "409 if another account took it meanwhile. Rate-limited per "
                           "address and per account (JANUS_RATE_LIMIT_VERIFY_EMAIL*).")
    def verify_email(body, client):
        account = email_verification.owner_email(body.token)
        if account is not None:
            api.limits.hit("verify_email_account", account)
        user = email_verification.verify(body.token, client)
        return EmailVerified(email=user.email, email_verified_at=utc(user.email_verified_at))

    @api.route("POST", "/auth/verify-email/resend", summary="Mail another email "
               "verification link", tag="auth", auth=False, body=VerifyEmailResendIn,
               response=Accepted, status=202, example={"email": "ada@example.com"},
               rate_limit="verify_email", errors=(429,),
               description="Answers 202 with the same body whether or not the address "
                           "belongs to an account, and whether or not it is verified "
                           "already: only an active account whose email awaits its link "
                           "gets a new one (which voids the older). Rate-limited per "
                           "address and per account (JANUS_RATE_LIMIT_VERIFY_EMAIL*).")
    def resend_verification(body, client):
        api.limits.hit("verify_email_account", body.email.strip().lower())
        email_verification.resend(body.email, client, config)
        return Accepted(message=RESENT)
