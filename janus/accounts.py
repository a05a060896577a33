"""Account changes that touch several tables: admin grant/revoke with their
audit row and security event, written in one transaction."""
from __future__ import annotations

from janus.audit import record_change
from janus.auth import Client
from janus.db import database
from janus.errors import Conflict
from janus.models import User
from janus.repos.admins import admins
from janus.repos.security import security_events
from janus.repos.users import is_superadmin, superadmin_count


def _security(action, actor, target, client: Client, **metadata):
    security_events.record(action, user=target, account=target.email, ip=client.ip,
                           user_agent=client.user_agent,
                           metadata={"by_user_id": actor.id, **metadata})


def grant(actor: User, target: User, level: str, client: Client):
    with database.atomic():
        before = admins.level_of(target)
        row = admins.grant(target, level, granted_by=actor)
        if before != level:
            record_change(actor, "admin.granted", "admin", row.id,
                          {"user_id": target.id, "admin_level": [before, level]})
            _security("admin_granted", actor, target, client, admin_level=level,
                      previous_level=before)
    return row


def revoke(actor: User, target: User, client: Client) -> None:
    with database.atomic():
        row = admins.for_user(target)
        level = row.admin_level if row else None
        admins.revoke(target)
        record_change(actor, "admin.revoked", "admin", row.id,
                      {"user_id": target.id, "admin_level": [level, None]})
        _security("admin_revoked", actor, target, client, previous_level=level)


def guard_last_superadmin(target: User, action: str) -> None:
    if is_superadmin(target) and superadmin_count(excluding=target) == 0:
        raise Conflict(f"the last superadmin cannot be {action}")
