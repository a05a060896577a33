"""janus-admin bootstrap: the first superadmin from the environment."""
from __future__ import annotations

import pytest

from janus.models import Admin, User
from janus.passwords import verify_password
from tests.helpers import set_admin_level
from tests.operator.conftest import STRONG, assert_failed, assert_from_cli, audit_rows

FIRST = {"JANUS_FIRST_SUPERADMIN_EMAIL": "first@example.com",
         "JANUS_FIRST_SUPERADMIN_PASSWORD": STRONG}


def test_creates_the_first_superadmin(run):
    result = run("bootstrap", **FIRST)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("bootstrap: created superadmin first@example.com")
    user = User.get(User.email == "first@example.com")
    assert verify_password(user.password_hash, STRONG)
    assert Admin.get(Admin.user == user.id).admin_level == "superadmin"
    assert_from_cli(audit_rows("user.created")[0])
    # a second run: a superadmin exists
    again = run("bootstrap", **FIRST)
    assert again.exit_code == 0
    assert "a superadmin exists (first@example.com); nothing done" in again.stdout
    assert User.select().count() == 1


def test_does_nothing_when_a_superadmin_exists(run, user):
    set_admin_level(user, "superadmin")
    result = run("bootstrap", **FIRST)
    assert result.exit_code == 0, result.stderr
    assert "a superadmin exists (carol@example.com); nothing done" in result.stdout
    assert not User.select().where(User.email == "first@example.com").exists()


def test_does_nothing_when_unset(run):
    result = run("bootstrap")
    assert result.exit_code == 0
    assert "JANUS_FIRST_SUPERADMIN_EMAIL is not set; nothing to do" in result.stdout
    assert User.select().count() == 0


@pytest.mark.parametrize("missing", sorted(FIRST))
def test_one_variable_alone_fails(run, missing):
    env = {key: value for key, value in FIRST.items() if key != missing}
    assert_failed(run("bootstrap", **env), "set both JANUS_FIRST_SUPERADMIN_EMAIL")


@pytest.mark.parametrize("password, message", [("janus-superadmin", "demo account"),
                                               ("changeme", "at least 15"),
                                               ("changemeplease1234", "too easy to guess"),
                                               ("ops-ops-ops-ops-1", "too easy to guess")])
def test_refuses_weak_or_default_passwords(run, password, message):
    result = run("bootstrap", **{**FIRST, "JANUS_FIRST_SUPERADMIN_PASSWORD": password})
    assert_failed(result, message)
    assert User.select().count() == 0
