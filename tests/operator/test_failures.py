"""Failures the database causes: one line on stderr, exit status 1."""
from __future__ import annotations

import pytest

from tests.operator.conftest import assert_failed


@pytest.mark.parametrize("command", [["list-admins"], ["unlock", "a@example.com"]])
def test_an_unmigrated_database(run, db_factory, backend, command):
    url = db_factory.new_url()
    message = "does not exist; create it with: janus-migrate" if backend == "sqlite" \
        else "database is not migrated (pending: 001_initial"
    assert_failed(run(*command, DATABASE_URL=url), message)


def test_an_unreachable_database(run):
    url = "postgresql://postgres@127.0.0.1:9/janus"
    result = run("list-admins", DATABASE_URL=url)
    assert_failed(result, "cannot connect to " + url)
    assert result.stderr.startswith("janus-admin: cannot connect to ")


def test_a_bad_setting(run):
    assert_failed(run("list-admins", JANUS_ARGON2_TIME_COST="zero"),
                  "JANUS_ARGON2_TIME_COST must be an integer")
