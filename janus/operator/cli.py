"""``janus-admin`` / ``python -m janus.operator``: click commands over the
domain services. Every failure is one line on stderr and exit status 1
(2: a usage error, click's own); never a traceback."""
from __future__ import annotations

import os
import re
import sys

import click
import msgspec

from janus import password_policy
from janus.config import Config, ConfigError
from janus.errors import JanusError
from janus.models import Admin, User
from janus.operator import mail as mail_commands
from janus.operator.session import CommandError, session, system_actor
from janus.schemas.users import UserCreateIn, UserPatchIn
from janus.schemas.validation import decode_json
from janus.services import accounts, admins, lockout
from janus.usernames import DATA_VERSION

PASSWORD_ENV = "JANUS_ADMIN_PASSWORD"
FIRST_EMAIL_ENV = "JANUS_FIRST_SUPERADMIN_EMAIL"
FIRST_PASSWORD_ENV = "JANUS_FIRST_SUPERADMIN_PASSWORD"


def _config() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def _username_for(email: str) -> str:
    name = re.sub(r"[^\w.-]", "", email.split("@", 1)[0])[:64]
    return name or "superadmin"


def read_password(from_stdin: bool) -> str:
    """From stdin (one line), else JANUS_ADMIN_PASSWORD, else a prompt typed twice."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise CommandError("--password-stdin: no password on standard input")
        return password
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not interactive():
        raise CommandError(f"no password: no terminal to ask on; use --password-stdin "
                           f"or {PASSWORD_ENV}")
    try:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    except click.Abort:
        raise CommandError("no password: the prompt was aborted") from None


def interactive() -> bool:
    """Is there a terminal to prompt on? (The tests say yes under CliRunner.)"""
    return sys.stdin.isatty()


def _create_superadmin(actor, email: str, username: str | None, password_source) -> str:
    """Create the superadmin, or make an existing account one (its password
    and everything else left as they are: refused unless that password met
    the admin rule). Returns what was done."""
    email = email.strip().lower()
    existing = User.get_or_none(User.email == email)
    if existing is not None:
        if admins.level_of(existing) == "superadmin":
            return f"{email} is already a superadmin; nothing changed"
        if not password_policy.meets_admin_rule(existing.password_rule):
            raise CommandError(
                f"{email}'s password was not checked against the admin rule "
                f"({password_policy.ADMIN.min_length}+ characters, hard to guess): set a new "
                f"one first (janus-admin set-password {email}), then run create-superadmin again")
        admins.grant(actor, existing, "superadmin")
        return f"granted superadmin to existing user {email} (id {existing.id})"
    username = username or _username_for(email)
    password = password_source()
    # The policy's own message first (the body's length check says less).
    password_policy.require(password, email=email, username=username, admin=True)
    body = UserCreateIn(email=email, username=username, password=password,
                        role="admin", admin_level="superadmin")
    user = accounts.create_user(actor, _validated(body))
    return f"created superadmin {user.email} (id {user.id}, username {user.username})"


def _validated(body):
    """Through the API's own validation (the body a POST /users would be)."""
    return decode_json(msgspec.json.encode(body), type(body))


def run(action) -> None:
    """Run ``action(actor)`` in a session; print its result; map failures."""
    try:
        with session(_config()):
            message = action(system_actor())
    except CommandError as exc:
        _fail(str(exc))
    except JanusError as exc:
        _fail(exc.message)
    if message:
        click.echo(message)


def _fail(message: str) -> None:
    click.echo("janus-admin: " + message.replace("\r", "\\r").replace("\n", "\\n"), err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Janus operator commands (DATABASE_URL picks the database)."""


@cli.command("create-superadmin")
@click.argument("email")
@click.option("--username", help="default: the email's local part")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
def create_superadmin(email, username, password_stdin):
    """Create a superadmin, or grant superadmin to an existing account."""
    run(lambda actor: _create_superadmin(actor, email, username,
                                         lambda: read_password(password_stdin)))


@cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
def set_password(email, password_stdin):
    """Set a user's password; their tokens are revoked."""
    def action(actor):
        user = accounts.by_email(email)
        # Checked where it is hashed: the admin rule for an admin.
        revoked = accounts.set_password(actor, user.id, read_password(password_stdin))
        rule = User.get_by_id(user.id).password_rule
        return f"password set for {user.email} (meets the {rule} rule); {revoked} token(s) revoked"
    run(action)


@cli.command()
@click.argument("email")
def unlock(email):
    """Clear a login lockout (by account and every address)."""
    def action(actor):
        user = accounts.by_email(email)
        lockout.clear(actor, user)
        return f"lockout cleared for {user.email}"
    run(action)


@cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email):
    """Revoke every token of a user."""
    def action(actor):
        user = accounts.by_email(email)
        return f"{accounts.revoke_user_tokens(actor, user.id)} token(s) revoked for {user.email}"
    run(action)


