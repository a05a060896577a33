"""Janus installed as a package and run from ``/``: the wheel built from this
checkout, installed into a fresh virtualenv outside it, then janus-migrate,
the seeds, janus-admin, janus-serve and a bare ``gunicorn janus.wsgi:app``,
with nothing but DATABASE_URL or JANUS_DATA_DIR set, on both backends.
And ``pw_migrate migrate`` from the repository root after ``pip install -r
requirements.txt`` alone (no janus installed). Exactly the commands of
README.md's "Install as a package" and docs/deployment.md."""
from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from janus import serving
from tests import packaging
from tests.helpers import PROJECT_ROOT
from tests.storage import free_port

pytestmark = pytest.mark.gunicorn
MIGRATIONS = sorted(p.stem for p in (PROJECT_ROOT / "migrations").glob("[0-9][0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the wheel, the wheelhouse): built once for the module."""
    work = tmp_path_factory.mktemp("wheel")
    return packaging.build_wheel(work), packaging.wheelhouse()


@pytest.fixture(scope="module")
def venv_bin(built, tmp_path_factory):
    """A fresh virtualenv holding the wheel and what it declares, nothing else."""
    wheel, house = built
    bin_dir = packaging.new_venv(tmp_path_factory.mktemp("venv") / "janus")
    packaging.install_wheel(bin_dir, house, wheel)
    return bin_dir


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def serve(args, env, log: Path) -> str:
    """Start a server from ``/``, wait for GET /health, check what it serves
    from the wheel (the docs' script, the console's stylesheet), stop it
    (SIGTERM, as systemd does) and return its log."""
    port = free_port()
    args = [a.replace("{port}", str(port)) for a in args]
    # TMPDIR: a bare gunicorn's metrics directory lands in this test's folder
    env = {**env, "JANUS_BIND": f"127.0.0.1:{port}", "TMPDIR": str(log.parent)}
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd="/", env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(port, "/health")
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok", body
        for path in ("/docs/static/docs.js", "/console/static/console.css", "/openapi.json"):
            assert _get(port, path)[0] == 200, path
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    return log.read_text()


def test_the_wheel_carries_the_migrations_the_seeds_and_every_static_file(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"janus/_migrations/{p.name}" for p in (PROJECT_ROOT / "migrations").glob("*.py")}
    shipped |= {f"janus/_seeds/{p.relative_to(PROJECT_ROOT / 'seeds')}"
                for p in (PROJECT_ROOT / "seeds").rglob("*") if p.is_file()}
    for folder in ("janus/web/static", "janus/web/console/static",
                   "janus/web/console/templates"):
        shipped |= {str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / folder).iterdir()}
    assert shipped - names == set()
    assert not [n for n in names if n.startswith(("tests/", "bench/", "migrations/"))]


def test_from_root_it_migrates_seeds_administers_and_serves(venv_bin, db_factory, tmp_path):
    if db_factory.backend == "sqlite":  # the default database, in JANUS_DATA_DIR
        data = tmp_path / "data"
        env = packaging.operator_env(venv_bin, tmp_path / "home", JANUS_DATA_DIR=str(data))
    else:  # only DATABASE_URL: the data directory is the platform's (HOME)
        data = tmp_path / "home" / ".local" / "share" / "janus"
        env = packaging.operator_env(venv_bin, tmp_path / "home",
                                     DATABASE_URL=db_factory.new_url())

    def command(*args):
        return packaging.run(args, cwd="/", env=env).stdout

    out = command("janus-migrate")
    assert f"up to date ({len(MIGRATIONS)} migration(s) applied)" in out, out
    assert re.findall(r"^applied (\S+)$", out, re.M) == MIGRATIONS
    assert "seeded" in command("python", "-m", "janus.seeds", "--if-empty")
    assert "admin@janus.example" in command("janus-admin", "list-admins")
    if db_factory.backend == "sqlite":
        assert (data / "janus.db").is_file()
    assert len(list((data / "storage").rglob("*"))) > 10  # the seeded images' files

    log = serve(["janus-serve"], env, tmp_path / "serve.log")
    # the shipped defaults: gthread, 2 workers per core (at most 8)
    booted = log.count("Booting worker")
    assert "Using worker: gthread" in log and booted == serving.default_workers(), log
    serve(["gunicorn", "--bind", "127.0.0.1:{port}", "--workers", "2", "--worker-class",
           "gthread", "--threads", "4", "janus.wsgi:app"], env, tmp_path / "gunicorn.log")
    # its workers shared one metrics directory, named after their master
    assert len(list(tmp_path.glob("janus-metrics-*"))) == 1


@pytest.mark.parametrize("folder", ["missing", "empty", "foreign"])
def test_janus_migrate_refuses_a_folder_that_is_not_janus_migrations(venv_bin, tmp_path, folder):
    directory = tmp_path / "migrations"
    if folder != "missing":
        directory.mkdir()
    if folder == "foreign":
        (directory / "001_create_posts.py").write_text("def migrate(migrator, db): pass\n")
    env = packaging.operator_env(venv_bin, tmp_path, JANUS_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(["janus-migrate", "--migrations", str(directory)], cwd="/", env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(directory) in result.stderr and "up to date" not in result.stdout
    assert not (tmp_path / "data" / "janus.db").exists()


def test_pw_migrate_from_the_repository_root_needs_only_the_requirements(built, tmp_path):
    _, house = built
    bin_dir = packaging.new_venv(tmp_path / "plain", with_pip=False)
    packaging.install_requirements(bin_dir, house)
    env = packaging.operator_env(bin_dir, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/j.db")
    no_janus = subprocess.run([bin_dir / "python", "-c", "import janus"], cwd="/", env=env,
                              capture_output=True, text=True)
    assert no_janus.returncode == 1 and "No module named 'janus'" in no_janus.stderr
    packaging.run([bin_dir / "pw_migrate", "migrate"], cwd=PROJECT_ROOT, env=env)
    check = packaging.run([bin_dir / "python", "-m", "janus.migrate", "--list"],
                          cwd=PROJECT_ROOT, env=env)
    assert check.stdout.rstrip().endswith("up to date"), check.stdout
