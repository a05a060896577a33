"""JANUS_SECRET_KEY (janus.secret_key): checked once at start-up, and when
unset generated once into <JANUS_DATA_DIR>/secret_key, mode 0600, by
whichever of several starting processes gets there first; the others read
the same key."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from janus import secret_key
from janus.config import Config, ConfigError
from tests.helpers import PROJECT_ROOT

GOOD = "x" * secret_key.MIN_LENGTH


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask_022():
    os.umask(0o022)


def test_a_set_key_is_used_as_it_is_and_stays_out_of_repr(tmp_path):
    config = Config.from_env(env={"JANUS_SECRET_KEY": f"  {GOOD}\n",
                                  "JANUS_DATA_DIR": str(tmp_path)})
    assert config.secret_key == GOOD.encode()
    assert GOOD not in repr(config)
    assert secret_key.resolve(config.secret_key, config.data_dir) == (GOOD.encode(), None)
    assert list(tmp_path.iterdir()) == []  # nothing generated


@pytest.mark.parametrize("raw", ["short", "x" * (secret_key.MIN_LENGTH - 1),
                                 " " * 40 + "tooshort"])
def test_a_short_key_is_one_config_error(raw):
    with pytest.raises(ConfigError, match=f"^JANUS_SECRET_KEY must be at least "
                                          f"{secret_key.MIN_LENGTH} characters") as caught:
        Config.from_env(env={"JANUS_SECRET_KEY": raw})
    assert "\n" not in str(caught.value) and raw.strip() not in str(caught.value)


def test_unset_the_key_is_generated_once_0600_and_reused(tmp_path):
    data = tmp_path / "data"  # not there yet
    old = os.umask(0o022)
    try:
        key, path = secret_key.resolve(None, data)
    finally:
        os.umask(old)
    assert path == data / secret_key.FILE_NAME
    assert _mode(path) == 0o600
    assert len(key) >= 64
    before = path.stat()
    assert secret_key.resolve(None, data) == (key, path)
    assert path.stat().st_ino == before.st_ino and path.read_bytes().strip() == key
    assert sorted(p.name for p in data.iterdir()) == [secret_key.FILE_NAME]


SPAWN = """
import sys, time
from pathlib import Path
from janus import secret_key
start = float(sys.argv[2])
while time.time() < start:
    pass
print(secret_key.resolve(None, Path(sys.argv[1]))[0].decode())
"""


def test_processes_starting_together_agree_on_one_key(tmp_path):
    start = time.time() + 2  # every process spins until then, then races
    procs = [subprocess.Popen([sys.executable, "-c", SPAWN, str(tmp_path), str(start)],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, preexec_fn=_umask_022) for _ in range(8)]
    results = [proc.communicate(timeout=60) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), results
    keys = {out.strip() for out, _err in results}
    assert len(keys) == 1
    path = tmp_path / secret_key.FILE_NAME
    assert path.read_text().strip() == keys.pop() and _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [secret_key.FILE_NAME]  # no candidate left


@pytest.mark.parametrize("problem", ["open to others", "too short", "not a folder"])
def test_an_unusable_key_file_is_one_line(tmp_path, problem):
    data = tmp_path / "data"
    data.mkdir()
    path = data / secret_key.FILE_NAME
    if problem == "open to others":
        path.write_text(GOOD)
        path.chmod(0o644)
        needle = "chmod 600"
    elif problem == "too short":
        path.write_text("short")
        path.chmod(0o600)
        needle = f"{path} must be at least"
    else:
        data.rmdir()
        data.write_text("a file where the data folder should be")
        needle = "JANUS_SECRET_KEY is not set and"
    with pytest.raises(secret_key.SecretKeyError) as caught:
        secret_key.resolve(None, data)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def _load_gunicorn_conf(given, tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "JANUS_SECRET_KEY")}
    env.update(JANUS_DATA_DIR=str(tmp_path), **given)
    load = "import runpy; runpy.run_path('gunicorn.conf.py')"  # what gunicorn does first
    return subprocess.run([sys.executable, "-c", load], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60, preexec_fn=_umask_022)


def test_gunicorn_refuses_a_short_key_with_one_line(tmp_path):
    proc = _load_gunicorn_conf({"JANUS_SECRET_KEY": "too short"}, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("janus: JANUS_SECRET_KEY must be at least")
    assert not (tmp_path / secret_key.FILE_NAME).exists()


def test_gunicorn_generates_the_key_before_any_worker(tmp_path):
    proc = _load_gunicorn_conf({}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _mode(tmp_path / secret_key.FILE_NAME) == 0o600