def _set_active(email: str, active: bool) -> None:
    def action(actor):
        user = accounts.by_email(email)
        if user.is_active == active:
            return f"{user.email} is already {'active' if active else 'deactivated'}"
        accounts.set_active(actor, user.id, active)
        return f"{user.email} {'activated' if active else 'deactivated (tokens revoked)'}"
    run(action)


@cli.command()
@click.argument("email")
def deactivate(email):
    """Deactivate an account (its tokens are revoked)."""
    _set_active(email, False)


@cli.command()
@click.argument("email")
def activate(email):
    """Activate an account again."""
    _set_active(email, True)


PASSWORD_STATES = {"admin": "password: admin rule",
                   "user": "password: user rule only (set a new one)",
                   "unchecked": "password: unchecked (set a new one)"}


@cli.command("list-admins")
def list_admins():
    """Every admin: level, email, username, active, whose password met the admin rule."""
    def action(actor):
        rows = (Admin.select(Admin, User).join(User, on=(Admin.user == User.id))
                .order_by(Admin.admin_level.desc(), User.email))
        lines = [f"{row.admin_level}\t{row.user.email}\t{row.user.username}\t"
                 f"{'active' if row.user.is_active else 'deactivated'}\t"
                 f"{PASSWORD_STATES[row.user.password_rule]}" for row in rows]
        return "\n".join(lines) if lines else "no admins"
    run(action)


@cli.command()
@click.argument("email")
@click.argument("username")
def rename(email, username):
    """Give a user a new username (as PATCH /users/{id} does)."""
    def action(actor):
        user = accounts.by_email(email)
        body = _validated(UserPatchIn(username=username))
        renamed = accounts.rename(actor, user.id, body.username)
        return f"{renamed.email} is now {renamed.username!r} (was {user.username!r})"
    run(action)


def _clash_lines(groups) -> list[str]:
    lines = []
    for holder, waiting in groups:
        names = ", ".join(f"{u.username!r} ({u.email})" for u in waiting)
        if holder is None:
            lines.append(f"no longer taken: {names}: run janus-admin rekey-usernames")
        else:
            lines.append(f"{holder.username!r} ({holder.email}) is taken; these look like it "
                         f"and cannot log in by username until renamed: {names}")
    return lines


@cli.command("username-clashes")
def username_clashes():
    """Usernames that look like an older one (found by migration 008 or
    rekey-usernames): each waits for janus-admin rename."""
    def action(actor):
        lines = _clash_lines(accounts.clashing_usernames())
        if lines:
            lines.append("rename each with: janus-admin rename EMAIL NEW_USERNAME")
        stale = accounts.stale_username_forms()
        if stale:
            lines.append(f"{stale} stored canonical form(s) differ from this ICU's "
                         f"({DATA_VERSION}): run janus-admin rekey-usernames")
        return "\n".join(lines) if lines else "no username clashes"
    run(action)


@cli.command("rekey-usernames")
def rekey_usernames():
    """Recompute every username's canonical form with this ICU (after an
    upgrade that changed its confusables data)."""
    def action(actor):
        changed, _ = accounts.rekey_usernames()
        lines = [f"{changed} canonical form(s) recomputed ({DATA_VERSION})",
                 *_clash_lines(accounts.clashing_usernames())]
        return "\n".join(lines)
    run(action)


@cli.command()
def bootstrap():
    """Create the first superadmin from JANUS_FIRST_SUPERADMIN_EMAIL and
    JANUS_FIRST_SUPERADMIN_PASSWORD when no superadmin exists."""
    from janus.operator.bootstrap import bootstrap as run_bootstrap
    email, password = os.environ.get(FIRST_EMAIL_ENV), os.environ.get(FIRST_PASSWORD_ENV)
    if not email and not password:
        click.echo(f"bootstrap: {FIRST_EMAIL_ENV} is not set; nothing to do")
        return
    if not (email and password):
        _fail(f"bootstrap: set both {FIRST_EMAIL_ENV} and {FIRST_PASSWORD_ENV}, or neither")
    run(lambda actor: run_bootstrap(actor, email, password, _create_superadmin))


# Command groups kept in modules of their own.
cli.add_command(mail_commands.group(run, _fail), "mail")


def main() -> None:
    cli(prog_name="janus-admin")
