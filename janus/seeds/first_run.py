"""``python -m janus.seeds.first_run``: what ``make serve`` runs before gunicorn.

It loads the demo data into an empty database (what ``python -m janus.seeds
--if-empty`` does, with the same one-line report), then prints where the
service will listen, where its docs are, and -- only when the demo data was
just loaded -- the demo logins. A database
that already had users is left alone and said so. Errors are one line on
stderr and exit status 1, as with ``python -m janus.seeds``.
"""
from __future__ import annotations

import os

from janus.config import DEFAULT_BIND, Config, ConfigError
from janus.db import shown_url
from janus.errors import first_line
from janus.seeds.cli import SEED_DIR, load
from janus.seeds.connection import fail
from janus.seeds.schema import SeedError

# The passwords of seeds/users.json (it stores only their argon2 hashes);
# tests/test_first_run.py checks each against its hash.
DEMO_LOGINS = (
    ("demo@janus.example", "janus-demo", "user"),
    ("mod@janus.example", "janus-moderator", "moderator"),
    ("admin@janus.example", "janus-superadmin", "superadmin"),
)


def base_url(bind: str) -> str:
    """The URL a local browser or curl reaches ``bind`` (gunicorn's JANUS_BIND) at."""
    if bind.startswith(("unix:", "fd://")):
        return bind
    host, _, port = bind.rpartition(":")
    if not host:  # a bare port
        host, port = "127.0.0.1", bind
    host = host.strip("[]")
    if host in ("0.0.0.0", "", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def banner(url: str, loaded: bool) -> str:
    lines = ["", f"Janus will listen on {url}  (set JANUS_BIND=host:port to change it)",
             f"  API docs:  {url}/docs", f"  OpenAPI:   {url}/openapi.json"]
    if loaded:
        lines.append("  Demo logins (change or remove them before exposing the server):")
        lines += [f"    {email:<22} {password:<17} {role}" for email, password, role in DEMO_LOGINS]
        lines += ["  These published passwords were loaded without the password policy (the seed",
                  "  loader is its only exception); nothing else accepts them as a new password."]
    else:
        lines.append("  The database already had users, so the demo data was not loaded "
                     "and no demo logins are shown.")
    return "\n".join(lines + [""])


def main() -> int:
    try:
        config = Config.from_env()
        added = load(config.database_url, SEED_DIR, if_empty=True, config=config)
    except (SeedError, ConfigError) as exc:
        fail(str(exc) if isinstance(exc, SeedError) else f"janus.seeds: {exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        fail(f"janus.seeds: unexpected {type(exc).__name__}: {first_line(exc)}")
        return 1
    shown = shown_url(config.database_url)
    if added is None:
        print(f"seeds skipped: {shown} already has users (--if-empty)")
    else:
        print(f"seeded {shown}: " + ", ".join(f"{d} +{n}" for d, n in added.items()))
    url = base_url(os.environ.get("JANUS_BIND") or DEFAULT_BIND)
    print(banner(url, loaded=added is not None), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
