"""set-password, unlock, revoke-tokens, deactivate, activate, list-admins:
each command's effect and its audit and security rows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from janus.access import Client
from janus.config import Config
from janus.errors import TooManyRequests, Unauthorized
from janus.models import AuthToken, User, utcnow
from janus.password_policy import ADMIN
from janus.passwords import verify_password
from janus.services import auth, lockout
from janus.services.auth import issue_token
from tests.helpers import set_admin_level
from tests.operator.conftest import (
    OLD_PASSWORD,
    STRONG,
    assert_event_from_cli,
    assert_failed,
    assert_from_cli,
    audit_rows,
    security_rows,
)

ADDRESS = Client(ip="198.51.100.9", user_agent="test")


def live_tokens(user) -> int:
    return AuthToken.select().where((AuthToken.user == user.id)
                                    & AuthToken.revoked_at.is_null()).count()


def test_set_password_sets_it_and_revokes_every_token(run, user):
    issue_token(user, 3600), issue_token(user, 3600)
    result = run("set-password", "CAROL@example.com", "--password-stdin", input="new-pass-ok\n")
    assert result.exit_code == 0, result.stderr
    assert "2 token(s) revoked" in result.stdout
    assert verify_password(User.get_by_id(user.id).password_hash, "new-pass-ok")
    assert live_tokens(user) == 0
    [log] = audit_rows("user.password_changed")
    assert_from_cli(log)
    assert log.log_metadata["changes"] == {"password": "[redacted]", "revoked_tokens": 2}
    [event] = security_rows("password_reset")
    assert event.user_id == user.id and event.security_metadata["revoked_tokens"] == 2
    assert_event_from_cli(event)


@pytest.mark.parametrize("level", ["moderator", "superadmin"])
def test_set_password_asks_the_admin_rule_of_an_admin(run, user, level):
    set_admin_level(user, level)
    result = run("set-password", "carol@example.com", JANUS_ADMIN_PASSWORD="new-pass-ok")
    assert_failed(result, f"at least {ADMIN.min_length} characters for an admin account")
    assert verify_password(User.get_by_id(user.id).password_hash, OLD_PASSWORD)
    assert audit_rows("user.password_changed") == []
    result = run("set-password", "carol@example.com", JANUS_ADMIN_PASSWORD=STRONG)
    assert result.exit_code == 0 and "meets the admin rule" in result.stdout
    assert User.get_by_id(user.id).password_rule == "admin"


@pytest.mark.parametrize("password", ["password", "12345678", "password123456",
                                      "qwerty1234567", "adminadmin12", "carol-carol"])
def test_set_password_refuses_the_weak_ones(run, user, password):
    result = run("set-password", "carol@example.com", JANUS_ADMIN_PASSWORD=password)
    assert_failed(result, "$.password")
    assert verify_password(User.get_by_id(user.id).password_hash, OLD_PASSWORD)


def _lock_out(user, config, spread: bool = False) -> None:
    """Fail until locked: from ADDRESS, or (``spread``) from many addresses."""
    for n in range(min(config.lockout_threshold, config.lockout_account_threshold)):
        client = Client(ip=f"203.0.113.{n + 1}", user_agent="test") if spread else ADDRESS
        with pytest.raises(Unauthorized):
            auth.login(user.email, "wrong password", client, config)
    with pytest.raises(TooManyRequests):
        auth.login(user.email, OLD_PASSWORD, ADDRESS, config)


@pytest.mark.parametrize("scope", ["address", "account"])
def test_unlock_clears_the_lockout_so_the_count_restarts(run, user, database_url, scope):
    per_address, per_account = (3, 50) if scope == "address" else (50, 3)
    config = Config.from_env({"DATABASE_URL": database_url,
                              "JANUS_LOCKOUT_THRESHOLD": per_address,
                              "JANUS_LOCKOUT_ACCOUNT_THRESHOLD": per_account})
    _lock_out(user, config, spread=scope == "account")
    assert lockout.assess(user.email, ADDRESS.ip, config, utcnow()).scope == scope
    assert lockout.assess(user.email, ADDRESS.ip, config, utcnow()).retry_after is not None
    result = run("unlock", "carol@example.com")
    assert result.exit_code == 0, result.stderr
    assert "lockout cleared for carol@example.com" in result.stdout
    assert lockout.assess(user.email, ADDRESS.ip, config, utcnow()).retry_after is None
    # the count starts again: two failures do not lock, the third does
    for _ in range(2):
        with pytest.raises(Unauthorized):
            auth.login(user.email, "wrong password", ADDRESS, config)
    assert lockout.assess(user.email, ADDRESS.ip, config, utcnow()).retry_after is None
    actor, _ = auth.login(user.email, OLD_PASSWORD, ADDRESS, config)
    assert actor.user.id == user.id
    [event] = security_rows("lockout_cleared")
    assert event.account == "carol@example.com" and event.user_id == user.id
    assert_event_from_cli(event)
    assert_from_cli(audit_rows("user.unlocked")[0])


def test_a_clear_older_than_the_failures_does_not_unlock(db, user, database_url):
    config = Config.from_env({"DATABASE_URL": database_url, "JANUS_LOCKOUT_THRESHOLD": 3})
    from janus.repos.security import security_events
    security_events.record("lockout_cleared", user=user, account=user.email)
    _lock_out(user, config)
    assert lockout.assess(user.email, ADDRESS.ip, config,
                          utcnow() + timedelta(seconds=1)).retry_after is not None


def test_revoke_tokens(run, user):
    issue_token(user, 3600)
    result = run("revoke-tokens", "carol@example.com")
    assert result.exit_code == 0, result.stderr
    assert "1 token(s) revoked" in result.stdout and live_tokens(user) == 0
    assert_from_cli(audit_rows("user.tokens_revoked")[0])
    assert_event_from_cli(security_rows("tokens_revoked")[0])


def test_deactivate_then_activate(run, user):
    issue_token(user, 3600)
    result = run("deactivate", "carol@example.com")
    assert result.exit_code == 0, result.stderr
    assert not User.get_by_id(user.id).is_active and live_tokens(user) == 0
    [log] = audit_rows("user.updated")
    assert_from_cli(log)
    assert log.log_metadata["changes"]["is_active"] == [True, False]
    again = run("deactivate", "carol@example.com")
    assert again.exit_code == 0 and "already deactivated" in again.stdout
    result = run("activate", "carol@example.com")
    assert result.exit_code == 0, result.stderr
    assert User.get_by_id(user.id).is_active
    assert len(audit_rows("user.updated")) == 2


def test_the_last_superadmin_cannot_be_deactivated(run, user):
    set_admin_level(user, "superadmin")
    assert_failed(run("deactivate", "carol@example.com"),
                  "the last superadmin cannot be deactivated")
    assert User.get_by_id(user.id).is_active


def test_list_admins(run, user):
    assert run("list-admins").stdout.strip() == "no admins"
    set_admin_level(user, "moderator")
    result = run("list-admins")
    assert result.exit_code == 0
    assert result.stdout.strip() == ("moderator\tcarol@example.com\tcarol\tactive\t"
                                     "password: admin rule")
    # An admin from before migration 008 (or the seed loader) shows as unchecked.
    User.update(password_rule="unchecked").where(User.id == user.id).execute()
    assert run("list-admins").stdout.strip().endswith("password: unchecked (set a new one)")


@pytest.mark.parametrize("command", ["set-password", "unlock", "revoke-tokens",
                                     "deactivate", "activate"])
def test_an_unknown_email_fails(run, user, command):
    result = run(command, "nobody@example.com", JANUS_ADMIN_PASSWORD=STRONG)
    assert_failed(result, "no user with email 'nobody@example.com'")
