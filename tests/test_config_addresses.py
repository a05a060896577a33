"""janus.config: trusted proxies (addresses and networks), known addresses,
and the public URL that redirects and links are built from."""
from __future__ import annotations

import pytest

from janus.config import Config, ConfigError


def test_defaults():
    config = Config.from_env(env={})
    assert (config.trusted_proxies, config.known_address_days, config.public_url) == \
        ((), 30, None)
    assert config.link("/console/login") == "/console/login"  # relative


def test_trusted_proxies_take_addresses_and_networks():
    config = Config.from_env(env={
        "JANUS_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.1 ,fd00::/8,::ffff:10.0.0.1"})
    assert config.trusted_proxies == ("10.0.0.0/8", "192.0.2.1", "fd00::/8", "::ffff:10.0.0.1")


@pytest.mark.parametrize("raw, link", [
    ("https://janus.example", "https://janus.example/console/login"),
    ("https://janus.example/", "https://janus.example/console/login"),
    ("https://example.org/janus/", "https://example.org/janus/console/login"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/console/login"),
    ("https://[2001:db8::1]:8443/a/b", "https://[2001:db8::1]:8443/a/b/console/login"),
    (" https://janus.example ", "https://janus.example/console/login"),
])
def test_links_are_built_from_the_public_url(raw, link):
    assert Config.from_env(env={"JANUS_PUBLIC_URL": raw}).link("/console/login") == link


@pytest.mark.parametrize("raw", [
    "janus.example", "/console", "ftp://janus.example", "https://", "https:///path",
    "https://user:secret@janus.example", "https://janus.example/?next=x",
    "https://janus.example/#top", "https://janus.example:port", "https://janus.example:99999",
    "https://jan us.example", "https://janus.example/a\tb", "https://[::1/",
])
def test_a_malformed_public_url_is_a_config_error_naming_it(raw):
    with pytest.raises(ConfigError) as info:
        Config.from_env(env={"JANUS_PUBLIC_URL": raw})
    message = str(info.value)
    assert message.startswith("JANUS_PUBLIC_URL must be an absolute http(s) URL")
    assert "\n" not in message and message.endswith(f"got {raw.strip()!r}")


@pytest.mark.parametrize("env, message", [
    ({"JANUS_TRUSTED_PROXIES": "10.0.0.0/33"},
     "JANUS_TRUSTED_PROXIES must list addresses or CIDR networks (10.0.0.0/8,::1), "
     "got '10.0.0.0/33'"),
    ({"JANUS_TRUSTED_PROXIES": "10.0.0.1, proxy.example"},
     "JANUS_TRUSTED_PROXIES must list addresses or CIDR networks (10.0.0.0/8,::1), "
     "got 'proxy.example'"),
    ({"JANUS_TRUSTED_PROXIES": "10.0.0.1:8080"},
     "JANUS_TRUSTED_PROXIES must list addresses or CIDR networks (10.0.0.0/8,::1), "
     "got '10.0.0.1:8080'"),
    ({"JANUS_KNOWN_ADDRESS_DAYS": "-1"}, "JANUS_KNOWN_ADDRESS_DAYS must be >= 0, got -1"),
    ({"JANUS_KNOWN_ADDRESS_DAYS": "3651"}, "JANUS_KNOWN_ADDRESS_DAYS must be <= 3650, got 3651"),
    ({"JANUS_KNOWN_ADDRESS_DAYS": "month"},
     "JANUS_KNOWN_ADDRESS_DAYS must be an integer, got 'month'"),
])
def test_unusable_values_are_config_errors(env, message):
    with pytest.raises(ConfigError) as info:
        Config.from_env(env=env)
    assert str(info.value) == message
