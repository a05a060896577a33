"""Writing mails: ``enqueue`` adds a row to the outbox inside the caller's
transaction, so the mail exists exactly when the change that causes it
commits. The caller then calls janus.mail.sender.wake, which waits for an
outer transaction (an Idempotency-Key's) to end; the sender's sweep finds
anything a crash left."""
from __future__ import annotations

import email.utils
import secrets

from janus.audit import record_change
from janus.db import database
from janus.models import OutboxMail, utcnow

# The domain part of every Message-ID (RFC 5322 msg-id: id-left@id-right).
MESSAGE_ID_DOMAIN = "janus.mail"


def new_message_id() -> str:
    return f"<{secrets.token_hex(16)}@{MESSAGE_ID_DOMAIN}>"


def enqueue(kind: str, recipient: str, subject: str, body: str) -> OutboxMail:
    """The mail, pending, in the current transaction (there must be one)."""
    if not database.in_transaction():
        raise RuntimeError("enqueue a mail inside the transaction of the change")
    if "\r" in subject or "\n" in subject:
        raise ValueError("a subject is one line")
    _, address = email.utils.parseaddr(recipient)
    if not address or "@" not in address:
        raise ValueError(f"not an address: {recipient!r}")
    return OutboxMail.create(kind=kind, recipient=address, subject=subject, body=body,
                             message_id=new_message_id(), next_attempt_at=utcnow())


def exists(mail_id: int) -> bool:
    return OutboxMail.select().where(OutboxMail.id == mail_id).exists()


def failed() -> list[OutboxMail]:
    return list(OutboxMail.select().where(OutboxMail.status == "failed")
                .order_by(OutboxMail.id))


def retry(actor, ids: list[int] | None = None) -> int:
    """Failed mails (``ids``, else every one) back to pending, attempts from
    zero, with their audit row; returns how many. Their Message-ID stays."""
    with database.atomic():
        chosen = OutboxMail.select(OutboxMail.id).where(OutboxMail.status == "failed")
        if ids is not None:
            chosen = chosen.where(OutboxMail.id.in_(ids))
        retried = [row.id for row in chosen.order_by(OutboxMail.id)]
        if retried:
            OutboxMail.update(status="pending", attempts=0, next_attempt_at=utcnow(),
                              claimed_until=None).where(OutboxMail.id.in_(retried)).execute()
            record_change(actor.user, "mail.retried", "outbox", None, {"ids": retried})
        return len(retried)
