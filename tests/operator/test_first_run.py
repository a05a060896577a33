"""The issue's "Done when": a fresh database without demo seeds, migrated;
``python -m janus.operator create-superadmin`` in a real process; then that
superadmin logs in over HTTP and uses an admin-only route."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import webtest

from janus.config import Config
from janus.paths import PROJECT_ROOT
from janus.web.app import create_app
from tests.operator.conftest import CHEAP_ARGON2, STRONG


def _janus_admin(url: str, *args, stdin: str | None = None, **env):
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("JANUS_")}
    environ.update({"DATABASE_URL": url, **CHEAP_ARGON2, **env})
    return subprocess.run([sys.executable, "-m", "janus.operator", *args], input=stdin,
                          capture_output=True, text=True, env=environ, cwd=PROJECT_ROOT,
                          timeout=120)


BIN = Path(sys.executable).parent
# The two ways to migrate (docs/migrations.md): pw_migrate from the repository root (the
# issue's "Done when"), janus-migrate from anywhere (here, an empty directory).
MIGRATE = {"pw_migrate from the root": ([BIN / "pw_migrate", "migrate"], PROJECT_ROOT),
           "janus-migrate elsewhere": ([BIN / "janus-migrate"], None)}


@pytest.mark.parametrize("how", MIGRATE)
def test_migrate_create_superadmin_then_log_in_and_administer(db_factory, tmp_path, how):
    url = db_factory.new_url()
    command, cwd = MIGRATE[how]
    environ = {key: value for key, value in os.environ.items() if not key.startswith("JANUS_")}
    migrated = subprocess.run(command, cwd=cwd or tmp_path, env={**environ, "DATABASE_URL": url},
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert "001_initial" in migrated.stdout
    done = _janus_admin(url, "create-superadmin", "ops@example.com", "--password-stdin",
                        stdin=STRONG + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created superadmin ops@example.com")
    assert done.stderr == ""
    config = Config.from_env(env={"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(tmp_path),
                                  "JANUS_DATA_DIR": str(tmp_path / "data"),
                                  "JANUS_LOG_LEVEL": "WARNING", **CHEAP_ARGON2})
    client = webtest.TestApp(create_app(config))
    wrong = client.post_json("/auth/login", {"login": "ops@example.com", "password": "nope"},
                             status="*")
    assert wrong.status_int == 401
    login = client.post_json("/auth/login", {"login": "ops@example.com", "password": STRONG})
    headers = {"Authorization": f"Bearer {login.json['token']}"}
    admins = client.get("/admins", headers=headers)
    assert [(a["email"], a["admin_level"]) for a in admins.json["items"]] == \
        [("ops@example.com", "superadmin")]
    logs = client.get("/logs?action=user.created", headers=headers, status="*")
    assert logs.status_int == 200


def test_a_failure_in_a_real_process_is_one_line(db_factory):
    url = db_factory.new_url()  # never migrated
    done = _janus_admin(url, "list-admins")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("janus-admin: ") and "Traceback" not in done.stderr
