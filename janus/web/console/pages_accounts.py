"""A superadmin's account actions that mail or end sessions, next to the user
page (janus.web.console.pages_users): make an account that chooses its own
password through a mailed link, mail a reset link, mail the verification
link again; and a user's live sessions (moderators see them, superadmins end
one). Each runs the service function the API would (janus.services.
account_links, sessions), so the audit and security rows are the same."""
from __future__ import annotations

from janus.errors import Conflict, ValidationError
from janus.lists.sessions import SessionQuery
from janus.schemas.console_accounts import UserInviteIn
from janus.schemas.validation import convert
from janus.services import account_links, accounts, sessions
from janus.web.console import session
from janus.web.console.inputs import form_text, given, problem, read
from janus.web.console.registry import see_other
from janus.web.console.render import page_links, render

NEW_PATH = "/console/users/new"


def user_path(user_id: int) -> str:
    return f"/console/users/{user_id}"


def sessions_path(user_id: int) -> str:
    return f"/console/users/{user_id}/sessions"


def refusal(exc: ValidationError | Conflict) -> str:
    """Why the form was refused, naming the field."""
    detail = (exc.details or [{}])[0] if isinstance(exc, ValidationError) else {}
    field = str(detail.get("path", "")).removeprefix("$.").removeprefix("$")
    message = detail.get("message") or exc.message
    return f"{field}: {message}." if field else f"{message}."


def register(console) -> None:
    config = console.config

    @console.page(NEW_PATH, level="superadmin")
    def console_user_new(actor):
        return render("user_new.html", title="New user", values={"email": "", "username": ""},
                      error=None)

    @console.action(NEW_PATH)
    def console_user_create(actor):
        values = {"email": form_text("email").strip(), "username": form_text("username").strip()}
        try:
            body = convert(values, UserInviteIn)
            user = account_links.create_with_link(actor, body, config)
        except (ValidationError, Conflict) as exc:
            return render("user_new.html", title="New user", values=values,
                          error=f"Not created: {refusal(exc)}", status=422)
        session.flash(f"{user.username} is created; a link to choose a password is mailed "
                      f"to {user.email}.")
        see_other(user_path(user.id))

    def mailed(actor, user_id: int, send, done: str) -> None:
        try:
            user = send(actor, user_id, config)
        except Conflict as exc:
            session.flash(f"Not sent: {exc.message}.", "error")
        else:
            session.flash(done.format(email=user.email))
        see_other(user_path(user_id))

    @console.action("/console/users/<user_id:int>/send-reset")
    def console_user_send_reset(actor, user_id):
        mailed(actor, user_id, account_links.send_reset_link,
               "A password reset link is mailed to {email}; their password stays until "
               "they use it.")

    @console.action("/console/users/<user_id:int>/resend-verification")
    def console_user_resend_verification(actor, user_id):
        mailed(actor, user_id, account_links.resend_verification,
               "The verification link is mailed again to {email}.")

    @console.page("/console/users/<user_id:int>/sessions")
    def console_user_sessions(actor, user_id):
        user = accounts.visible_user(actor, user_id)
        form = given(SessionQuery)
        try:
            q = read(SessionQuery, form)
        except ValidationError as exc:
            session.flash(problem(exc), "error")
            q, form = SessionQuery(), {}
        page = sessions.list_of_user(actor, user.id, q)
        return render("user_sessions.html", title=f"Sessions of {user.username}", user=user,
                      page=page, pager_label="Sessions pages", rows="sessions",
                      **page_links(sessions_path(user.id), form, page.next_cursor))

    @console.action("/console/sessions/<session_id:int>/end")
    def console_session_end(actor, session_id):
        ended = sessions.end_for_user(actor, session_id)
        kind = "console sign-in" if ended.kind == "console" else "login token"
        session.flash(f"Their {kind} {ended.id} has ended.")
        see_other(sessions_path(ended.user_id))
