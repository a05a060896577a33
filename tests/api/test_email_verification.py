"""JANUS_REQUIRE_EMAIL_VERIFICATION, end to end through the suite's SMTP
server (tests/mail.py): registration mails a link, login waits for it, a
taken email is not told apart, and resending answers the same for everyone."""
from __future__ import annotations

from datetime import timedelta

import pytest
import webtest

from janus.models import EmailVerification, Log, OutboxMail, SecurityEvent, User, utcnow
from tests.api.helpers import CLIENT_IP, PASSWORD, assert_error, call, error_paths
from tests.mail import link_token

NEW = {"email": "Ada@Example.com", "username": "ada", "password": "analytical-engine-1843"}
REGISTERED = {"message": "Check your mail: a link to confirm the address is on its way (if "
                         "the address already has an account, its owner is told instead)."}
RESENT = {"message": "If the address belongs to an active account whose email is not "
                     "verified yet, a new link is on its way; it works once."}


@pytest.fixture
def make_client(app, make_config, smtp_server):
    """make_client(verify=True, **env): a client of an app mailing through
    the suite's SMTP server, with email verification on or off."""
    from janus.mail import sender
    from janus.web.app import create_app

    def make(verify=True, **env):
        app = create_app(make_config(
            JANUS_SMTP_URL=smtp_server.url, JANUS_PUBLIC_URL="https://janus.example",
            JANUS_REQUIRE_EMAIL_VERIFICATION="true" if verify else "false", **env))
        return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    yield make
    sender.stop()


@pytest.fixture
def verifying(make_client):
    return make_client()


def post(client, path, body, status, **options):
    res = call(client, "POST", path, json=body, **options)
    assert res.status_int == status, res.text
    return res


def login(client, name, password, status=200):
    return post(client, "/auth/login", {"login": name, "password": password}, status)


def mailed(smtp_server, address, count=1):
    smtp_server.wait_for(count)
    messages = smtp_server.to(address)
    assert len(messages) == count, [m["Subject"] for m in smtp_server.messages]
    return messages[-1]


def test_register_verify_then_log_in(verifying, smtp_server):
    res = post(verifying, "/auth/register", NEW, 202)
    assert res.json == REGISTERED
    message = mailed(smtp_server, "ada@example.com")
    assert message["Subject"] == "Confirm your email address for Janus"
    assert "https://janus.example/verify-email?token=" in message.get_content()
    token = link_token(message)
    assert token not in EmailVerification.get().token_hash  # only the hash is stored

    error = assert_error(login(verifying, "ada", NEW["password"], 403), 403,
                         "email_not_verified")
    assert "POST /auth/verify-email/resend" in error["message"]
    # A wrong password is still a 401: the 403 is only for whoever knows it.
    assert_error(login(verifying, "ada", "not-the-password-1", 401), 401, "unauthorized")

    done = post(verifying, "/auth/verify-email", {"token": token}, 200).json
    assert done["email"] == "ada@example.com" and done["email_verified_at"].endswith("Z")
    login(verifying, "ada", NEW["password"])
    # Once only.
    error = assert_error(post(verifying, "/auth/verify-email", {"token": token}, 422),
                         422, "validation_error")
    assert error_paths(error) == ["$.token"]
    (event,) = SecurityEvent.select().where(SecurityEvent.action == "email_verified")
    assert (event.account, event.source) == ("ada@example.com", "service")
    assert Log.select().where(Log.action == "user.email_verified").count() == 1


def test_the_refused_login_is_recorded_with_its_reason(verifying, smtp_server):
    post(verifying, "/auth/register", NEW, 202)
    login(verifying, "ada", NEW["password"], 403)
    (row,) = SecurityEvent.select().where(SecurityEvent.action == "login_failed")
    assert row.security_metadata["reason"] == "email_not_verified"


def test_existing_accounts_log_in_with_verification_on(verifying, alice):
    # Accounts made before, by seeds, janus-admin or POST /users count as verified.
    assert User.get_by_id(alice.id).email_verified_at is not None
    login(verifying, alice.user.username, PASSWORD)


def test_a_taken_email_gets_the_same_answer_and_its_owner_a_mail(verifying, alice,
                                                                  smtp_server):
    body = dict(NEW, email=alice.user.email.upper())
    assert post(verifying, "/auth/register", body, 202).json == REGISTERED
    message = mailed(smtp_server, alice.user.email)
    assert message["Subject"] == "Someone tried to register with your address"
    assert "?token=" not in message.get_content()
    assert not User.select().where(User.username == "ada").exists()
    (event,) = SecurityEvent.select().where(SecurityEvent.action == "registration_email_taken")
    assert event.user_id == alice.id


@pytest.mark.parametrize("email_taken", [False, True])
def test_a_taken_username_stays_a_409_and_a_weak_password_a_422(verifying, alice, email_taken):
    email = alice.user.email if email_taken else "new@example.com"
    res = post(verifying, "/auth/register",
               dict(NEW, email=email, username=alice.user.username), 409)
    assert assert_error(res, 409, "conflict")["details"] == {"constraint": "unique",
                                                            "field": "username"}
    res = post(verifying, "/auth/register", dict(NEW, email=email, password="password1234"),
               422)
    assert error_paths(assert_error(res, 422, "validation_error")) == ["$.password"]
    assert OutboxMail.select().count() == 0


