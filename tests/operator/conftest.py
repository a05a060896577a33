"""The operator CLI under click's CliRunner, on each backend."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from janus.models import Log, SecurityEvent
from janus.operator.cli import cli
from janus.passwords import configure
from janus.repos.users import users

STRONG = "plum-orbit-kettle-47"
OLD_PASSWORD = "tarn-ember-quill-58"  # carol's: it meets the admin rule too
CHEAP_ARGON2 = {"JANUS_ARGON2_TIME_COST": "1", "JANUS_ARGON2_MEMORY_KIB": "8"}


@pytest.fixture
def run(db, database_url):
    """run(*args, input=None, **env) -> click Result, on the test's database."""
    def invoke(*args, input=None, **env):
        environ = {"DATABASE_URL": database_url, "JANUS_ADMIN_PASSWORD": None,
                   "JANUS_FIRST_SUPERADMIN_EMAIL": None,
                   "JANUS_FIRST_SUPERADMIN_PASSWORD": None, **CHEAP_ARGON2}
        environ.update(env)
        result = CliRunner().invoke(cli, list(args), input=input, env=environ)
        configure(1, 8)
        db.connect(reuse_if_open=True)
        return result
    return invoke


@pytest.fixture
def user(db):
    configure(1, 8)
    return users.register("carol@example.com", "carol", OLD_PASSWORD)


def audit_rows(action: str) -> list[Log]:
    return list(Log.select().where(Log.action == action).order_by(Log.id))


def security_rows(action: str) -> list[SecurityEvent]:
    return list(SecurityEvent.select().where(SecurityEvent.action == action)
                .order_by(SecurityEvent.id))


def assert_from_cli(log: Log) -> None:
    assert log.user_id is None
    assert log.log_metadata["via"] == "cli"
    assert log.log_metadata["os_user"] and log.log_metadata["host"]


def assert_event_from_cli(event: SecurityEvent) -> None:
    assert event.ip is None
    assert event.user_agent.startswith("janus-admin (") and "@" in event.user_agent


def assert_failed(result, message: str) -> None:
    """Exit status 1 and one line on stderr holding ``message``, no traceback."""
    assert result.exit_code == 1, (result.output, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output + result.stderr
