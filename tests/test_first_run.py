"""A first run that guides: ``make serve``'s banner, the curl session of the
README and docs/images.md run as written against a real gunicorn on the demo
data, and one-line refusals (no traceback) from gunicorn and pw_migrate for a bad setting, a
bind address in use, or a migration run outside the repository root."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from janus.db import init_database
from janus.seeds.first_run import DEMO_LOGINS, banner, base_url
from tests.helpers import PROJECT_ROOT, migrate
from tests.live import GUNICORN, Gunicorn

PYTHON = sys.executable
PW_MIGRATE = Path(sys.executable).with_name("pw_migrate")
# The curl session, in the order it is pasted: the README's short one, then the
# longer one on the images page.
CURL_SECTIONS = (("README.md", "A session with curl"), ("docs/images.md", "A session with images"))


def sh_blocks(page: str, section: str) -> list[str]:
    """The ```sh blocks of one ``## section`` of a Markdown page."""
    text = (PROJECT_ROOT / page).read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```sh\n(.*?)```", text[start:end if end != -1 else None], re.S)


def session_blocks() -> list[str]:
    blocks = {page: sh_blocks(page, section) for page, section in CURL_SECTIONS}
    assert all(blocks.values()), blocks  # a section that lost its block fails here
    return [block for page_blocks in blocks.values() for block in page_blocks]


def run(args, env=None, cwd=PROJECT_ROOT, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def first_run(url: str, storage: Path, **env) -> subprocess.CompletedProcess:
    return run([PYTHON, "-m", "janus.seeds.first_run"],
               {"DATABASE_URL": url, "JANUS_STORAGE_DIR": str(storage), **env})


@pytest.fixture
def migrated_url(db_factory):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    db.close()
    yield url
    db.close_all()


# --- make serve's banner ---------------------------------------------------

@pytest.mark.parametrize(("bind", "url"), [
    ("127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("0.0.0.0:9000", "http://127.0.0.1:9000"),
    ("[::]:8080", "http://[::1]:8080"),
    ("[::1]:8080", "http://[::1]:8080"),
    ("example.org:80", "http://example.org:80"),
    ("8001", "http://127.0.0.1:8001"),
    ("unix:/run/janus.sock", "unix:/run/janus.sock"),
])
def test_base_url_is_where_a_local_client_reaches_the_bind_address(bind, url):
    assert base_url(bind) == url


def test_every_demo_login_in_the_banner_matches_its_seeded_hash():
    hashes = {user["email"]: user["password_hash"]
              for user in json.loads((PROJECT_ROOT / "seeds/users.json").read_text())}
    for email, password, _role in DEMO_LOGINS:
        assert PasswordHasher().verify(hashes[email], password), email


def test_the_banner_shows_the_demo_logins_only_when_it_just_loaded_them(migrated_url, tmp_path):
    storage = tmp_path / "storage"
    loaded = first_run(migrated_url, storage, JANUS_BIND="0.0.0.0:8123")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("seeded ")
    assert "http://127.0.0.1:8123/docs" in loaded.stdout
    assert "set JANUS_BIND=host:port" in loaded.stdout
    for email, password, _role in DEMO_LOGINS:
        assert re.search(rf"{re.escape(email)}\s+{re.escape(password)}\b", loaded.stdout)
    assert loaded.stdout == banner_output(loaded.stdout.splitlines()[0], "http://127.0.0.1:8123",
                                          True)

    again = first_run(migrated_url, storage)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("seeds skipped: ")
    assert "already had users" in again.stdout
    assert "http://127.0.0.1:8000/docs" in again.stdout
    assert not any(password in again.stdout for _email, password, _role in DEMO_LOGINS)


def banner_output(first: str, url: str, loaded: bool) -> str:
    return first + "\n" + banner(url, loaded) + "\n"


def test_the_banner_step_fails_in_one_line_on_a_bad_database_url(tmp_path):
    result = first_run("postgress://nobody@127.0.0.1/janus", tmp_path / "storage")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "DATABASE_URL" in result.stderr


def test_make_serve_runs_the_banner_step_before_gunicorn():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    serve = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert serve.splitlines()[1:] == ["\t$(BIN)/python -m janus.seeds.first_run",
                                      "\texec $(BIN)/gunicorn app:app"]


# --- the docs' curl session, run as written --------------------------------

def test_every_curl_of_the_docs_session_fails_on_an_error_status():
    curls = [line for block in session_blocks()
             for line in block.splitlines() if re.match(r"\s*(\w+=\$\()?curl ", line)]
    assert len(curls) >= 9
    for line in curls:
        assert re.search(r"curl -s?f\b", line), line


@pytest.mark.gunicorn
def test_the_docs_curl_session_runs_in_order_on_the_demo_data(migrated_url, tmp_path):
    storage, work = tmp_path / "storage", tmp_path / "work"
    work.mkdir()
    (work / "seeds").symlink_to(PROJECT_ROOT / "seeds")  # the README runs from the root
    seeded = first_run(migrated_url, storage)
    assert seeded.returncode == 0, seeded.stderr
    server = Gunicorn(migrated_url, storage, tmp_path / "gunicorn.log").start()
    script = "\n".join(session_blocks())
    # One shell, as if pasted: each command must succeed (set -e, pipefail), and
    # the ERR trap names the one that did not.
    script = ("set -eo pipefail\ntrap 'echo \"failed: $BASH_COMMAND\" >&2' ERR\n"
              + script.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}"))
    try:
        result = run(["bash", "-c", script], cwd=work)
    finally:
        server.stop()
    assert result.returncode == 0, f"{result.stderr}\n{server.log()}"
    assert "failed:" not in result.stderr
    assert (work / "photo.jpg").read_bytes() == \
        (PROJECT_ROOT / "seeds/files/harbour-at-dusk.jpg").read_bytes()
    thumb = (work / "thumb.webp").read_bytes()
    assert thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP"


# --- gunicorn: one line, before any worker boots ----------------------------

@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "postgress://janus@127.0.0.1/janus"),
    ("DATABASE_URL", "sqlite:///:memory:"),
    ("JANUS_WORKERS", "two"),
    ("JANUS_DB_POOL_SIZE", "0"),
    ("JANUS_RATE_LIMIT_LOGIN", "lots"),
    ("JANUS_TRUSTED_PROXIES", "10.0.0.0/33"),
    ("JANUS_PUBLIC_URL", "janus.example"),
    ("JANUS_KNOWN_ADDRESS_DAYS", "-1"),
])
def test_gunicorn_refuses_a_bad_setting_in_one_line_naming_it(variable, value, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/janus.db", "JANUS_BIND": "127.0.0.1:0",
           "JANUS_STORAGE_DIR": str(tmp_path / "storage"), variable: value}
    result = run([GUNICORN, "app:app"], env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stderr
    assert last_line(result.stderr).startswith("janus: ")
    assert variable in last_line(result.stderr)


def test_gunicorn_names_janus_bind_when_its_port_is_in_use(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run([GUNICORN, "app:app"], {
            "DATABASE_URL": f"sqlite:///{tmp_path}/janus.db", "JANUS_BIND": f"127.0.0.1:{port}",
            "JANUS_STORAGE_DIR": str(tmp_path / "storage")})
    assert result.returncode != 0
    assert last_line(result.stderr) == \
        f"janus: 127.0.0.1:{port} is in use: set JANUS_BIND=host:port"
    assert "Connection in use" not in result.stderr
    assert "Traceback" not in result.stderr


# --- pw_migrate --------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "postgress://janus@127.0.0.1/janus"),
    ("DATABASE_URL", "sqlite:///:memory:"),
    ("JANUS_DB_POOL_SIZE", "many"),
])
def test_pw_migrate_refuses_a_bad_setting_in_one_line(variable, value, tmp_path):
    result = run([PW_MIGRATE, "migrate"],
                 {"DATABASE_URL": f"sqlite:///{tmp_path}/janus.db", variable: value})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [last_line(result.stderr)]
    assert variable in result.stderr


def test_pw_migrate_outside_the_repository_root_fails_instead_of_applying_nothing(tmp_path):
    result = run([PW_MIGRATE, "migrate"], {"DATABASE_URL": f"sqlite:///{tmp_path}/janus.db"},
                 cwd=tmp_path)
    assert result.returncode != 0
    assert "OK" not in result.stdout


def test_pw_migrate_refuses_a_copy_of_the_migrations_directory(tmp_path):
    shutil.copytree(PROJECT_ROOT / "migrations", tmp_path / "migrations")
    result = run([PW_MIGRATE, "migrate"], {"DATABASE_URL": f"sqlite:///{tmp_path}/janus.db"},
                 cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"pw_migrate: {tmp_path / 'migrations'} is not the migrations directory of the installed "
        f"janus ({PROJECT_ROOT / 'migrations'}): run pw_migrate from {PROJECT_ROOT}, "
        "or janus-migrate from anywhere"]
    assert "OK" not in result.stdout
    assert not (tmp_path / "janus.db").exists() or (tmp_path / "janus.db").stat().st_size == 0


def test_pw_migrate_from_anywhere_with_the_repository_directory_migrates(tmp_path):
    db_path = tmp_path / "janus.db"
    result = run([PW_MIGRATE, "migrate", "--directory", PROJECT_ROOT / "migrations"],
                 {"DATABASE_URL": f"sqlite:///{db_path}"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "- [x] 001_initial" in result.stdout
