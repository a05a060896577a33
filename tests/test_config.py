"""janus.config: an unset (or empty) variable gives the field's declared default."""
from __future__ import annotations

import dataclasses

import pytest

from janus.config import Config, ConfigError, default_database_url


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
