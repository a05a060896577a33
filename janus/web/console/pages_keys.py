"""A user's API keys in the console: listed on their page (moderators and
up; pages_users.py asks ``user_keys``), revoked by a superadmin through the
same service function as DELETE /api-keys/{id} (the same audit row)."""
from __future__ import annotations

from janus.lists.keys import ApiKeyQuery, api_key_reads
from janus.services import api_keys
from janus.web.console import session
from janus.web.console.registry import see_other

SHOWN = 50  # keys on a user's page; more are listed by GET /api-keys?owner_id=


def user_keys(actor, user_id: int):
    """The user's keys that are not revoked, newest first (one query)."""
    return api_key_reads.page(actor, ApiKeyQuery(owner_id=user_id, limit=SHOWN))


def register(console) -> None:
    @console.action("/console/api-keys/<key_id:int>/revoke")
    def console_api_key_revoke(actor, key_id):
        row = api_keys.revoke(actor, key_id)
        session.flash(f"API key {row.name} ({row.prefix}...) is revoked; it no longer works.")
        see_other(f"/console/users/{row.owner_id}#api-keys")
