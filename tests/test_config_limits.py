"""janus.config: the lockout and rate-limit settings."""
from __future__ import annotations

import pytest

from janus.config import Config, ConfigError


def test_defaults():
    config = Config.from_env(env={})
    assert (config.lockout_threshold, config.lockout_account_threshold) == (5, 20)
    assert config.rate_limit_storage == "sqlite://"
    assert (config.rate_limit_login, config.rate_limit_register, config.rate_limit_upload,
            config.rate_limit_analysis) == ("10/minute", "10/hour", "60/minute", "20/minute")
    assert config.decode_concurrency == 1
    assert (config.rate_limit_export, config.export_concurrency) == ("10/minute", 2)


def test_values_are_read():
    config = Config.from_env(env={
        "JANUS_LOCKOUT_ACCOUNT_THRESHOLD": "50",
        "JANUS_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/2",
        "JANUS_RATE_LIMIT_LOGIN": " 5/minute;50/hour ",
        "JANUS_RATE_LIMIT_REGISTER": "",  # off
        "JANUS_RATE_LIMIT_UPLOAD": "100 per hour",
        "JANUS_RATE_LIMIT_ANALYSIS": "3/minute",
        "JANUS_DECODE_CONCURRENCY": "3",
        "JANUS_RATE_LIMIT_EXPORT": "",  # off
        "JANUS_EXPORT_CONCURRENCY": "5"})
    assert config.lockout_account_threshold == 50
    assert config.rate_limit_storage == "redis://127.0.0.1:6379/2"
    assert config.rate_limit_login == "5/minute;50/hour"
    assert config.rate_limit_register == ""
    assert config.rate_limit_upload == "100 per hour"
    assert (config.rate_limit_analysis, config.decode_concurrency) == ("3/minute", 3)
    assert (config.rate_limit_export, config.export_concurrency) == ("", 5)


def test_an_empty_storage_is_the_default():
    assert Config.from_env(env={"JANUS_RATE_LIMIT_STORAGE": ""}).rate_limit_storage == \
        "sqlite://"


@pytest.mark.parametrize("env, message", [
    ({"JANUS_LOCKOUT_ACCOUNT_THRESHOLD": "0"},
     "JANUS_LOCKOUT_ACCOUNT_THRESHOLD must be >= 1, got 0"),
    ({"JANUS_RATE_LIMIT_LOGIN": "lots"},
     "JANUS_RATE_LIMIT_LOGIN must be a rate such as 10/minute or 10/minute;100/hour, "
     "got 'lots'"),
    ({"JANUS_RATE_LIMIT_UPLOAD": "10/fortnight"},
     "JANUS_RATE_LIMIT_UPLOAD must be a rate such as 10/minute or 10/minute;100/hour, "
     "got '10/fortnight'"),
    ({"JANUS_RATE_LIMIT_STORAGE": "memcached://127.0.0.1:11211"},
     "JANUS_RATE_LIMIT_STORAGE must be sqlite://, memory:// or a redis:// URL, "
     "got 'memcached://127.0.0.1:11211'"),
    ({"JANUS_RATE_LIMIT_ANALYSIS": "often"},
     "JANUS_RATE_LIMIT_ANALYSIS must be a rate such as 10/minute or 10/minute;100/hour, "
     "got 'often'"),
    ({"JANUS_DECODE_CONCURRENCY": "0"}, "JANUS_DECODE_CONCURRENCY must be >= 1, got 0"),
    ({"JANUS_RATE_LIMIT_EXPORT": "whenever"},
     "JANUS_RATE_LIMIT_EXPORT must be a rate such as 10/minute or 10/minute;100/hour, "
     "got 'whenever'"),
    ({"JANUS_EXPORT_CONCURRENCY": "0"}, "JANUS_EXPORT_CONCURRENCY must be >= 1, got 0"),
    ({"JANUS_RATE_LIMIT_STORAGE": "redis"},
     "JANUS_RATE_LIMIT_STORAGE must be sqlite://, memory:// or a redis:// URL, got 'redis'"),
])
def test_unusable_values_are_config_errors(env, message):
    with pytest.raises(ConfigError) as info:
        Config.from_env(env=env)
    assert str(info.value) == message
