"""create-superadmin: where the password comes from, what it writes, and
the passwords it refuses."""
from __future__ import annotations

import pytest

from janus.models import Admin, User
from janus.password_policy import ADMIN
from janus.passwords import verify_password
from janus.repos.users import users
from janus.services.admins import level_of
from tests.operator.conftest import (
    STRONG,
    assert_event_from_cli,
    assert_failed,
    assert_from_cli,
    audit_rows,
    security_rows,
)


@pytest.fixture
def terminal(monkeypatch):
    """CliRunner's stdin is no terminal; say it is, so the prompt asks."""
    monkeypatch.setattr("janus.operator.cli.interactive", lambda: True)


@pytest.mark.parametrize("source", ["env", "stdin", "prompt"])
def test_creates_a_superadmin_with_the_password_from(run, terminal, source):
    args, env, stdin = ["create-superadmin", "Root@Example.com"], {}, None
    if source == "env":
        env = {"JANUS_ADMIN_PASSWORD": STRONG}
    elif source == "stdin":
        args.append("--password-stdin")
        stdin = STRONG + "\n"
    else:
        stdin = f"{STRONG}\n{STRONG}\n"
    result = run(*args, input=stdin, **env)
    assert result.exit_code == 0, result.stderr
    assert "created superadmin root@example.com" in result.stdout
    user = User.get(User.email == "root@example.com")
    assert user.username == "root" and user.role == "admin"
    assert user.email_verified_at is not None  # an operator's account counts as verified
    assert level_of(user) == "superadmin"
    assert verify_password(user.password_hash, STRONG)
    assert Admin.get(Admin.user == user.id).granted_by_id is None
    created, granted = audit_rows("user.created"), audit_rows("admin.granted")
    assert len(created) == 1 and len(granted) == 1
    for log in created + granted:
        assert_from_cli(log)
    [event] = security_rows("admin_granted")
    assert event.user_id == user.id
    assert_event_from_cli(event)


def test_the_prompt_asks_twice_and_refuses_a_mismatch(run, terminal):
    result = run("create-superadmin", "root@example.com",
                 input=f"{STRONG}\n{STRONG}x\n{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.stderr
    assert "do not match" in result.output
    assert verify_password(User.get(User.email == "root@example.com").password_hash, STRONG)


def test_a_username_can_be_given(run):
    result = run("create-superadmin", "root@example.com", "--username", "ops.root",
                 JANUS_ADMIN_PASSWORD=STRONG)
    assert result.exit_code == 0, result.stderr
    assert User.get(User.email == "root@example.com").username == "ops.root"


def test_an_existing_account_is_granted_superadmin_and_nothing_else(run, user):
    before = user.password_hash
    result = run("create-superadmin", "carol@example.com", JANUS_ADMIN_PASSWORD=STRONG)
    assert result.exit_code == 0, result.stderr
    assert "granted superadmin to existing user carol@example.com" in result.stdout
    fresh = User.get_by_id(user.id)
    assert level_of(fresh) == "superadmin"
    assert fresh.password_hash == before and fresh.username == "carol"
    assert_from_cli(audit_rows("admin.granted")[0])
    assert audit_rows("user.created") == []
    again = run("create-superadmin", "carol@example.com")
    assert again.exit_code == 0 and "already a superadmin" in again.stdout
    assert len(audit_rows("admin.granted")) == 1


# The weak passwords and more: each refused with the policy's own words.
@pytest.mark.parametrize("password, message", [
    ("password", f"at least {ADMIN.min_length} characters"),
    ("12345678", f"at least {ADMIN.min_length} characters"),
    ("a" * 1025, "at most 1024 characters"),
    ("x7-k2-q9-zz4", f"at least {ADMIN.min_length} characters for an admin account"),
    ("password123456789", "too easy to guess"),
    ("qwerty1234567890", "too easy to guess"),
    ("adminadmin12adminadmin12", "too easy to guess"),
    ("janus-superadmin", "demo account"),
    ("JANUS-SUPERADMIN", "demo account"),
    ("root@example.com", "email or username"),
    ("ops.root.account", "email or username"),
    ("ops.root.account1", "email or username"),
    ("abababababababab", "too easy to guess"),
])
def test_weak_passwords_are_refused(run, password, message):
    result = run("create-superadmin", "root@example.com", "--username", "ops.root.account",
                 JANUS_ADMIN_PASSWORD=password)
    assert_failed(result, message)
    assert "$.password" in result.stderr
    assert User.select().count() == 0 and audit_rows("user.created") == []


def test_an_existing_account_whose_password_is_not_admin_checked_is_not_granted(run, db):
    users.register("dave@example.com", "dave", "compiler-1952")  # the user rule only
    result = run("create-superadmin", "dave@example.com", JANUS_ADMIN_PASSWORD=STRONG)
    assert_failed(result, "janus-admin set-password dave@example.com")
    dave = User.get(User.email == "dave@example.com")
    assert level_of(dave) is None and dave.role == "user"
    assert audit_rows("admin.granted") == []

    # The way past it: a new password that meets the admin rule, then the grant.
    assert run("set-password", "dave@example.com", JANUS_ADMIN_PASSWORD=STRONG).exit_code == 0
    result = run("create-superadmin", "dave@example.com")
    assert result.exit_code == 0, result.stderr
    assert level_of(User.get(User.email == "dave@example.com")) == "superadmin"


def test_an_invalid_email_is_the_api_validation_error(run):
    result = run("create-superadmin", "not-an-email@", JANUS_ADMIN_PASSWORD=STRONG)
    assert_failed(result, "$.email")
    assert User.select().count() == 0


def test_an_empty_stdin_is_refused(run):
    result = run("create-superadmin", "root@example.com", "--password-stdin", input="")
    assert_failed(result, "no password on standard input")
    assert User.select().count() == 0


def test_without_a_terminal_there_is_no_prompt(run):
    result = run("create-superadmin", "root@example.com", input=f"{STRONG}\n{STRONG}\n")
    assert_failed(result, "no terminal to ask on; use --password-stdin or JANUS_ADMIN_PASSWORD")
    assert User.select().count() == 0


def test_an_aborted_prompt_fails_on_one_line(run, terminal):
    assert_failed(run("create-superadmin", "root@example.com", input=""),
                  "the prompt was aborted")
    assert User.select().count() == 0


def test_the_password_is_never_an_argument(run):
    result = run("create-superadmin", "root@example.com", "--password", STRONG)
    assert result.exit_code == 2
    assert User.select().count() == 0
