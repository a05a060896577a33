"""GET /console/security: the security events, filterable (kind, user,
account, address, time window) in keyset pages, and the lockouts in force
now. POST /console/security/unlock/<user_id>: a superadmin clears a user's
lockout with the function ``janus-admin unlock`` runs (janus.services.lockout),
so it writes the same ``lockout_cleared`` security row and ``user.unlocked``
audit row. The events and the lockouts are one query each. A reported event
(POST /security-events) is marked "reported by" its reporter: it locks and
unlocks nothing, and the lockouts list ignores it."""
from __future__ import annotations

from janus.errors import ValidationError
from janus.lists.records import SECURITY_EVENTS, SecurityEventQuery
from janus.services import history, lockout
from janus.web.console import session
from janus.web.console.filters import declared_form
from janus.web.console.inputs import given, problem, read
from janus.web.console.registry import see_other
from janus.web.console.render import page_links, render
from janus.web.console.values import shown

PATH = "/console/security"
# The kinds Janus itself records (janus.services.auth, admins, accounts,
# lockout); a reported event may have another, which the text filter finds.
KINDS = ("login_success", "login_failed", "login_locked", "lockout", "logout",
         "password_changed", "password_change_failed", "password_reset", "tokens_revoked",
         "lockout_cleared", "admin_granted", "admin_revoked", "session_ended", "logout_all",
         "password_link_sent")
PAGE_SIZES = (25, 50, 100, 200)
# The source filter: who wrote the row (janus.models.SOURCES).
SOURCES = (("service", "recorded by the service"), ("client", "reported by a client"))
SCOPES = {"address": "this address", "account": "every address"}
# An account lock spares the addresses the account logged in from lately.
SPARING_KNOWN = "every address but those it signed in from in the last {days} days"


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "href": f"/console/users/{user.id}"}


def event(row) -> dict:
    reported = history.is_reported(row)
    return {"id": row.id, "when": row.timestamp, "action": row.action,
            "reported": reported,
            "reporter": _user(history.reporter_of(row)) if reported else None,
            "reported_by": row.reported_by,
            "user": _user(history.user_of(row)), "account": row.account, "ip": row.ip,
            "user_agent": row.user_agent,
            "details": [(key, shown(value)) for key, value in
                        (row.security_metadata if isinstance(row.security_metadata, dict)
                         else {}).items()]}


def locked(lock: lockout.Lockout, known_address_days: int) -> dict:
    scope = SCOPES[lock.scope]
    if lock.scope == "account" and known_address_days:
        scope = SPARING_KNOWN.format(days=known_address_days)
    return {"account": lock.account, "user": _user(lock.user), "scope": scope,
            "ip": lock.ip, "failures": lock.failures, "until": lock.until}


def register(console) -> None:
    config = console.config

    @console.page(PATH)
    def console_security(actor):
        form = given(SecurityEventQuery)
        context = {"title": "Security", "form": form, "page_sizes": PAGE_SIZES,
                   **declared_form(SECURITY_EVENTS, form, choices={"source": SOURCES},
                                   suggestions={"action": KINDS}),
                   "events": [], "next_url": None, "first_url": None, "error": None,
                   "lockouts": [locked(lock, config.known_address_days)
                                for lock in lockout.current(config)]}
        try:  # a bad value, or a cursor this service never issued
            page = history.security_timeline(actor, read(SecurityEventQuery, form))
        except ValidationError as exc:
            return render("security.html", status=422,
                          **{**context, "error": problem(exc)})
        return render("security.html", **{**context, "events": [event(row) for row in page.items],
                                     **page_links(PATH, form, page.next_cursor)})

    @console.action(PATH + "/unlock/<user_id:int>")
    def console_unlock(actor, user_id):
        user = lockout.unlock(actor, user_id)
        session.flash(f"Lockout cleared for {user.email}: its failed sign-ins no longer count.")
        see_other(PATH)
