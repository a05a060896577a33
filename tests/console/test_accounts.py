"""The console's account actions that mail or end sessions: a new user who
chooses their password through a mailed link, a reset link, the verification
link again, a user's sessions (seen by moderators, ended by superadmins), and
the failed mails with their retry. Each writes the API's audit and security
rows; the mails are the outbox's rows (tests/api/test_account_flows.py reads
them delivered)."""
from __future__ import annotations

import re

import pytest

from janus.models import (
    AuthToken,
    ConsoleSession,
    Log,
    OutboxMail,
    PasswordReset,
    SecurityEvent,
    User,
    utcnow,
)
from janus.services.auth import issue_token
from tests.api.helpers import CLIENT_IP
from tests.helpers import make_user

LINK = re.compile(r"https?://\S+|/password-reset\?token=\S+|/verify-email\?token=\S+")


def follow(client, res):
    assert res.status_int == 303, res.text
    return client.get(res.headers["Location"].replace("http://localhost:80", ""))


def audit(action: str) -> list[Log]:
    return list(Log.select().where(Log.action == action).order_by(Log.id))


def mails(kind: str) -> list[OutboxMail]:
    return list(OutboxMail.select().where(OutboxMail.kind == kind).order_by(OutboxMail.id))


# -- a new user, mailed a link to choose a password ----------------------------------
def test_create_a_user_who_is_mailed_a_set_password_link(as_superadmin, app, make_config):
    form = as_superadmin.get("/console/users/new")
    assert form.status_int == 200 and 'name="email"' in form.text
    res = as_superadmin.post("/console/users/new", {"email": "Kay@Example.com",
                                                    "username": "kay"})
    page = follow(as_superadmin, res)
    user = User.get(User.username == "kay")
    assert page.request.path == f"/console/users/{user.id}"
    assert "a link to choose a password is mailed to kay@example.com" in page.text
    (mail,) = mails("password_set")
    # Its body (the link) is erased once sent: test_account_flows.py reads it delivered.
    assert (mail.recipient, mail.subject) == ("kay@example.com",
                                              "Your Janus account: choose a password")
    (reset,) = PasswordReset.select().where(PasswordReset.user == user.id)
    ttl = make_config().set_password_token_ttl_seconds
    assert abs((reset.expires_at - reset.created_at).total_seconds() - ttl) < 1
    assert [row.log_metadata["object_id"] for row in audit("user.created")] == [user.id]
    (sent,) = audit("user.password_link_sent")
    assert sent.log_metadata["changes"] == {"purpose": "set"}
    assert sent.user_id == as_superadmin.actor.id
    event = SecurityEvent.get(SecurityEvent.action == "password_link_sent")
    assert (event.user_id, event.security_metadata) == (
        user.id, {"by_user_id": as_superadmin.actor.id, "purpose": "set"})


@pytest.mark.parametrize("fields, says", [
    ({"email": "not-an-address", "username": "kay"}, "email:"),
    ({"email": "kay@example.com", "username": "no spaces"}, "username:"),
    ({"email": "root@example.com", "username": "kay"}, "email is taken"),
    ({"email": "kay@example.com", "username": "root"}, "username is taken"),
])
def test_a_refused_new_user_is_a_page_naming_why(as_superadmin, fields, says):
    before = User.select().count()
    res = as_superadmin.post("/console/users/new", fields)
    assert res.status_int == 422 and says in res.text, res.text
    assert fields["username"] in res.text  # the form keeps what was typed
    assert User.select().count() == before and not mails("password_set")
    assert not audit("user.created")


# -- mailed links for an existing user -------------------------------------------------
def test_send_a_reset_link(as_superadmin):
    ada = make_user("ada")
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{ada.id}/send-reset"))
    assert "A password reset link is mailed to ada@example.com" in page.text
    (mail,) = mails("password_reset")
    assert (mail.recipient, mail.subject) == ("ada@example.com", "Reset your Janus password")
    assert User.get_by_id(ada.id).password_hash == ada.password_hash  # unchanged until used
    (row,) = audit("user.password_link_sent")
    assert row.log_metadata["changes"] == {"purpose": "reset"}


def test_resend_verification_only_while_unverified(as_superadmin):
    ada = make_user("ada")
    User.update(email_verified_at=None).where(User.id == ada.id).execute()
    text = as_superadmin.get(f"/console/users/{ada.id}").text
    assert f'action="/console/users/{ada.id}/resend-verification"' in text
    page = follow(as_superadmin,
                  as_superadmin.post(f"/console/users/{ada.id}/resend-verification"))
    assert "The verification link is mailed again to ada@example.com" in page.text
    (mail,) = mails("verify_email")
    assert mail.subject == "Confirm your email address for Janus"
    assert len(audit("user.verification_sent")) == 1
    # Verified: nothing to send, said as a message.
    User.update(email_verified_at=utcnow()).where(User.id == ada.id).execute()
    page = follow(as_superadmin,
                  as_superadmin.post(f"/console/users/{ada.id}/resend-verification"))
    assert "Not sent: the email is verified already." in page.text
    assert len(mails("verify_email")) == 1


