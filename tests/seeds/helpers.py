"""Helpers shared by the seed-loader tests (their fixtures are in conftest.py)."""

import json
from pathlib import Path

from janus.db import make_database
from janus.models import MODELS, Admin, Analytics, Image, Log, SecurityEvent, User
from janus.seeds import DOMAINS, SEED_DIR, main
from tests.helpers import migrate

DOMAIN_MODELS = {"users": User, "admins": Admin, "images": Image, "analytics": Analytics,
                 "logs": Log, "security": SecurityEvent}
# The demo accounts the README promises.
DEMO_ACCOUNTS = {
    "admin@janus.example": "janus-superadmin",
    "mod@janus.example": "janus-moderator",
    "demo@janus.example": "janus-demo",
    "priya.raman@janus.example": "janus-priya",
    "tomas.novak@janus.example": "janus-tomas",
    "lena.fischer@janus.example": "janus-lena",
}


def seed_data(directory: Path = SEED_DIR) -> dict[str, list]:
    return {d: json.loads((directory / f"{d}.json").read_text()) for d in DOMAINS}


def file_backed(directory: Path = SEED_DIR) -> list[dict]:
    return [r for r in seed_data(directory)["images"] if "file" in r]


# Domains written through a service, which writes one audit row per record
# (user.created, admin.granted, image.uploaded or image.created, analytics.created).
AUDITED = ("users", "admins", "images", "analytics")


def expected_counts(domains=DOMAINS) -> dict[str, int]:
    data = seed_data()
    counts = {m._meta.table_name: 0 for m in MODELS}
    for domain in domains:
        counts[DOMAIN_MODELS[domain]._meta.table_name] += len(data[domain])
        if domain in AUDITED:
            counts[Log._meta.table_name] += len(data[domain])
    if "admins" in domains:  # a grant also writes its security event, as the API's does
        counts[SecurityEvent._meta.table_name] += len(data["admins"])
    return counts


def counts() -> dict[str, int]:
    return {m._meta.table_name: m.select().count() for m in MODELS}


def snapshot() -> dict[str, list]:
    return {m._meta.table_name: list(m.select().order_by(m.id).tuples()) for m in MODELS}


def stored_files(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 1
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def fresh_migrated_url(db_factory) -> str:
    url = db_factory.new_url()
    db = make_database(url, pool_size=1)
    migrate(db)
    db.close_all()
    return url


def seeded_image(seed: dict) -> Image:
    """The images row a seed record (metadata-only or file-backed) became."""
    filename = seed.get("filename") or Path(seed["file"]).name
    return (Image.select().join(User, on=(Image.owner == User.id))
            .where(User.email == seed["owner"], Image.filename == filename).get())
