"""``janus-admin mail``: the outbox's failed mails, listed and retried.
janus.operator.cli registers the group, handing over its ``run`` and ``fail``."""
from __future__ import annotations

import click

from janus.mail import outbox


def _listed(rows) -> str:
    if not rows:
        return "no failed mails"
    return "\n".join(
        f"{row.id}\t{row.created_at:%Y-%m-%dT%H:%M:%SZ}\t{row.attempts}\t{row.kind}\t"
        f"{row.recipient}\t{row.last_error or ''}" for row in rows)


def group(run, fail) -> click.Group:
    @click.group()
    def mail():
        """The outbox: mails the sender gave up on (JANUS_MAIL_MAX_ATTEMPTS)."""

    @mail.command("failed")
    def failed():
        """List failed mails: id, written at, attempts, kind, recipient, last error."""
        run(lambda actor: _listed(outbox.failed()))

    @mail.command("retry")
    @click.argument("ids", nargs=-1, type=click.IntRange(min=1))
    @click.option("--all", "retry_all", is_flag=True, help="every failed mail")
    def retry(ids, retry_all):
        """Send failed mails again (by id, or --all), with the same Message-ID;
        a running Janus delivers them at its next sweep or mail."""
        if bool(ids) == retry_all:
            fail("mail retry: give mail ids or --all, not both")

        def action(actor):
            count = outbox.retry(actor, None if retry_all else list(ids))
            asked = len(set(ids))
            if ids and count < asked:
                return f"{count} of {asked} mails queued again (the others are not failed)"
            return f"{count} mail{'s' if count != 1 else ''} queued again"
        run(action)

    return mail