def test_with_verification_off_registration_is_as_before(make_client, alice, smtp_server):
    client = make_client(verify=False)
    user = post(client, "/auth/register", NEW, 201).json
    assert user["email"] == "ada@example.com"
    login(client, "ada", NEW["password"])
    res = post(client, "/auth/register", dict(NEW, username="ada2"), 409)
    assert assert_error(res, 409, "conflict")["details"]["field"] == "email"
    assert OutboxMail.select().count() == 0


def _unknown(alice):
    return "ghost@example.com"


def _verified(alice):
    return alice.user.email


def _inactive(alice):
    User.update(email_verified_at=None, is_active=False).where(User.id == alice.id).execute()
    return alice.user.email


@pytest.mark.parametrize("who", [_unknown, _verified, _inactive])
def test_resend_answers_the_same_and_mails_nothing(verifying, alice, who):
    email = who(alice)
    assert post(verifying, "/auth/verify-email/resend", {"email": email}, 202).json == RESENT
    assert OutboxMail.select().count() == 0
    (event,) = SecurityEvent.select().where(
        SecurityEvent.action == "email_verification_requested")
    assert event.security_metadata == {"mailed": False}


def test_resend_mails_a_new_link_that_voids_the_older(verifying, smtp_server):
    post(verifying, "/auth/register", NEW, 202)
    first = link_token(mailed(smtp_server, "ada@example.com"))
    assert post(verifying, "/auth/verify-email/resend", {"email": "ADA@example.com"},
                202).json == RESENT
    second = link_token(mailed(smtp_server, "ada@example.com", 2))
    post(verifying, "/auth/verify-email", {"token": first}, 422)
    post(verifying, "/auth/verify-email", {"token": second}, 200)


def _expired(user_id):
    EmailVerification.update(expires_at=utcnow() - timedelta(seconds=1)).execute()


def _email_changed(user_id):
    User.update(email="ada.new@example.com").where(User.id == user_id).execute()


def _deactivated(user_id):
    User.update(is_active=False).where(User.id == user_id).execute()


@pytest.mark.parametrize("void", [_expired, _email_changed, _deactivated])
def test_a_void_link_is_refused(verifying, smtp_server, void):
    post(verifying, "/auth/register", NEW, 202)
    token = link_token(mailed(smtp_server, "ada@example.com"))
    void(User.get(User.username == "ada").id)
    error = assert_error(post(verifying, "/auth/verify-email", {"token": token}, 422),
                         422, "validation_error")
    assert error_paths(error) == ["$.token"]
    assert User.get(User.username == "ada").email_verified_at is None


@pytest.mark.parametrize("token", ["nope", "x" * 128])
def test_an_unknown_token_is_refused(verifying, token):
    assert_error(post(verifying, "/auth/verify-email", {"token": token}, 422),
                 422, "validation_error")


def test_resend_is_limited_per_address_and_per_account(make_client):
    client = make_client(JANUS_RATE_LIMIT_VERIFY_EMAIL="2/minute",
                         JANUS_RATE_LIMIT_VERIFY_EMAIL_ACCOUNT="2/hour")
    path = "/auth/verify-email/resend"
    post(client, path, {"email": "one@example.com"}, 202)
    post(client, path, {"email": "two@example.com"}, 202)
    res = post(client, path, {"email": "three@example.com"}, 429)
    assert "this address" in assert_error(res, 429, "too_many_requests")["message"]
    for ip in ("203.0.113.1", "203.0.113.2"):
        post(client, path, {"email": "ghost@example.com"}, 202, extra_environ={"REMOTE_ADDR": ip})
    res = post(client, path, {"email": "ghost@example.com"}, 429,
               extra_environ={"REMOTE_ADDR": "203.0.113.3"})
    assert "this account" in assert_error(res, 429, "too_many_requests")["message"]


