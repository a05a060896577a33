"""Login throughput: bound by argon2 by design.

In-process: the argon2 parameters Janus hashes with under the default
configuration (read back from a hash it makes: ``$argon2id$v=19$m=...,t=...,p=...``)
and the cost of one hash and of one verification, wall-clock and CPU (argon2
computes its lanes in threads, so CPU can exceed wall time).

Over HTTP (bench/served.py): ``POST /auth/login`` against a Janus server
that differs from the default configuration only by
``JANUS_RATE_LIMIT_LOGIN=`` (empty: no per-address limit, else 10 logins a
minute from the bench's one address); the bench users' stored hashes are
made with those default parameters (no rehash on login).
"""
from __future__ import annotations

import re

from bench import timing
from bench.runner import LOGIN_PASSWORD
from janus import passwords
from janus.config import Config
from janus.models import User

PASSWORD = LOGIN_PASSWORD
_PARAMS = re.compile(r"^\$(argon2\w+)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$")


def parameters(hashed: str) -> dict:
    """The argon2 variant and parameters encoded in a hash."""
    found = _PARAMS.match(hashed)
    if not found:
        raise ValueError(f"not an argon2 hash: {hashed[:20]!r}")
    variant, version, memory, time_cost, lanes = found.groups()
    return {"variant": variant, "version": int(version), "memory_kib": int(memory),
            "time_cost": int(time_cost), "parallelism": int(lanes)}


def configure_defaults() -> None:
    """passwords as the default configuration sets them (JANUS_ARGON2_* unset)."""
    config = Config.from_env()
    passwords.configure(config.argon2_time_cost, config.argon2_memory_kib)


def measure_hash(rounds: int, min_seconds: float) -> dict:
    configure_defaults()
    hashed = passwords.hash_password(PASSWORD)
    ops = {"hash": lambda: passwords.hash_password(PASSWORD),
           "verify": lambda: passwords.verify_password(hashed, PASSWORD)}
    return {"parameters": parameters(hashed),
            "wall": timing.measure(ops, rounds, min_seconds),
            "cpu": timing.measure(ops, rounds, min_seconds, clock=timing.cpu)}


def prepare_users(user_ids: list[int]) -> str:
    """Give the bench users a default-parameter hash of PASSWORD (on the database
    Janus is initialised on), so a login verifies without rehashing; returns it."""
    configure_defaults()
    hashed = passwords.hash_password(PASSWORD)
    User.update(password_hash=hashed).where(User.id.in_(user_ids)).execute()
    return hashed


def summary_line(result: dict, http: dict | None, cores: int) -> str:
    p = result["parameters"]
    wall = result["wall"]["hash"]["median_ms"]
    cpu = result["cpu"]["hash"]["median_ms"]
    verify = result["wall"]["verify"]["median_ms"]
    text = (f"argon2: {p['variant']} m={p['memory_kib']:,} KiB, t={p['time_cost']}, "
            f"p={p['parallelism']} (argon2-cffi's defaults; JANUS_ARGON2_* unset); one hash "
            f"{wall:.1f} ms wall / {cpu:.1f} ms CPU, one verify {verify:.1f} ms wall; "
            f"at most ~{cores * 1000 / cpu:.0f} logins/s on {cores} cores from argon2 alone")
    if http:
        text += (f"; POST /auth/login under gunicorn (SQLite): {http['rps_median']:.1f} "
                 f"logins/s, p50 {http['p50_ms']:.0f} ms")
    return text
