"""Sign-in and sign-out: GET/POST /console/login, POST /console/logout.

Sign-in goes through the API's login service (janus.services.auth.login via
console_sessions.sign_in): the same lockout per account and address, the
same security events, and the same per-address rate limit as POST
/auth/login. Only admins get a session; anyone else a 403 page.
"""
from __future__ import annotations

from bottle import request, response

from janus import password_policy
from janus.errors import (
    EmailNotVerified,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    ValidationError,
)
from janus.schemas.users import LoginIn
from janus.schemas.validation import convert
from janus.services import console_sessions
from janus.web.console import csrf, session
from janus.web.console.inputs import form_text
from janus.web.console.registry import LOGIN_PATH, see_other
from janus.web.console.render import render
from janus.web.plugins import request_client

HOME = "/console"


def register(console) -> None:
    config, limits = console.config, console.limits

    def login_form(status: int = 200, message: str | None = None, login: str = "") -> str:
        return render("login.html", status=status, title="Sign in", message=message,
                      login=login, login_csrf_token=csrf.login_token())

    @console.public("GET", LOGIN_PATH)
    def console_login_form():
        actor = session.visit().actor
        if actor is not None and actor.is_admin:
            see_other(HOME)
        return login_form()

    def locked_out(exc: TooManyRequests, login: str) -> str:
        for name, value in exc.headers.items():
            response.set_header(name, value)
        return login_form(429, "Too many sign-in attempts: try again later.", login)

    @console.public("POST", LOGIN_PATH)
    def console_login():
        login = form_text("login")[:254]
        try:
            limits.hit("login", request.environ.get("janus.client_ip"))
        except TooManyRequests as exc:
            return locked_out(exc, login)
        csrf.require_login_token()  # 403 page
        try:
            body = convert({"login": login, "password": form_text("password")}, LoginIn)
            actor, issued = console_sessions.sign_in(body.login, body.password,
                                                     request_client(), config)
        except TooManyRequests as exc:
            return locked_out(exc, login)
        except ValidationError:
            return login_form(422, "Enter your email or username, and your password.", login)
        except Unauthorized:
            return login_form(401, "Wrong email, username or password.", login)
        except EmailNotVerified:
            return login_form(403, "Confirm your email address first, with the link mailed "
                                   "to it.", login)
        except Forbidden:
            raise Forbidden("The console is for admins only; "
                            "your account can use the API.") from None
        session.set_cookie(session.SESSION_COOKIE, issued.plain,
                           max_age=config.console_session_seconds)
        session.clear_cookie(session.LOGIN_COOKIE)
        session.signed_in(actor, issued.plain)
        if not password_policy.meets_admin_rule(actor.user.password_rule):
            # An admin from before the policy (or a demo account): the level
            # stays, but they should know (janus-admin list-admins shows it).
            session.flash(f"Your password does not meet the admin password rule (at least "
                          f"{password_policy.ADMIN.min_length} characters, hard to guess): set a "
                          "new one with POST /auth/password.", "error")
        see_other(HOME)

    @console.action("/console/logout", level="moderator")
    def console_logout(actor):
        console_sessions.sign_out(session.visit().secret, actor)
        session.clear_cookie(session.SESSION_COOKIE)
        see_other(LOGIN_PATH)
