"""Issue 18's flows end to end, through HTTP only, reading the mail the
suite's SMTP server (tests/mail.py) received: register -> verify -> log in ->
forget -> reset -> log in; change email -> confirm; and an account a
superadmin makes in the console -> its set-password link -> log in. Email
verification is on (JANUS_REQUIRE_EMAIL_VERIFICATION=true), as the README
advises for production."""
from __future__ import annotations

import pytest
import webtest

from tests.api.helpers import CLIENT_IP, PASSWORD, assert_error, call
from tests.console.helpers import sign_in
from tests.mail import link_token

ADA = {"email": "ada@example.com", "username": "ada", "password": "analytical-engine-1843"}
RESET_PASSWORD = "difference-engine-no-2"
CHOSEN = "a-compiler-in-1952"
PUBLIC = "https://janus.example"


@pytest.fixture
def client(app, make_config, smtp_server):
    """A client of an app that mails through the suite's SMTP server and
    requires verified emails."""
    from janus.mail import sender
    from janus.web.app import create_app
    mailing = create_app(make_config(JANUS_SMTP_URL=smtp_server.url, JANUS_PUBLIC_URL=PUBLIC,
                                     JANUS_REQUIRE_EMAIL_VERIFICATION="true"))
    yield webtest.TestApp(mailing, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    sender.stop()


def post(client, path, body, status, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    res = call(client, "POST", path, json=body, headers=headers)
    assert res.status_int == status, res.text
    return res


def log_in(client, name, password, status=200):
    return post(client, "/auth/login", {"login": name, "password": password}, status)


def me(client, token, status=200):
    return call(client, "GET", "/auth/me", headers={"Authorization": f"Bearer {token}"},
                status=status)


def mail(smtp_server, address, subject, total):
    """The last message to ``address`` with this subject, once ``total``
    messages have arrived in all (their order is the sender's)."""
    smtp_server.wait_for(total)
    messages = [m for m in smtp_server.to(address) if m["Subject"] == subject]
    assert messages, [(m["To"], m["Subject"]) for m in smtp_server.messages]
    return messages[-1]


def link(message, path) -> str:
    body = message.get_content()
    assert f"{PUBLIC}{path}?token=" in body, body
    return link_token(message)


def test_register_verify_log_in_forget_reset_log_in(client, smtp_server, superadmin):
    assert post(client, "/auth/register", ADA, 202).json["message"].startswith("Check your")
    verify = mail(smtp_server, "ada@example.com", "Confirm your email address for Janus", 1)
    assert_error(log_in(client, "ada", ADA["password"], 403), 403, "email_not_verified")
    (listed,) = call(client, "GET", "/users?username=ada", superadmin, status=200).json["items"]
    assert listed["email_verified"] is False
    assert me(client, superadmin.token).json["email_verified"] is True  # predates the switch

    verified = post(client, "/auth/verify-email", {"token": link(verify, "/verify-email")}, 200)
    assert verified.json["email"] == "ada@example.com"
    first = log_in(client, "ada", ADA["password"]).json["token"]
    assert me(client, first).json["username"] == "ada"
    assert me(client, first).json["email_verified"] is True
    res = call(client, "GET", f"/users/{listed['id']}", superadmin, status=200)
    assert res.json["email_verified"] is True
    second = log_in(client, "ada@example.com", ADA["password"]).json["token"]

    post(client, "/auth/password-reset", {"email": "ADA@example.com"}, 202)
    reset = mail(smtp_server, "ada@example.com", "Reset your Janus password", 2)
    confirmed = post(client, "/auth/password-reset/confirm",
                     {"token": link(reset, "/password-reset"), "password": RESET_PASSWORD}, 200)
    assert confirmed.json == {"revoked_tokens": 2}
    mail(smtp_server, "ada@example.com", "Your Janus password was reset", 3)
    # A reset ends every session; the old password is gone, the new one works.
    for token in (first, second):
        me(client, token, 401)
    log_in(client, "ada", ADA["password"], 401)
    token = log_in(client, "ada", RESET_PASSWORD).json["token"]
    sessions = call(client, "GET", "/auth/sessions",
                    headers={"Authorization": f"Bearer {token}"}, status=200).json["items"]
    assert [s["current"] for s in sessions] == [True]
    # The link worked once.
    post(client, "/auth/password-reset/confirm",
         {"token": link(reset, "/password-reset"), "password": "yet-another-one-77"}, 422)
    assert len(smtp_server.messages) == 3


def test_change_email_then_confirm(client, smtp_server, alice):
    token = log_in(client, alice.user.username, PASSWORD).json["token"]
    res = call(client, "PATCH", f"/users/{alice.id}", json={"email": "alice@new.example"},
               headers={"Authorization": f"Bearer {token}"}, status=200)
    assert res.json["email"] == "alice@example.com"  # not yet: the new address confirms it
    notice = mail(smtp_server, "alice@example.com", "Your Janus email is changing", 2)
    assert "alice@new.example" in notice.get_content()
    confirm = mail(smtp_server, "alice@new.example", "Confirm your email address for Janus", 2)
    assert me(client, token).json["email"] == "alice@example.com"

    post(client, "/auth/verify-email", {"token": link(confirm, "/verify-email")}, 200)
    assert me(client, token).json["email"] == "alice@new.example"
    log_in(client, "alice@new.example", PASSWORD)
    log_in(client, "alice@example.com", PASSWORD, 401)


def test_a_console_made_account_chooses_its_password_by_mail(client, smtp_server, superadmin):
    console, res = sign_in(client.app, superadmin.user.username, PASSWORD)
    assert res.status_int == 303
    made = console.post("/console/users/new", {"email": "kay@example.com", "username": "kay"})
    assert made.status_int == 303, made.text
    message = mail(smtp_server, "kay@example.com", "Your Janus account: choose a password", 1)
    # Nobody knows the password until the link sets one.
    log_in(client, "kay", CHOSEN, 401)
    post(client, "/auth/password-reset/confirm",
         {"token": link(message, "/password-reset"), "password": CHOSEN}, 200)
    token = log_in(client, "kay", CHOSEN).json["token"]
    assert me(client, token).json["email"] == "kay@example.com"

    # The console's reset link for the same account works the same way.
    user_path = made.headers["Location"].removeprefix(PUBLIC)  # JANUS_PUBLIC_URL is set
    sent = console.post(f"{user_path}/send-reset")
    assert sent.status_int == 303 and sent.headers["Location"].endswith(user_path), sent
    assert "A password reset link is mailed" in console.get(user_path).text
    # (The confirmation above mailed "Your Janus password was reset".)
    reset = mail(smtp_server, "kay@example.com", "Reset your Janus password", 3)
    post(client, "/auth/password-reset/confirm",
         {"token": link(reset, "/password-reset"), "password": RESET_PASSWORD}, 200)
    me(client, token, 401)
    log_in(client, "kay", RESET_PASSWORD)
