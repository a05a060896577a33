"""Start-up refuses what it cannot serve with (janus.startup, run by
gunicorn.conf.py in the master): a file store it cannot write (a folder or a
bucket) and a database it cannot reach or that does not exist, each in one
line naming the variable, a non-zero exit, and no worker booted.
JANUS_START_WITHOUT_DATABASE=1 starts anyway: live, not ready."""
from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path

import pytest

from janus.db import init_database
from tests import storage
from tests.helpers import PROJECT_ROOT, migrate
from tests.live import GUNICORN, free_port, send

pytestmark = pytest.mark.gunicorn
START_DEADLINE = 60  # seconds; only a server that never starts reaches it


def gunicorn(env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(GUNICORN), "app:app"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "JANUS_BIND": "127.0.0.1:0",
                               "JANUS_LOG_LEVEL": "WARNING", **env})


def assert_refused(result: subprocess.CompletedProcess, prefix: str) -> str:
    """One ``janus: <prefix>...`` line, the last, and nothing booted."""
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("janus:")]
    assert len(lines) == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == lines[0]
    assert lines[0].startswith(f"janus: {prefix}"), lines[0]
    return lines[0]


@pytest.fixture
def migrated_url(db_factory):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    db.close()
    return url


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder that exists and that this process cannot write in."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    folder = Path("/sys")  # root writes anywhere but in sysfs's top folder
    try:
        os.close(os.open(folder / ".janus-test", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except OSError as exc:
        assert exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        return folder
    os.unlink(folder / ".janus-test")
    pytest.skip("no folder here refuses root's writes")


# -- the file store --------------------------------------------------------------

@pytest.mark.parametrize("case", ["under a file", "read-only"])
def test_a_folder_it_cannot_write_stops_the_start(migrated_url, tmp_path, case):
    if case == "under a file":
        (tmp_path / "a-file").write_text("")
        folder = tmp_path / "a-file" / "storage"
    else:
        folder = unwritable_folder(tmp_path)
    result = gunicorn({"DATABASE_URL": migrated_url, "JANUS_STORAGE_DIR": str(folder)})
    line = assert_refused(result, f"JANUS_STORAGE_DIR: the file store {folder} is not writable: ")
    assert line.endswith("not a directory" if case == "under a file" else "permission denied")


@pytest.fixture
def read_only_s3(tmp_path, s3_server):
    server = storage.start_s3_server(tmp_path / "ro", "--read-only")
    yield server
    storage.stop_s3_server(server)


@pytest.mark.parametrize("case, reason", [
    ("unreachable", "the store cannot be reached"),
    ("no such bucket", "the store refused the write"),
    ("read-only", "the store refused the write"),
])
def test_a_bucket_it_cannot_write_stops_the_start(migrated_url, s3_server, request, case,
                                                    reason):
    if case == "unreachable":
        env = storage.s3_env_at(f"http://127.0.0.1:{storage.closed_port()}", s3_server.new_url())
    elif case == "no such bucket":
        env = storage.s3_env_at(s3_server.endpoint, "s3://no-such-bucket/janus")
    else:
        server = request.getfixturevalue("read_only_s3")
        env = storage.s3_env_at(server.endpoint, server.new_url())
    result = gunicorn({"DATABASE_URL": migrated_url, **env})
    line = assert_refused(result, "JANUS_STORAGE_URL: the file store s3://")
    assert line.endswith(f"is not writable: {reason}")
    assert storage.SECRET_KEY not in result.stderr


# -- the database ----------------------------------------------------------------

def missing_database(backend: str, tmp_path: Path, case: str) -> tuple[str, str]:
    """(DATABASE_URL, what the refusal says) for a database that is not there."""
    if backend == "sqlite" and case == "no such database":
        path = tmp_path / "db" / "janus.db"
        return f"sqlite:///{path}", f"the SQLite database {path} does not exist"
    if backend == "sqlite":  # its folder cannot be made: a file is in the way
        (tmp_path / "a-file").write_text("")
        return (f"sqlite:///{tmp_path}/a-file/janus.db",
                f"cannot create the SQLite database's folder {tmp_path}/a-file (file exists)")
    if case == "unreachable":
        return (f"postgresql://postgres@127.0.0.1:{storage.closed_port()}/janus",
                "cannot reach the database (connection to server at")
    return ("postgresql://postgres@127.0.0.1:5432/janus_no_such_database",
            'database "janus_no_such_database" does not exist')


@pytest.mark.parametrize("case", ["no such database", "unreachable"])
def test_a_database_it_cannot_reach_stops_the_start(backend, tmp_path, case):
    url, says = missing_database(backend, tmp_path, case)
    result = gunicorn({"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(tmp_path / "storage")})
    line = assert_refused(result, "DATABASE_URL: ")
    assert says in line
    if "does not exist" in says or "reach" in says:
        assert line.endswith("or set JANUS_START_WITHOUT_DATABASE=1 to start without it")
    if backend == "sqlite" and case == "no such database":
        assert not Path(url.removeprefix("sqlite:///")).exists()  # not created empty


def test_start_without_database_serves_live_but_not_ready(backend, tmp_path):
    url, _ = missing_database(backend, tmp_path, "no such database")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "JANUS_STORAGE_DIR": str(tmp_path / "storage"),
           "JANUS_BIND": f"127.0.0.1:{port}", "JANUS_WORKERS": "1", "JANUS_THREADS": "2",
           "JANUS_LOG_LEVEL": "WARNING", "JANUS_START_WITHOUT_DATABASE": "1"}
    with open(tmp_path / "gunicorn.log", "w") as log:
        proc = subprocess.Popen([str(GUNICORN), "app:app"], cwd=PROJECT_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            try:
                live = send(port, "GET", "/health/live", timeout=5)
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert live == (200, {"status": "ok"})
        for path in ("/health/ready", "/health"):
            status, body = send(port, "GET", path)
            assert status == 503
            # SQLite creates the file on first use: empty, so not migrated.
            code = "not_migrated" if backend == "sqlite" else "service_unavailable"
            assert body["error"]["code"] == code, body
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_worker_forked_after_the_probe_makes_its_own_s3_client(s3_server):
    """The master's start-up probe leaves a pooled client behind; a worker
    forked from it must not send its requests on the master's sockets."""
    from janus.storage.s3 import client_for

    settings = s3_server.settings()
    parent = client_for(settings)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only with a client of its own
        os._exit(0 if client_for(settings) is not parent else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client_for(settings) is parent  # the parent keeps its own
