"""janus.config: an unset (or empty) variable gives the field's declared default."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from janus.config import Config, ConfigError, default_database_url
from tests.helpers import PROJECT_ROOT


def test_unset_variables_give_the_declared_defaults():
    config = Config.from_env(env={})
    assert config.database_url == default_database_url()
    for field in dataclasses.fields(Config):
        if field.name == "database_url":
            continue
        expected = field.default
        if field.name == "data_dir":
            expected = expected.resolve()
        if field.name == "storage_dir":  # beside the data
            expected = config.data_dir / "storage"
        assert getattr(config, field.name) == expected, field.name


def test_empty_variables_give_the_declared_defaults():
    names = ["JANUS_DB_POOL_SIZE", "JANUS_DATA_DIR", "JANUS_STORAGE_DIR", "JANUS_MAX_BODY_BYTES",
             "JANUS_MAX_UPLOAD_BYTES", "JANUS_MAX_IMAGE_PIXELS", "JANUS_TOKEN_TTL_SECONDS",
             "JANUS_LOCKOUT_THRESHOLD", "JANUS_LOCKOUT_WINDOW_SECONDS",
             "JANUS_ALLOW_REGISTRATION", "JANUS_CORS_ORIGINS", "JANUS_TRUSTED_PROXIES",
             "JANUS_LOG_LEVEL", "JANUS_ARGON2_TIME_COST", "JANUS_ARGON2_MEMORY_KIB",
             "JANUS_CONSOLE_SESSION_SECONDS", "JANUS_COOKIE_SECURE", "JANUS_KNOWN_ADDRESS_DAYS",
             "JANUS_PUBLIC_URL"]
    assert Config.from_env(env=dict.fromkeys(names, "")) == Config.from_env(env={})


def test_the_data_directory_holds_the_database_the_store_and_backups(tmp_path):
    config = Config.from_env(env={"JANUS_DATA_DIR": str(tmp_path / "data")})
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'janus.db'}"
    assert config.storage_dir == tmp_path / "data" / "storage"
    assert config.backup_dir == tmp_path / "data" / "backups"
    moved = Config.from_env(env={"JANUS_DATA_DIR": str(tmp_path / "data"),
                                 "JANUS_STORAGE_DIR": str(tmp_path / "files")})
    assert moved.storage_dir == tmp_path / "files"


def test_variables_and_overrides():
    config = Config.from_env({"JANUS_DB_POOL_SIZE": 3},
                             env={"DATABASE_URL": "sqlite:////tmp/x.db",
                                  "JANUS_DB_POOL_SIZE": "2",
                                  "JANUS_CORS_ORIGINS": " https://a.example , ,https://b.example",
                                  "JANUS_ALLOW_REGISTRATION": "off", "JANUS_LOG_LEVEL": "debug"})
    assert config.database_url == "sqlite:////tmp/x.db"
    assert config.db_pool_size == 3
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.allow_registration is False
    assert config.log_level == "DEBUG"


@pytest.mark.parametrize("env, message", [
    ({"JANUS_DB_POOL_SIZE": "0"}, "JANUS_DB_POOL_SIZE must be >= 1, got 0"),
    ({"JANUS_ARGON2_MEMORY_KIB": "7"}, "JANUS_ARGON2_MEMORY_KIB must be >= 8, got 7"),
    ({"JANUS_MAX_BODY_BYTES": "lots"}, "JANUS_MAX_BODY_BYTES must be an integer, got 'lots'"),
    ({"JANUS_ALLOW_REGISTRATION": "maybe"},
     "JANUS_ALLOW_REGISTRATION must be true or false, got 'maybe'"),
    ({"JANUS_CONSOLE_SESSION_SECONDS": "59"},
     "JANUS_CONSOLE_SESSION_SECONDS must be >= 60, got 59"),
    ({"JANUS_COOKIE_SECURE": "tls"}, "JANUS_COOKIE_SECURE must be true or false, got 'tls'"),
])
def test_unusable_values_are_config_errors(env, message):
    with pytest.raises(ConfigError) as info:
        Config.from_env(env=env)
    assert str(info.value) == message


# -- the file store: JANUS_STORAGE_URL and the AWS_* variables -------------------------------
@pytest.mark.parametrize("url", [
    "s3:/bucket", "s3://", "http://bucket/prefix", "S3://Bucket/x", "s3://ab/x",
    "s3://under_score/x", "s3://bucket//x", "s3://bucket/a/../b", "s3://bucket/./b",
    "s3://key:secret@bucket/x", "s3://bucket:9000/x", "s3://bucket/x?region=eu",
    "s3://bucket/x#y", "s3://bucket/sp ace", "s3://bucket/\x00",
])
def test_a_malformed_storage_url_is_one_config_error_naming_it(url):
    with pytest.raises(ConfigError) as info:
        Config.from_env(env={"JANUS_STORAGE_URL": url})
    assert str(info.value).startswith("JANUS_STORAGE_URL ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("url, normal", [
    ("s3://janus-files", "s3://janus-files"),
    ("s3://janus-files/", "s3://janus-files"),
    ("s3://janus.files-1/prod/eu/", "s3://janus.files-1/prod/eu"),
    ("  s3://b12/p  ", "s3://b12/p"),
    ("", None),
])
def test_storage_urls(url, normal):
    assert Config.from_env(env={"JANUS_STORAGE_URL": url}).storage_url == normal


@pytest.mark.parametrize("endpoint", ["127.0.0.1:9000", "ftp://host", "http://", "http://h:x",
                                      "http://user@host", "https://host/?a=1"])
def test_a_malformed_endpoint_is_one_config_error_naming_it(endpoint):
    with pytest.raises(ConfigError, match="^AWS_ENDPOINT_URL must be http"):
        Config.from_env(env={"AWS_ENDPOINT_URL": endpoint})


def test_the_s3_secret_stays_out_of_the_configs_repr():
    config = Config.from_env(env={"JANUS_STORAGE_URL": "s3://bucket/x",
                                  "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                                  "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret"})
    assert config.s3_settings.secret_access_key == "wJalrXUtnFEMI-secret"
    assert "wJalrXUtnFEMI" not in repr(config) and "wJalrXUtnFEMI" not in repr(config.s3_settings)


def test_gunicorn_stops_on_a_malformed_storage_url_with_one_line(tmp_path):
    env = {**os.environ, "JANUS_STORAGE_URL": "s3://Not A Bucket/x",
           "JANUS_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    load = "import runpy; runpy.run_path('gunicorn.conf.py')"  # what gunicorn does first
    proc = subprocess.run([sys.executable, "-c", load], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("janus: JANUS_STORAGE_URL ")