def test_a_retry_with_its_key_replays_the_answer_and_mails_once(verifying, smtp_server):
    """Both routes honour Idempotency-Key (tests/api/test_idempotency.py lists
    them as covered here)."""
    post(verifying, "/auth/register", NEW, 202)
    mailed(smtp_server, "ada@example.com")
    key = {"Idempotency-Key": "verify-retry-1"}
    body = {"email": "ada@example.com"}
    first = post(verifying, "/auth/verify-email/resend", body, 202, headers=key)
    again = post(verifying, "/auth/verify-email/resend", body, 202, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.body == first.body
    token = link_token(mailed(smtp_server, "ada@example.com", 2))
    assert EmailVerification.select().count() == 1

    key = {"Idempotency-Key": "verify-retry-2"}
    done = post(verifying, "/auth/verify-email", {"token": token}, 200, headers=key)
    retried = post(verifying, "/auth/verify-email", {"token": token}, 200, headers=key)
    assert retried.headers["Idempotent-Replayed"] == "true" and retried.body == done.body
    assert SecurityEvent.select().where(SecurityEvent.action == "email_verified").count() == 1


def test_no_response_carries_the_token(verifying, smtp_server):
    res = post(verifying, "/auth/register", NEW, 202)
    token = link_token(mailed(smtp_server, "ada@example.com"))
    assert token not in res.text
    assert token not in post(verifying, "/auth/verify-email", {"token": token}, 200).text


def test_the_console_sign_in_waits_for_the_link_too(verifying, moderator):
    from tests.console.helpers import sign_in
    User.update(email_verified_at=None).where(User.id == moderator.id).execute()
    _, res = sign_in(verifying.app, moderator.user.username, PASSWORD)
    assert res.status_int == 403 and "Confirm your email address first" in res.text
    User.update(email_verified_at=utcnow()).where(User.id == moderator.id).execute()
    _, res = sign_in(verifying.app, moderator.user.username, PASSWORD)
    assert res.status_int == 303


# -- a change of email (PATCH /users/{id}) ---------------------------------------

def patch_email(client, actor, user_id, email, status=200):
    res = call(client, "PATCH", f"/users/{user_id}", actor=actor, json={"email": email})
    assert res.status_int == status, res.text
    return res


def test_your_own_new_email_waits_for_its_link(verifying, alice, smtp_server):
    res = patch_email(verifying, alice, alice.id, "Alice.New@Example.com")
    assert res.json["email"] == alice.user.email  # not yet
    smtp_server.wait_for(2)
    (notice,) = smtp_server.to(alice.user.email)
    assert notice["Subject"] == "Your Janus email is changing"
    assert "alice.new@example.com" in notice.get_content()
    assert "?token=" not in notice.get_content()
    token = link_token(mailed(smtp_server, "alice.new@example.com"))
    assert User.get_by_id(alice.id).email == alice.user.email

    done = post(verifying, "/auth/verify-email", {"token": token}, 200).json
    assert done["email"] == "alice.new@example.com"
    login(verifying, "alice.new@example.com", PASSWORD)
    (audit,) = Log.select().where(Log.action == "user.updated")
    assert audit.log_metadata["changes"]["email"] == [alice.user.email, "alice.new@example.com"]


def test_a_change_link_is_void_once_the_email_changes_otherwise(verifying, alice, smtp_server):
    patch_email(verifying, alice, alice.id, "one@example.com")
    token = link_token(mailed(smtp_server, "one@example.com"))
    User.update(email="two@example.com").where(User.id == alice.id).execute()
    post(verifying, "/auth/verify-email", {"token": token}, 422)


def test_a_change_link_to_an_address_taken_meanwhile_is_a_409(verifying, alice, make_actor,
                                                              smtp_server):
    patch_email(verifying, alice, alice.id, "wanted@example.com")
    token = link_token(mailed(smtp_server, "wanted@example.com"))
    other = make_actor()
    User.update(email="wanted@example.com").where(User.id == other.id).execute()
    res = post(verifying, "/auth/verify-email", {"token": token}, 409)
    assert assert_error(res, 409, "conflict")["details"]["field"] == "email"
    assert User.get_by_id(alice.id).email == alice.user.email


def test_a_taken_new_email_is_a_409_at_once(verifying, alice, make_actor):
    other = make_actor()
    res = patch_email(verifying, alice, alice.id, other.user.email, 409)
    assert assert_error(res, 409, "conflict")["details"]["field"] == "email"
    assert OutboxMail.select().count() == 0


def test_a_superadmin_sets_another_email_at_once_and_both_are_told(verifying, alice,
                                                                    superadmin, smtp_server):
    res = patch_email(verifying, superadmin, alice.id, "alice.set@example.com")
    assert res.json["email"] == "alice.set@example.com"
    smtp_server.wait_for(2)
    for address in (alice.user.email, "alice.set@example.com"):
        (message,) = smtp_server.to(address)
        assert message["Subject"] == "Your Janus email was changed"
    (audit,) = Log.select().where(Log.action == "user.updated")
    assert audit.user_id == superadmin.id
    login(verifying, "alice.set@example.com", PASSWORD)


def test_with_verification_off_your_email_changes_at_once(make_client, alice):
    client = make_client(verify=False)
    res = patch_email(client, alice, alice.id, "alice.off@example.com")
    assert res.json["email"] == "alice.off@example.com"
    assert OutboxMail.select().count() == 0


def test_a_taken_and_a_new_email_take_about_the_same_time(verifying, alice):
    import time

    def median(emails):
        times = []
        for n, email in enumerate(emails):
            started = time.perf_counter()
            post(verifying, "/auth/register", dict(NEW, email=email, username=f"u{n}{email[0]}"),
                 202)
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2]
    new = median([f"n{n}@example.com" for n in range(15)])
    taken = median([alice.user.email] * 15)
    # Both check and hash the password and write a few rows; the mails go after.
    print(f"register median: new {new * 1000:.1f} ms, taken {taken * 1000:.1f} ms")
    assert abs(new - taken) < 0.05, (new, taken)
