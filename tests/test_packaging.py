"""What the wheel declares and shares, without building it (that is
tests/test_wheel_install.py): every package janus imports is a declared
dependency whose range holds requirements.txt's pin; janus-serve and
gunicorn.conf.py take the same settings; the data directory's default."""
from __future__ import annotations

import ast
import importlib.metadata
import os
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from janus import paths, serving
from tests.helpers import PROJECT_ROOT

BIN = Path(sys.executable).parent


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"])}


def locked() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def imported_top_level() -> set[str]:
    """Every top-level module imported by janus and the shipped migrations."""
    found = set()
    sources = [*(PROJECT_ROOT / "janus").rglob("*.py"), *(PROJECT_ROOT / "migrations").glob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"janus"}


def test_every_declared_range_holds_the_locked_version():
    pins = locked()
    for name, requirement in declared().items():
        assert name in pins, f"{name} is declared but not locked in requirements.txt"
        assert requirement.specifier.contains(pins[name]), (name, str(requirement), pins[name])


def test_every_package_janus_imports_is_declared():
    providers = importlib.metadata.packages_distributions()
    names = declared()
    missing = {module: providers.get(module) for module in imported_top_level()
               if not any(canonicalize_name(d) in names for d in providers.get(module, []))}
    assert missing == {}


@pytest.mark.parametrize(("cores", "workers"), [(1, 2), (2, 4), (3, 6), (4, 8), (16, 8)])
def test_default_workers_are_two_per_usable_core_at_most_eight(monkeypatch, cores, workers):
    for name in ("JANUS_WORKERS", "JANUS_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    values = serving.settings()
    assert (values["workers"], values["threads"]) == (workers, 8)


def test_gunicorn_conf_and_janus_serve_take_the_same_settings(monkeypatch):
    monkeypatch.setenv("JANUS_WORKERS", "3")
    monkeypatch.setenv("JANUS_BIND", "127.0.0.1:9123")
    conf = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    values = serving.settings()
    assert {name: conf[name] for name in values} == values
    assert (values["workers"], values["bind"], values["worker_class"]) == (3, "127.0.0.1:9123",
                                                                            "gthread")
    assert values["reuse_port"] is True  # a socket per worker (janus/listeners.py)
    monkeypatch.setenv("JANUS_REUSE_PORT", "false")
    assert serving.settings()["reuse_port"] is False


@pytest.mark.parametrize("args, variables, expected", [
    (["--workers", "4"], {}, "janus-serve: janus-serve takes no arguments"),
    ([], {"JANUS_WORKERS": "many"}, "janus: JANUS_WORKERS must be an integer, got 'many'"),
    ([], {"JANUS_DB_POOL_SIZE": "0"}, "janus: JANUS_DB_POOL_SIZE must be >= 1, got 0"),
    ([], {"JANUS_REUSE_PORT": "maybe"},
     "janus: JANUS_REUSE_PORT must be true or false, got 'maybe'"),
])
def test_janus_serve_stops_on_a_bad_argument_or_setting_in_one_line(tmp_path, args, variables,
                                                                     expected):
    env = {**os.environ, "JANUS_DATA_DIR": str(tmp_path), **variables}
    result = subprocess.run([BIN / "janus-serve", *args], cwd="/", env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(expected), result.stderr


@pytest.mark.parametrize("env, expected", [
    ({"HOME": "/home/op"}, "/home/op/.local/share/janus"),
    ({"HOME": "/home/op", "XDG_DATA_HOME": "/srv/data"}, "/srv/data/janus"),
    ({"HOME": "/home/op", "XDG_DATA_HOME": "relative"}, "/home/op/.local/share/janus"),
])
def test_an_installed_package_keeps_its_data_in_the_platform_data_folder(monkeypatch, env,
                                                                         expected):
    monkeypatch.setenv("HOME", env["HOME"])
    assert paths.platform_data_dir(env) == Path(expected)


def test_a_checkout_keeps_its_data_in_its_instance_folder():
    assert not paths.INSTALLED
    assert paths.default_data_dir({}) == PROJECT_ROOT / "instance"
    assert paths.MIGRATIONS_DIR == PROJECT_ROOT / "migrations"
