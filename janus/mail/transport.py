"""Delivery of one message: to the SMTP server of JANUS_SMTP_URL, or, unset,
to the log (development only; the body, links and all, is logged)."""
from __future__ import annotations

import datetime
import email.utils
import logging
import smtplib
import ssl
from email.message import EmailMessage

from janus.mail import links
from janus.models import OutboxMail
from janus.smtp_url import SmtpSettings

log = logging.getLogger("janus.mail")


class DeliveryError(Exception):
    """The server refused or could not be reached; worth another attempt."""


def build(row: OutboxMail, sender: str, key: bytes | None = None) -> EmailMessage:
    """The message of ``row``; ``key`` (JANUS_SECRET_KEY) renders its links'
    tokens (janus.mail.links)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    # Fixed when the mail was written: a resend after a crash is the same
    # message, and a receiver can drop the copy.
    message["Message-ID"] = row.message_id
    message["Date"] = email.utils.format_datetime(
        row.created_at.replace(tzinfo=datetime.UTC), usegmt=True)
    message.set_content(links.render(row.body, key))
    return message


def send_smtp(settings: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    try:
        if settings.tls:
            server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=context)
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with server:
            if settings.starttls:
                server.starttls(context=context)
            if settings.user is not None:
                server.login(settings.user, settings.password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # One line, never the password (smtplib's errors do not carry it).
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:255]) from None


def send_log(message: EmailMessage) -> None:
    log.warning({"message": "mail written to the log (JANUS_SMTP_URL unset: development only)",
                 "to": message["To"], "subject": message["Subject"],
                 "message_id": message["Message-ID"], "body": message.get_content()})


def deliver(row: OutboxMail, settings: SmtpSettings | None, sender: str,
            key: bytes | None = None) -> None:
    message = build(row, sender, key)
    if settings is None:
        send_log(message)
    else:
        send_smtp(settings, message)
