"""Synthetic rows for ``python -m janus.seeds --generate`` (see janus.seeds.generate).

Each factory yields batches of tuples in the order of its ``COLUMNS`` entry,
with values ready for the DB-API driver: ints, strings, naive-UTC datetimes
and JSON already encoded as compact text. Nothing here touches the database:
the ids rows refer to (users, images) are handed in.

Modules: ``common`` (JSON text, weighted choices, the ``Timeline`` of
ascending timestamps, the ``Picker`` of referred ids), ``people`` (users,
admins), ``imagery`` (images), ``research`` (analytics) and ``events`` (logs,
security events). No module shares a factory's name: this package re-exports
the factories, and a function would shadow its own module here.

Given the same ``random.Random`` seed, ``now`` and inputs, a factory yields
the same rows: every draw comes from the one generator it is handed.
"""
from __future__ import annotations

from janus.seeds.synthetic.common import Picker, Timeline, dumps, signed64
from janus.seeds.synthetic.events import logs, security
from janus.seeds.synthetic.imagery import images
from janus.seeds.synthetic.people import (
    GENERATED_PASSWORD,
    GENERATED_PASSWORD_HASH,
    admins,
    users,
)
from janus.seeds.synthetic.research import analytics

__all__ = ["COLUMNS", "GENERATED_PASSWORD", "GENERATED_PASSWORD_HASH", "Picker", "Timeline",
           "admins", "analytics", "dumps", "images", "logs", "security", "signed64", "users"]

COLUMNS = {
    "users": ("email", "username", "username_canonical", "password_hash", "password_rule",
              "role", "is_active", "created_at", "updated_at", "last_login_at",
              "email_verified_at"),
    "admins": ("user_id", "admin_level", "granted_by_id", "created_at"),
    "images": ("owner_id", "filename", "format", "width", "height", "color_type", "bit_depth",
               "compression_method", "file_size", "sha256", "storage_key", "image_metadata",
               "phash", "created_at", "updated_at"),
    "analytics": ("research_topic", "data", "image_id", "user_id", "created_at", "updated_at"),
    "logs": ("user_id", "action", "module", "level", "timestamp", "log_metadata"),
    "security": ("user_id", "action", "account", "ip", "user_agent", "timestamp",
                 "security_metadata"),
}
