"""A mailed link's token never sits in the outbox (janus.mail.links): the row
holds a placeholder, the sender derives the token with JANUS_SECRET_KEY, and
the delivered link works; sent with another key, it does not."""
from __future__ import annotations

import pytest

from janus.db import database
from janus.mail import sender
from janus.models import OutboxMail, User
from janus.services import email_verification, password_reset
from tests.api.helpers import assert_error, call
from tests.mail import link_token

KEY = "k" * 40


@pytest.fixture
def keyed(make_config, smtp_server):
    def make(key=KEY):
        return make_config(JANUS_SMTP_URL=smtp_server.url, JANUS_SECRET_KEY=key,
                           JANUS_PUBLIC_URL="https://janus.example")
    return make


def write(kind: str, user: User, config) -> OutboxMail:
    with database.atomic():  # as the change would, without waking the sender
        if kind == "reset":
            password_reset.issue_link(user, config)
        else:
            User.update(email_verified_at=None).where(User.id == user.id).execute()
            email_verification.issue(user, config)
    return OutboxMail.get()


CONFIRM = {"reset": ("/auth/password-reset/confirm", {"password": "a-new-fine-passphrase"}),
           "verify": ("/auth/verify-email", {})}


@pytest.mark.parametrize("kind", ["reset", "verify"])
def test_the_outbox_holds_no_token_and_the_delivered_link_works(client, alice, keyed,
                                                                  smtp_server, kind):
    config = keyed()
    row = write(kind, alice.user, config)
    assert "{{link-token:" in row.body and "token={{link-token:" in row.body
    assert sender.deliver_due(config)["sent"] == 1
    (message,) = smtp_server.wait_for(1)
    token = link_token(message)
    assert "{{" not in message.get_content() and len(token) == 43
    assert token not in row.body
    path, body = CONFIRM[kind]
    res = call(client, "POST", path, json={"token": token, **body})
    assert res.status_int == 200, res.text


@pytest.mark.parametrize("kind", ["reset", "verify"])
def test_sent_with_another_key_the_link_is_refused(client, alice, keyed, smtp_server, kind):
    row = write(kind, alice.user, keyed())
    assert sender.deliver_due(keyed("another-key-" + "x" * 30))["sent"] == 1
    (message,) = smtp_server.wait_for(1)
    path, body = CONFIRM[kind]
    res = call(client, "POST", path, json={"token": link_token(message), **body})
    assert_error(res, 422, "validation_error")
    assert OutboxMail.get_by_id(row.id).status == "sent"
