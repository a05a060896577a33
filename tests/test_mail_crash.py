"""A crash between commit and delivery, under a real gunicorn, on each backend.

Password resets are asked for through the API (each 202 is a committed
outbox row) while the suite's SMTP server answers slowly, so mails are
claimed, in delivery or still waiting when the master and its workers are
all SIGKILLed. Then gunicorn starts again on the same database. Asserted:
every mail written is delivered at least once, every copy carries its row's
Message-ID (a repeat is a copy a receiver can drop), and nothing arrives
that the outbox did not write.
"""
from __future__ import annotations

import collections
import time

import pytest

from janus.db import init_database
from janus.models import OutboxMail
from janus.repos.users import users
from tests.helpers import migrate
from tests.live import Gunicorn, send

pytestmark = pytest.mark.gunicorn

USERS = 40
DEADLINE = 90  # seconds; only a stuck run reaches it (and then fails)


def statuses() -> dict:
    return dict(collections.Counter(row.status for row in OutboxMail.select()))


def test_a_sigkill_between_commit_and_delivery_loses_no_mail(db_factory, tmp_path, backend,
                                                              smtp_server):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    from janus.passwords import configure
    configure(1, 8)
    emails = [users.register(f"crash{i}@example.com", f"crash{i}", "correct horse battery").email
              for i in range(USERS)]
    db.close()
    env = {"JANUS_SMTP_URL": smtp_server.url, "JANUS_MAIL_SWEEP_SECONDS": "1",
           "JANUS_MAIL_LEASE_SECONDS": "5", "JANUS_RATE_LIMIT_PASSWORD_RESET": "",
           "JANUS_RATE_LIMIT_PASSWORD_RESET_ACCOUNT": ""}
    smtp_server.mailbox.delay = 0.1  # ~10 mails a second per sender
    storage = tmp_path / "storage"
    server = Gunicorn(url, storage, tmp_path / "gunicorn.log", **env).start()
    restarted = None
    try:
        for email in emails:
            status, answer = send(server.port, "POST", "/auth/password-reset",
                                  body={"email": email})
            assert status == 202, answer
        deadline = time.monotonic() + DEADLINE
        while len(smtp_server.messages) < 5:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.01)
        server.kill_everything()
        before = len(smtp_server.messages)
        db.connect(reuse_if_open=True)
        at_crash = statuses()
        db.close()
        assert sum(at_crash.values()) == USERS
        assert at_crash.get("sent", 0) < USERS, at_crash  # the crash left mails to send

        restarted = Gunicorn(url, storage, tmp_path / "gunicorn.log", **env).start()
        smtp_server.mailbox.delay = 0.0
        db.connect(reuse_if_open=True)
        while statuses() != {"sent": USERS}:
            assert time.monotonic() < deadline, (statuses(), restarted.log())
            time.sleep(0.1)
        written = {row.message_id: row.recipient for row in OutboxMail.select()}
    finally:
        db.close()
        server.stop()
        if restarted is not None:
            restarted.stop()
    received = collections.Counter((m["Message-ID"], m["To"]) for m in smtp_server.messages)
    assert set(received) == set(written.items())  # each at least once, none foreign
    repeats = sum(count - 1 for count in received.values())
    print(f"\n[{backend}] mail crash: {USERS} mails written, {before} delivered before "
          f"the SIGKILL, outbox at the crash {at_crash}; after the restart all {USERS} "
          f"delivered, {sum(received.values())} copies received, {repeats} repeats, each "
          f"with its mail's Message-ID")
