"""JANUS_SMTP_URL, JANUS_MAIL_FROM and the reset settings: parsed once, a
malformed value is one line naming the variable (never the password)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from janus.config import Config, ConfigError
from janus.smtp_url import SmtpSettings
from tests.helpers import PROJECT_ROOT


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example", SmtpSettings("mail.example", 25, False, False)),
    ("smtp://mail.example:587?starttls=true",
     SmtpSettings("mail.example", 587, False, True)),
    ("smtps://ada:p%40ss%3Aw@mail.example",
     SmtpSettings("mail.example", 465, True, False, "ada", "p@ss:w")),
    ("smtp://u:@[::1]:2525?timeout=2.5", SmtpSettings("::1", 2525, False, False, "u", "", 2.5)),
])
def test_smtp_urls(url, expected):
    assert Config.from_env(env={"JANUS_SMTP_URL": url}).smtp == expected


def test_unset_means_the_log():
    assert Config.from_env(env={}).smtp is None
    assert Config.from_env(env={"JANUS_SMTP_URL": " "}).smtp is None


@pytest.mark.parametrize("url", [
    "http://mail.example", "smtp://", "smtp://h:port", "smtp://h/path", "smtp://h?tls=1",
    "smtp://h?starttls=maybe", "smtps://h?starttls=true", "smtp://h?timeout=0",
    "smtp://h?timeout=x", "smtp://user:s3cret-word@h:99999",
])
def test_a_malformed_smtp_url_is_one_error_without_the_password(url):
    with pytest.raises(ConfigError, match="^JANUS_SMTP_URL must be smtp://") as caught:
        Config.from_env(env={"JANUS_SMTP_URL": url})
    assert "\n" not in str(caught.value) and "s3cret" not in str(caught.value)


def test_the_smtp_password_stays_out_of_the_configs_repr():
    config = Config.from_env(env={"JANUS_SMTP_URL": "smtp://ada:s3cret-word@h"})
    assert config.smtp.password == "s3cret-word" and "s3cret" not in repr(config)


@pytest.mark.parametrize("value", ["no-at-sign", "a@b\r\nBcc: x@y", "x" * 251 + "@b.c"])
def test_a_malformed_sender_is_refused(value):
    with pytest.raises(ConfigError, match="^JANUS_MAIL_FROM must be one address"):
        Config.from_env(env={"JANUS_MAIL_FROM": value})


@pytest.mark.parametrize("env", [{"JANUS_RESET_TOKEN_TTL_SECONDS": "59"},
                                 {"JANUS_SET_PASSWORD_TOKEN_TTL_SECONDS": "59"},
                                 {"JANUS_MAIL_MAX_ATTEMPTS": "0"},
                                 {"JANUS_MAIL_SWEEP_SECONDS": "-1"},
                                 {"JANUS_RATE_LIMIT_PASSWORD_RESET_ACCOUNT": "often"}])
def test_unusable_mail_numbers_are_refused(env):
    with pytest.raises(ConfigError, match=f"^{next(iter(env))} must"):
        Config.from_env(env=env)


def _gunicorn_conf(tmp_path, **extra):
    env = {**os.environ, "JANUS_DATA_DIR": str(tmp_path), **extra}
    env.pop("DATABASE_URL", None)
    load = "import runpy; runpy.run_path('gunicorn.conf.py')"  # what gunicorn does first
    return subprocess.run([sys.executable, "-c", load], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_gunicorn_stops_on_a_malformed_smtp_url_with_one_line(tmp_path):
    proc = _gunicorn_conf(tmp_path, JANUS_SMTP_URL="smtp://ada:s3cret-word@h?x=1")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("janus: JANUS_SMTP_URL ")
    assert "s3cret" not in proc.stderr


@pytest.mark.parametrize("smtp_url, said", [("", True), ("smtp://127.0.0.1:2525", False)])
def test_start_up_says_in_one_line_that_mails_go_to_the_log(tmp_path, smtp_url, said):
    env = {**os.environ, "JANUS_DATA_DIR": str(tmp_path), "JANUS_SMTP_URL": smtp_url}
    proc = subprocess.run([sys.executable, "-c", "from janus import serving; "
                           "serving._mail_notice()"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    expected = ("janus: JANUS_SMTP_URL is unset: mails are written to the log "
                "(development only)\n") if said else ""
    assert (proc.returncode, proc.stderr) == (0, expected)
