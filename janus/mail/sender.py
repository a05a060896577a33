"""The sender: delivers the outbox's pending mails after commit.

Where it runs: one daemon thread per process (each gunicorn worker), started
by the first ``wake`` (a service calls it after committing a mail) or by
``start`` (gunicorn's post_worker_init hook), and then sweeping the outbox
every JANUS_MAIL_SWEEP_SECONDS for what other workers, or a crash, left.

Claiming: a short transaction marks up to BATCH due rows ``sending`` with a
lease (``claimed_until``) and counts the attempt, then commits; delivery
happens outside any transaction, and a second one records the outcome. On
PostgreSQL the claim selects ``FOR UPDATE SKIP LOCKED``, so workers and
hosts claiming together take different rows; on SQLite every transaction
begins IMMEDIATE (janus.db), so claims take turns on the write lock. A
worker killed after its claim leaves the row ``sending``: once the lease
ends, any sender claims it again and sends it with the same Message-ID.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import peewee as pw

from janus.config import Config
from janus.db import database
from janus.mail import transport
from janus.models import OutboxMail, utcnow

log = logging.getLogger("janus.mail")
BATCH = 20
# The longest wait between two attempts, however many came before.
MAX_BACKOFF = timedelta(hours=6)


def _due():
    now = utcnow()
    return (((OutboxMail.status == "pending") & (OutboxMail.next_attempt_at <= now))
            | ((OutboxMail.status == "sending") & (OutboxMail.claimed_until < now)))


def claim(limit: int = BATCH, lease_seconds: int = 600) -> list[OutboxMail]:
    """Due mails, now ``sending`` under this caller's lease
    (JANUS_MAIL_LEASE_SECONDS), attempt counted."""
    with database.atomic():
        query = OutboxMail.select().where(_due()).order_by(OutboxMail.id).limit(limit)
        if isinstance(database.obj, pw.PostgresqlDatabase):
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        rows = list(query)
        if rows:
            now = utcnow()
            until = now + timedelta(seconds=lease_seconds)
            OutboxMail.update(status="sending", claimed_until=until,
                              attempts=OutboxMail.attempts + 1).where(
                OutboxMail.id.in_([row.id for row in rows])).execute()
            for row in rows:
                row.attempts += 1
    return rows


def backoff(config: Config, attempts: int) -> timedelta:
    seconds = config.mail_retry_seconds * 2 ** min(attempts - 1, 20)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def record(row: OutboxMail, config: Config, error: str | None) -> str:
    """The outcome of one attempt; returns the new status."""
    now = utcnow()
    if error is None:
        fields = {"status": "sent", "sent_at": now, "claimed_until": None, "body": "",
                  "last_error": None}
    elif row.attempts >= config.mail_max_attempts:
        fields = {"status": "failed", "claimed_until": None, "last_error": error}
    else:
        fields = {"status": "pending", "claimed_until": None, "last_error": error,
                  "next_attempt_at": now + backoff(config, row.attempts)}
    with database.atomic():
        OutboxMail.update(**fields).where(OutboxMail.id == row.id).execute()
    return fields["status"]


def deliver_due(config: Config) -> dict:
    """One pass: claim, deliver, record, until nothing is due. Returns the
    counts by outcome."""
    counts = {"sent": 0, "pending": 0, "failed": 0}
    while rows := claim(lease_seconds=config.mail_lease_seconds):
        for row in rows:
            try:
                transport.deliver(row, config.smtp, config.mail_from, config.secret_key)
                error = None
            except transport.DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a mail that cannot be built counts as an attempt
                log.exception("mail could not be sent")
                error = f"{type(exc).__name__}: {exc}"[:255]
            status = record(row, config, error)
            counts[status] += 1
            if error is not None:
                log.warning({"message": "mail not delivered", "outbox_id": row.id,
                             "attempts": row.attempts, "status": status, "error": error})
    return counts


def seconds_to_next_retry() -> float | None:
    """Until the next pending mail is due, or the next lease (a dead
    sender's, maybe) runs out; None when neither is waiting."""
    waiting = [row for row in (
        OutboxMail.select(OutboxMail.next_attempt_at.alias("at"))
        .where(OutboxMail.status == "pending").order_by(OutboxMail.next_attempt_at).first(),
        OutboxMail.select(OutboxMail.claimed_until.alias("at"))
        .where(OutboxMail.status == "sending").order_by(OutboxMail.claimed_until).first(),
    ) if row is not None]
    if not waiting:
        return None
    soonest = min(row.at for row in waiting)
    return max(0.05, (soonest - utcnow()).total_seconds())


class _Deferred(threading.local):
    # A class default, so that every request's check on a thread that never
    # set it reads False instead of raising (and catching) AttributeError.
    flag = False


class Sender:
    """The process's one sender thread."""

    def __init__(self):
        self.config: Config | None = None
        self.woken = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        # Per thread: a wake asked for inside a transaction (``wake``).
        self.deferred = _Deferred()

    def configure(self, config: Config) -> None:
        self.config = config

    def start(self) -> None:
        with self.lock:
            if self.config is None or (self.thread is not None and self.thread.is_alive()):
                return
            self.stopping.clear()
            self.thread = threading.Thread(target=self._run, name="janus-mail", daemon=True)
            self.thread.start()

    def wake(self) -> None:
        """Send what was just committed. Called inside a transaction still
        open (a service run under an outer one, such as Idempotency-Key's),
        it waits for ``wake_deferred``, which the request calls once that
        transaction is over: woken earlier, the sender would find nothing."""
        if database.in_transaction():
            self.deferred.flag = True
            return
        self.start()
        self.woken.set()

    def wake_deferred(self) -> None:
        if self.deferred.flag:
            self.deferred.flag = False
            self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.woken.set()
        if self.thread is not None:
            self.thread.join(timeout)
            self.thread = None

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.woken.clear()  # before the pass: a wake during it runs another
            wait = None
            try:
                deliver_due(self.config)
                wait = seconds_to_next_retry()
            except Exception:  # a database hiccup must not end the thread
                log.exception("mail sender pass failed")
            finally:
                if not database.is_closed():
                    database.close()
            # Until woken, the next retry is due, or the sweep (0: no sweep).
            sweep = self.config.mail_sweep_seconds or None
            if wait is None or (sweep is not None and sweep < wait):
                wait = sweep
            self.woken.wait(wait)


SENDER = Sender()
configure, start, wake, stop = SENDER.configure, SENDER.start, SENDER.wake, SENDER.stop
wake_deferred = SENDER.wake_deferred
