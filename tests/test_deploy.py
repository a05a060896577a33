"""The shipped deployment files (docs/deploy/) are true: every command the
systemd unit runs is one of the package's console scripts or a system binary,
every variable it sets is documented once in docs/configuration.md and
accepted by Config, the nginx example sends to the unit's JANUS_BIND from an
address the unit trusts, and docs/deployment.md shows both files as they are."""
from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path

import pytest

from janus.config import Config
from tests.helpers import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "docs/deploy"
UNIT = DEPLOY / "janus.service"
NGINX = DEPLOY / "nginx.conf"
# Binaries a unit may name that are not Janus's: where Debian puts them.
SYSTEM_BINARIES = {"/bin/kill", "/usr/bin/kill"}
EXEC_KEYS = ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop",
             "ExecStopPost")


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values, in order]}}: systemd's syntax, where a key
    may repeat (configparser would keep only the last Environment=)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if match := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(match[1], {})
            continue
        key, sep, value = line.partition("=")
        assert current is not None and sep and re.fullmatch(r"[A-Za-z]+", key), \
            f"{UNIT.name}:{number}: not a key=value line in a section: {raw!r}"
        current.setdefault(key, []).append(value)
    return sections


@pytest.fixture(scope="module")
def unit():
    return parse_unit(UNIT.read_text())


def console_scripts() -> set[str]:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return set(pyproject["project"]["scripts"])


def documented_variables() -> list[str]:
    text = (PROJECT_ROOT / "docs/configuration.md").read_text()
    return re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", text, re.M)


def unit_environment(unit) -> dict[str, str]:
    env = {}
    for assignment in unit["Service"].get("Environment", []):
        name, sep, value = assignment.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), assignment
        assert name not in env, f"{name} set twice"
        env[name] = value
    return env


def test_every_command_is_a_console_script_or_a_system_binary(unit):
    scripts = console_scripts()
    commands = [value for key in EXEC_KEYS for value in unit["Service"].get(key, [])]
    assert unit["Service"]["ExecStart"] and unit["Service"]["ExecStartPre"]
    folders = set()
    for command in commands:
        program = command.lstrip("-@+!:").split()[0]  # systemd's prefixes, then argv[0]
        assert program.startswith("/"), f"{command!r}: systemd wants an absolute path"
        if program in SYSTEM_BINARIES:
            continue
        path = Path(program)
        assert path.name in scripts, f"{program} is not in pyproject.toml [project.scripts]"
        folders.add(path.parent)
    assert len(folders) == 1, f"the Janus commands come from one virtualenv: {folders}"
    # migrate, then serve
    assert Path(unit["Service"]["ExecStartPre"][0]).name == "janus-migrate"
    assert Path(unit["Service"]["ExecStart"][0].split()[0]).name == "janus-serve"


def test_every_variable_is_documented_once_and_accepted(unit):
    documented = documented_variables()
    env = unit_environment(unit)
    assert env
    for name in env:
        assert documented.count(name) == 1, f"{name}: documented {documented.count(name)} times"
    config = Config.from_env(env=env)  # raises ConfigError on a bad value
    assert str(config.data_dir) == unit["Service"]["WorkingDirectory"][0]
    assert config.public_url and config.public_url.startswith("https://")
    assert config.cookie_secure  # behind TLS


def test_nginx_sends_to_the_bind_address_from_a_trusted_proxy(unit):
    text = NGINX.read_text()
    config = Config.from_env(env=unit_environment(unit))
    env = unit_environment(unit)
    (upstream,) = re.findall(r"^\s*server (\S+);", text, re.M)
    assert upstream == env["JANUS_BIND"]
    host = ipaddress.ip_address(upstream.rpartition(":")[0])
    trusted = [ipaddress.ip_network(item, strict=False) for item in config.trusted_proxies]
    assert any(host in network for network in trusted), "nginx's address is not trusted"
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", text)
    (server_name,) = re.findall(r"^\s*server_name (\S+);", text, re.M)
    assert config.public_url == f"https://{server_name}"
    (body,) = re.findall(r"client_max_body_size (\d+)m;", text)
    assert int(body) * 1024 * 1024 > config.max_upload_bytes


@pytest.mark.parametrize("shipped, language", [(UNIT, "ini"), (NGINX, "nginx")])
def test_the_deployment_page_shows_each_file_as_shipped(shipped, language):
    page = (PROJECT_ROOT / "docs/deployment.md").read_text()
    blocks = re.findall(rf"```{language}\n(.*?)```", page, re.S)
    assert shipped.read_text() in blocks, f"docs/deployment.md lacks {shipped.name} as shipped"
    assert f"deploy/{shipped.name}" in page  # and links to it
