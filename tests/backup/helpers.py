"""Helpers of the ``python -m janus.backup`` tests: image bytes, uploads, the
command run in-process and as a subprocess, listings of databases and stores."""
from __future__ import annotations

import contextlib
import hashlib
import io
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from PIL import Image as PILImage

from janus.access import Actor
from janus.backup.cli import cli
from janus.config import Config
from janus.db import make_database
from janus.models import MODELS, Image, User
from janus.services.images import upload
from janus.storage import Store, open_store
from tests.helpers import PROJECT_ROOT


def png(n: int) -> bytes:
    """A tiny PNG whose bytes differ for every ``n`` below 2**24."""
    out = io.BytesIO()
    PILImage.new("RGB", (16, 12), (n & 255, (n >> 8) & 255, (n >> 16) & 255)).save(out, "PNG")
    return out.getvalue()


def file_store(config: Config) -> Store:
    return open_store(config)


def ingest(owner: User, data: bytes, filename: str, config: Config) -> Image:
    """An upload by ``owner``, as the API's upload route makes it."""
    return upload(Actor(owner), data, filename, file_store(config), config.max_image_pixels)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def run_module(*args, env=None, preexec_fn=None) -> tuple[int, str, str]:
    """The real command in a subprocess (as cron would run it)."""
    proc = subprocess.run([sys.executable, "-m", "janus.backup", *map(str, args)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env=env, preexec_fn=preexec_fn)
    return proc.returncode, proc.stdout, proc.stderr


def assert_one_line_error(code, out, err, *needles):
    assert code != 0
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@contextlib.contextmanager
def bound(url):
    """The models pointed at another database for the block."""
    other = make_database(url, pool_size=1)
    try:
        with other.bind_ctx(MODELS):
            other.connect(reuse_if_open=True)
            yield other
    finally:
        other.close_all()


def rows(url) -> dict[str, list]:
    with bound(url):
        return {m._meta.table_name: list(m.select().order_by(m.id).tuples()) for m in MODELS}


def store_listing(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): sha(p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file()}


def dir_listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def rows_of_live(table):
    model = next(m for m in MODELS if m._meta.table_name == table)
    return list(model.select().order_by(model.id).tuples())