@pytest.mark.parametrize("action", ["send-reset", "resend-verification"])
def test_a_deactivated_account_gets_no_mail(as_superadmin, action):
    off = make_user("offline", is_active=False)
    User.update(email_verified_at=None).where(User.id == off.id).execute()
    page = follow(as_superadmin, as_superadmin.post(f"/console/users/{off.id}/{action}"))
    assert "Not sent: the account is deactivated" in page.text
    assert OutboxMail.select().count() == 0 and not audit("user.password_link_sent")


@pytest.mark.parametrize("path", ["/console/users/new", "/console/users/999999/send-reset",
                                  "/console/users/999999/resend-verification"])
def test_a_moderator_cannot_act(as_moderator, path):
    res = as_moderator.post(path, {"email": "kay@example.com", "username": "kay"})
    assert res.status_int == 403
    assert OutboxMail.select().count() == 0


# -- a user's sessions -----------------------------------------------------------------
def test_a_moderator_sees_a_users_sessions_without_end_buttons(as_moderator):
    ada = make_user("ada")
    issue_token(ada, 3600)
    AuthToken.update(user_agent="ada-laptop", last_used_ip="192.0.2.7").execute()
    res = as_moderator.get(f"/console/users/{ada.id}/sessions")
    assert res.status_int == 200
    assert "ada-laptop" in res.text and "192.0.2.7" in res.text
    assert "/end" not in res.text


def test_a_superadmin_ends_one_of_a_users_sessions(as_superadmin, as_moderator):
    mod = as_moderator.actor
    page = as_superadmin.get(f"/console/users/{mod.id}/sessions")
    console = ConsoleSession.get(ConsoleSession.user == mod.id)
    assert console.user_agent is None and console.last_used_ip == CLIENT_IP
    ends = re.findall(r'action="/console/sessions/(\d+)/end"', page.text)
    assert len(ends) == 2  # the fixture's bearer token and the console sign-in
    console_id = 2 * console.id - 1
    page = follow(as_superadmin, as_superadmin.post(f"/console/sessions/{console_id}/end"))
    assert page.request.path == f"/console/users/{mod.id}/sessions"
    assert f"Their console sign-in {console_id} has ended." in page.text
    assert as_moderator.get("/console").status_int == 303  # signed out
    (row,) = audit("user.session_ended")
    assert row.log_metadata["changes"] == {"session_id": console_id, "kind": "console"}
    event = SecurityEvent.get(SecurityEvent.action == "session_ended")
    assert event.user_id == mod.id and event.security_metadata["by_user_id"] == \
        as_superadmin.actor.id
    # Ended, or never one: a 404 page.
    assert as_superadmin.post(f"/console/sessions/{console_id}/end").status_int == 404
    assert as_superadmin.post("/console/sessions/999998/end").status_int == 404
    assert AuthToken.get(AuthToken.user == mod.id).revoked_at is None


# -- failed mails ----------------------------------------------------------------------
def failed_mail(kind="password_reset", recipient="ada@example.com") -> OutboxMail:
    return OutboxMail.create(kind=kind, recipient=recipient, subject="s",
                             body="secret link https://janus.example/password-reset?token=x1",
                             message_id=f"<{kind}.{recipient}@janus>", status="failed",
                             attempts=5, last_error="550 mailbox unavailable")


def test_failed_mails_are_listed_without_their_body(as_moderator):
    failed_mail()
    OutboxMail.create(kind="verify_email", recipient="sent@example.com", subject="s",
                      body="", message_id="<sent@janus>", status="sent")
    res = as_moderator.get("/console/mail")
    assert res.status_int == 200
    assert "ada@example.com" in res.text and "550 mailbox unavailable" in res.text
    assert "sent@example.com" not in res.text
    assert "token=x1" not in res.text and not LINK.search(res.text.split("<main", 1)[1])
    assert "/retry" not in res.text  # a moderator sees, a superadmin acts


def test_retry_one_and_all(as_superadmin):
    one, two = failed_mail(), failed_mail(recipient="bob@example.com")
    page = follow(as_superadmin, as_superadmin.post(f"/console/mail/{one.id}/retry"))
    assert "1 mail queued again" in page.text
    again = OutboxMail.get_by_id(one.id)
    # Queued, and the woken sender may have sent it already (to the log), same id.
    assert again.status in ("pending", "sending", "sent") and again.attempts <= 1
    assert again.message_id == one.message_id
    assert OutboxMail.get_by_id(two.id).status == "failed"
    page = follow(as_superadmin, as_superadmin.post(f"/console/mail/{one.id}/retry"))
    assert "Nothing queued" in page.text
    page = follow(as_superadmin, as_superadmin.post("/console/mail/retry-all"))
    assert "1 mail queued again" in page.text
    assert [row.log_metadata["changes"]["ids"] for row in audit("mail.retried")] == [
        [one.id], [two.id]]


def test_retry_needs_the_csrf_token_and_a_superadmin(as_superadmin, as_moderator):
    mail = failed_mail()
    assert as_superadmin.post(f"/console/mail/{mail.id}/retry", csrf="").status_int == 403
    assert as_moderator.post(f"/console/mail/{mail.id}/retry").status_int == 403
    assert OutboxMail.get_by_id(mail.id).status == "failed"
