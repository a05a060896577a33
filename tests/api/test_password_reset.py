"""POST /auth/password-reset and /confirm, end to end through the suite's
SMTP server (tests/mail.py): the mailed link, the single-use token stored
only as a hash, what voids it, and what a reset ends and clears."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import webtest

from janus.models import Log, OutboxMail, PasswordReset, SecurityEvent, utcnow
from tests.api.helpers import CLIENT_IP, PASSWORD, assert_error, call, error_paths
from tests.mail import link_token

NEW_PASSWORD = "difference-engine-no-2"
ACCEPTED = {"message": "If the address belongs to an active account, a reset link is on "
                       "its way; it works once."}


def ask(client, email, status=202, ip=CLIENT_IP):
    res = call(client, "POST", "/auth/password-reset", json={"email": email},
               extra_environ={"REMOTE_ADDR": ip})
    assert res.status_int == status, res.text
    return res


def confirm(client, token, password=NEW_PASSWORD, status=200):
    res = call(client, "POST", "/auth/password-reset/confirm",
               json={"token": token, "password": password})
    assert res.status_int == status, res.text
    return res


def mailed_token(smtp_server, address, count=1) -> str:
    smtp_server.wait_for(count)
    messages = smtp_server.to(address)
    assert len(messages) == count, [m["Subject"] for m in smtp_server.messages]
    return link_token(messages[-1])


def login(client, name, password, status=200):
    res = call(client, "POST", "/auth/login", json={"login": name, "password": password})
    assert res.status_int == status, res.text
    return res


def test_the_mailed_link_resets_the_password_once(mail_client, alice, smtp_server):
    assert ask(mail_client, "Alice@Example.com").json == ACCEPTED
    smtp_server.wait_for(1)
    (message,) = smtp_server.to("alice@example.com")
    assert message["Subject"] == "Reset your Janus password"
    assert "https://janus.example/password-reset?token=" in message.get_content()
    token = link_token(message)
    # Only the hash is stored.
    stored = PasswordReset.get()
    assert token not in (stored.token_hash, stored.password_hash)

    assert confirm(mail_client, token).json == {"revoked_tokens": 1}
    assert call(mail_client, "GET", "/auth/me", actor=alice).status_int == 401
    login(mail_client, alice.user.username, NEW_PASSWORD)
    login(mail_client, alice.user.username, PASSWORD, status=401)
    assert_error(confirm(mail_client, token, "another-fine-passphrase-9", status=422),
                 422, "validation_error")
    # The mail that says so.
    smtp_server.wait_for(2)
    done = smtp_server.to("alice@example.com")[-1]
    assert done["Subject"] == "Your Janus password was reset"
    assert done["Message-ID"] != message["Message-ID"]


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_the_answer_is_the_same_and_nothing_is_mailed(mail_client, make_actor, who):
    email = "ghost@example.com"
    if who == "inactive":
        email = make_actor(active=False).user.email
    assert ask(mail_client, email).json == ACCEPTED
    assert OutboxMail.select().count() == 0
    assert PasswordReset.select().count() == 0
    (event,) = SecurityEvent.select().where(SecurityEvent.action == "password_reset_requested")
    assert event.account == email and event.source == "service"
    assert event.security_metadata == {"mailed": False}


def _newer_token(client, alice, smtp_server):
    ask(client, alice.user.email)
    mailed_token(smtp_server, alice.user.email, 2)


def _password_changed(client, alice, smtp_server):
    res = call(client, "POST", "/auth/password", actor=alice,
               json={"current_password": PASSWORD, "new_password": "yet-another-passphrase-7"})
    assert res.status_int == 200, res.text


def _expired(client, alice, smtp_server):
    PasswordReset.update(expires_at=utcnow() - timedelta(seconds=1)).execute()


def _deactivated(client, alice, smtp_server):
    alice.user.is_active = False
    alice.user.save()


@pytest.mark.parametrize("void", [_newer_token, _password_changed, _expired, _deactivated])
def test_a_voided_token_is_refused(mail_client, alice, smtp_server, void):
    ask(mail_client, alice.user.email)
    token = mailed_token(smtp_server, alice.user.email)
    void(mail_client, alice, smtp_server)
    error = assert_error(confirm(mail_client, token, status=422), 422, "validation_error")
    assert error_paths(error) == ["$.token"]


@pytest.mark.parametrize("token", ["nope", "x" * 128])
def test_an_unknown_token_is_refused(mail_client, token):
    assert_error(confirm(mail_client, token, status=422), 422, "validation_error")


def test_the_password_policy_applies_and_the_token_survives(mail_client, alice, smtp_server):
    ask(mail_client, alice.user.email)
    token = mailed_token(smtp_server, alice.user.email)
    error = assert_error(confirm(mail_client, token, "password1234", status=422),
                         422, "validation_error")
    assert error_paths(error) == ["$.password"]
    confirm(mail_client, token)


def test_a_reset_clears_the_lockout_and_writes_its_rows(mail_client, alice, smtp_server):
    for _ in range(5):
        login(mail_client, alice.user.username, "wrong-password-here", status=401)
    login(mail_client, alice.user.username, PASSWORD, status=429)
    ask(mail_client, alice.user.email)
    confirm(mail_client, mailed_token(smtp_server, alice.user.email))
    login(mail_client, alice.user.username, NEW_PASSWORD)
    (event,) = SecurityEvent.select().where(SecurityEvent.action == "password_reset")
    assert (event.user_id, event.source, event.ip) == (alice.id, "service", CLIENT_IP)
    (audit,) = Log.select().where(Log.action == "user.password_reset")
    assert audit.user_id == alice.id
    assert audit.log_metadata["changes"]["revoked_tokens"] == 1


def test_no_response_or_stored_mail_keeps_the_token(mail_client, alice, smtp_server):
    res = ask(mail_client, alice.user.email)
    token = mailed_token(smtp_server, alice.user.email)
    assert token not in res.text
    # Delivered: the body, link and all, is gone from the outbox.
    deadline = time.monotonic() + 5
    while OutboxMail.select().where(OutboxMail.status == "sent").count() < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert all(token not in row.body for row in OutboxMail.select())
    assert token not in confirm(mail_client, token).text


@pytest.fixture
def limited(app, make_config, smtp_server):
    from janus.mail import sender
    from janus.web.app import create_app

    def make(**env):
        app = create_app(make_config(JANUS_SMTP_URL=smtp_server.url, **env))
        return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    yield make
    sender.stop()


def test_requests_are_limited_per_address(limited, alice):
    client = limited(JANUS_RATE_LIMIT_PASSWORD_RESET="2/minute")
    ask(client, "one@example.com")
    ask(client, "two@example.com")
    res = ask(client, "three@example.com", status=429)
    assert "this address" in assert_error(res, 429, "too_many_requests")["message"]
    ask(client, "three@example.com", ip="203.0.113.9")


def test_requests_are_limited_per_account(limited, alice):
    client = limited(JANUS_RATE_LIMIT_PASSWORD_RESET_ACCOUNT="2/hour")
    ask(client, alice.user.email, ip="203.0.113.1")
    ask(client, alice.user.email.upper(), ip="203.0.113.2")
    res = ask(client, alice.user.email, ip="203.0.113.3", status=429)
    assert "this account" in assert_error(res, 429, "too_many_requests")["message"]
    # Unknown accounts are counted the same way: a 429 tells nothing.
    for ip in ("203.0.113.4", "203.0.113.5"):
        ask(client, "ghost@example.com", ip=ip)
    ask(client, "ghost@example.com", ip="203.0.113.6", status=429)


def test_known_and_unknown_addresses_take_about_the_same_time(mail_client, alice):
    def median(email):
        times = []
        for _ in range(15):
            started = time.perf_counter()
            ask(mail_client, email)
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2]
    known, unknown = median(alice.user.email), median("ghost@example.com")
    # The mail goes after the answer; what differs is two small inserts.
    assert abs(known - unknown) < 0.05, (known, unknown)


def test_a_reset_ends_the_console_sessions_too(mail_client, moderator, smtp_server, make_config):
    from janus.access import Client
    from janus.errors import Unauthorized
    from janus.services import console_sessions
    _, issued = console_sessions.sign_in(moderator.user.username, PASSWORD, Client(CLIENT_IP),
                                         make_config())
    console_sessions.resolve(issued.plain)
    ask(mail_client, moderator.user.email)
    confirm(mail_client, mailed_token(smtp_server, moderator.user.email))
    with pytest.raises(Unauthorized):
        console_sessions.resolve(issued.plain)


KEY = {"Idempotency-Key": "reset-retry-1"}


def test_a_retry_with_its_key_replays_the_answer_and_mails_once(mail_client, alice, smtp_server):
    """Both routes honour Idempotency-Key (tests/api/test_idempotency.py lists
    them as covered here): a retried request mails no second link, and a
    retried confirm gets its first answer instead of 'token used'."""
    first = call(mail_client, "POST", "/auth/password-reset", json={"email": alice.user.email},
                 headers=KEY)
    again = call(mail_client, "POST", "/auth/password-reset", json={"email": alice.user.email},
                 headers=KEY)
    assert (first.status_int, again.status_int) == (202, 202)
    assert again.headers["Idempotent-Replayed"] == "true" and again.body == first.body
    assert PasswordReset.select().count() == 1
    token = mailed_token(smtp_server, alice.user.email)

    body = {"token": token, "password": NEW_PASSWORD}
    key = {"Idempotency-Key": "reset-retry-2"}  # a key names one request
    done = call(mail_client, "POST", "/auth/password-reset/confirm", json=body, headers=key)
    retried = call(mail_client, "POST", "/auth/password-reset/confirm", json=body, headers=key)
    assert (done.status_int, retried.status_int) == (200, 200), retried.text
    assert retried.headers["Idempotent-Replayed"] == "true" and retried.body == done.body
    assert SecurityEvent.select().where(SecurityEvent.action == "password_reset").count() == 1
