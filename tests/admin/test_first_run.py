"""The issue's "Done when": a fresh database without demo seeds, migrated;
``python -m janus.admin create-superadmin`` in a real process; then that
superadmin logs in over HTTP and uses an admin-only route."""
from __future__ import annotations

import os
import subprocess
import sys

import webtest

from janus.config import PROJECT_ROOT, Config
from janus.db import init_database
from janus.web.app import create_app
from tests.admin.conftest import CHEAP_ARGON2, STRONG
from tests.helpers import migrate


def _janus_admin(url: str, *args, stdin: str | None = None, **env):
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("JANUS_")}
    environ.update({"DATABASE_URL": url, **CHEAP_ARGON2, **env})
    return subprocess.run([sys.executable, "-m", "janus.admin", *args], input=stdin,
                          capture_output=True, text=True, env=environ, cwd=PROJECT_ROOT,
                          timeout=120)


def test_migrate_create_superadmin_then_log_in_and_administer(db_factory, tmp_path):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    db.close()
    done = _janus_admin(url, "create-superadmin", "ops@example.com", "--password-stdin",
                        stdin=STRONG + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created superadmin ops@example.com")
    assert done.stderr == ""
    config = Config.from_env(env={"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(tmp_path),
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
