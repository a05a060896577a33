"""The outbox and its sender against the suite's SMTP server (tests/mail.py):
a mail exists exactly when its change commits, is delivered with a fixed
Message-ID, retried with backoff, marked failed after N attempts, claimed by
one sender at a time, and sent again after a crash with the same Message-ID."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner

from janus.db import database
from janus.mail import outbox, sender
from janus.models import Log, OutboxMail, utcnow
from janus.operator.cli import cli


@pytest.fixture
def mail_config(db, make_config, smtp_server):
    def make(**env):
        return make_config(JANUS_SMTP_URL=smtp_server.url, JANUS_MAIL_FROM="Janus <j@example.org>",
                           **env)
    return make


def write(count=1, recipient="ada@example.com"):
    with database.atomic():
        return [outbox.enqueue("test", recipient, f"mail {i}", f"body {i}\n")
                for i in range(count)]


def row(mail) -> OutboxMail:
    return OutboxMail.get_by_id(mail.id)


def test_a_mail_exists_only_if_its_change_commits(db):
    with pytest.raises(RuntimeError, match="boom"), database.atomic():
        outbox.enqueue("test", "ada@example.com", "lost", "never sent")
        raise RuntimeError("boom")
    assert OutboxMail.select().count() == 0
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.enqueue("test", "ada@example.com", "no transaction", "refused")


def test_delivery_carries_the_fixed_message_id(mail_config, smtp_server):
    (mail,) = write()
    assert sender.deliver_due(mail_config()) == {"sent": 1, "pending": 0, "failed": 0}
    (message,) = smtp_server.wait_for(1)
    assert message["Message-ID"] == mail.message_id
    assert (message["From"], message["To"], message["Subject"]) == (
        "Janus <j@example.org>", "ada@example.com", "mail 0")
    assert message.get_content().splitlines() == ["body 0"]
    sent = row(mail)
    assert (sent.status, sent.attempts, sent.body) == ("sent", 1, "")
    assert sender.deliver_due(mail_config()) == {"sent": 0, "pending": 0, "failed": 0}


def test_refusals_back_off_then_fail_and_the_cli_retries(mail_config, smtp_server,
                                                        database_url):
    config = mail_config(JANUS_MAIL_MAX_ATTEMPTS=2, JANUS_MAIL_RETRY_SECONDS=30)
    (mail,) = write()
    smtp_server.mailbox.refuse = True
    assert sender.deliver_due(config)["pending"] == 1
    waiting = row(mail)
    assert waiting.attempts == 1 and "451" in waiting.last_error
    assert timedelta(seconds=25) < waiting.next_attempt_at - utcnow() <= timedelta(seconds=30)
    assert sender.deliver_due(config)["pending"] == 0  # not due yet
    OutboxMail.update(next_attempt_at=utcnow()).execute()
    assert sender.deliver_due(config)["failed"] == 1
    assert row(mail).status == "failed"

    env = {"DATABASE_URL": database_url}
    listed = CliRunner().invoke(cli, ["mail", "failed"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"{mail.id}\t" in listed.output and "ada@example.com" in listed.output
    database.connect(reuse_if_open=True)
    retried = CliRunner().invoke(cli, ["mail", "retry", str(mail.id)], env=env)
    assert (retried.exit_code, retried.output) == (0, "1 mail queued again\n")
    database.connect(reuse_if_open=True)
    (audit,) = Log.select().where(Log.action == "mail.retried")
    assert audit.user_id is None and audit.log_metadata["via"] == "cli"
    assert audit.log_metadata["changes"] == {"ids": [mail.id]}
    smtp_server.mailbox.refuse = False
    assert sender.deliver_due(config)["sent"] == 1
    (message,) = smtp_server.wait_for(1)
    assert message["Message-ID"] == mail.message_id


@pytest.mark.parametrize("args", [[], ["1", "--all"]])
def test_retry_wants_ids_or_all(db, database_url, args):
    result = CliRunner().invoke(cli, ["mail", "retry", *args], env={"DATABASE_URL": database_url})
    assert result.exit_code == 1
    assert "give mail ids or --all" in result.stderr


def test_a_crash_after_the_claim_resends_with_the_same_message_id(mail_config, smtp_server):
    config = mail_config()
    mails = write(3)
    # A worker claims the mails, then dies before it sends or records anything.
    assert len(sender.claim()) == 3
    assert sender.deliver_due(config)["sent"] == 0  # leased to the dead worker
    OutboxMail.update(claimed_until=utcnow() - timedelta(seconds=1)).execute()  # lease over
    assert sender.deliver_due(config)["sent"] == 3
    received = sorted(m["Message-ID"] for m in smtp_server.wait_for(3))
    assert received == sorted(m.message_id for m in mails)
    assert {row(m).attempts for m in mails} == {2}


def test_concurrent_claims_take_different_mails(mail_config):
    write(60)
    claimed, errors = [], []
    start = threading.Barrier(4)

    def claimer():
        try:
            start.wait()
            while rows := sender.claim(limit=5):
                claimed.extend(r.id for r in rows)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            database.close()
    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(claimed) == sorted(m.id for m in OutboxMail.select())
    assert len(claimed) == 60


def test_the_woken_thread_delivers_after_commit(mail_config, smtp_server):
    sender.configure(mail_config(JANUS_MAIL_SWEEP_SECONDS=0))
    try:
        (mail,) = write()
        sender.wake()
        (message,) = smtp_server.wait_for(1)
        assert message["Message-ID"] == mail.message_id
    finally:
        sender.stop()


def test_without_smtp_the_mail_is_logged(db, make_config, caplog):
    (mail,) = write()
    with caplog.at_level(logging.WARNING, logger="janus.mail"):
        assert sender.deliver_due(make_config())["sent"] == 1
    (record,) = [r for r in caplog.records if r.name == "janus.mail"]
    assert record.msg["message_id"] == mail.message_id and record.msg["body"] == "body 0\n"


@pytest.mark.parametrize("state", ["retry", "lease"])
def test_the_thread_wakes_itself_when_a_retry_or_a_lease_is_due(mail_config, smtp_server,
                                                                state):
    (mail,) = write()
    soon = utcnow() + timedelta(seconds=1)
    if state == "retry":
        OutboxMail.update(next_attempt_at=soon).execute()
    else:  # claimed by a sender that died
        OutboxMail.update(status="sending", claimed_until=soon).execute()
    sender.configure(mail_config(JANUS_MAIL_SWEEP_SECONDS=0))
    try:
        sender.wake()
        assert smtp_server.messages == []  # not due yet
        (message,) = smtp_server.wait_for(1, timeout=10)
        assert message["Message-ID"] == mail.message_id
    finally:
        sender.stop()


def test_a_mail_that_cannot_be_built_fails_instead_of_looping(mail_config, smtp_server):
    (mail,) = write()
    # A subject no header can carry (written around enqueue's own check).
    OutboxMail.update(subject="bad\nsubject").execute()
    config = mail_config(JANUS_MAIL_MAX_ATTEMPTS=1)
    assert sender.deliver_due(config) == {"sent": 0, "pending": 0, "failed": 1}
    assert row(mail).status == "failed" and "ValueError" in row(mail).last_error
