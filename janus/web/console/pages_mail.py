"""GET /console/mail: the mails the sender gave up on (JANUS_MAIL_MAX_ATTEMPTS),
as ``janus-admin mail failed`` lists them; a superadmin sends one, or every
one, again with ``janus-admin mail retry``'s function (janus.mail.outbox:
the same Message-ID, a ``mail.retried`` audit row). A mail's body is never
shown: it may hold a reset or verification link."""
from __future__ import annotations

from janus.errors import NotFound
from janus.mail import outbox, sender
from janus.web.console import session
from janus.web.console.registry import see_other
from janus.web.console.render import render

PATH = "/console/mail"


def register(console) -> None:
    @console.page(PATH)
    def console_mail(actor):
        return render("mail.html", title="Failed mails", mails=outbox.failed())

    def retried(actor, ids: list[int] | None) -> None:
        count = outbox.retry(actor, ids)
        sender.wake()
        if count:
            session.flash(f"{count} mail{'s' if count != 1 else ''} queued again, with the "
                          "same Message-ID.")
        else:
            session.flash("Nothing queued: that mail is no longer failed.", "error")
        see_other(PATH)

    @console.action("/console/mail/<mail_id:int>/retry")
    def console_mail_retry(actor, mail_id):
        if not outbox.exists(mail_id):
            raise NotFound(f"mail {mail_id} not found")
        retried(actor, [mail_id])

    @console.action("/console/mail/retry-all")
    def console_mail_retry_all(actor):
        retried(actor, None)
