"""Admin levels: the one owner of grant, change and revoke, of the admin
queries, and of the last-superadmin rule.

Invariant: a user has role ``admin`` exactly when an Admin row exists; every
change here updates both, with its audit row and security event, in one
transaction. ``guard_last_superadmin`` is the only check that keeps at least
one active superadmin; demote, revoke, delete and deactivate all call it.

Every change reads what it depends on inside its transaction and locks in ONE
order: the target user's row (``lock_user``), then admin rows in id order. Why,
and the rest of the discipline: docs/architecture.md, "Write transactions".
"""
from __future__ import annotations

from datetime import datetime

from janus import password_policy
from janus.access import Actor, require_level
from janus.audit import record_change
from janus.db import database, is_postgres, locked
from janus.errors import Conflict, NotFound
from janus.models import ADMIN_LEVELS, Admin, User, utcnow
from janus.repos.admins import admins
from janus.repos.security import security_events
from janus.repos.users import users
from janus.schemas.users import AdminCreateIn
from janus.services import dated


def level_of(user: User | int) -> str | None:
    """'moderator', 'superadmin', or None for a plain user."""
    user_id = user.id if isinstance(user, User) else user
    row = Admin.get_or_none(Admin.user == user_id)
    return row.admin_level if row else None


def lock_user(user_id: int) -> User:
    """Step 1 of the lock order: the user's row, locked for this transaction
    and read fresh (NotFound if it is gone, e.g. deleted meanwhile)."""
    return users.get_by_id(user_id, locked(User.select()))


def superadmin_count(excluding: User | None = None) -> int:
    """Active superadmins: a deactivated one cannot log in, so it does not
    keep the service manageable and must not let the last active one go."""
    if is_postgres():
        # Step 2 of the lock order, inside the caller's transaction: lock
        # every superadmin's admin row, in id order, so two concurrent "remove
        # a superadmin" changes take turns instead of each seeing the other's
        # row and both succeeding. Only admin rows: FOR UPDATE over the join
        # also locked users rows, against the lock order, and conflicted with
        # foreign-key checks (the deadlocks). The count below is a new
        # statement, so it sees whatever committed while this waited.
        # SQLite already serialises writers.
        list(locked(Admin.select(Admin.id).where(Admin.admin_level == "superadmin")
                    .order_by(Admin.id)).tuples())
    query = (Admin.select(Admin.id, Admin.user).join(User, on=(Admin.user == User.id))
             .where((Admin.admin_level == "superadmin") & User.is_active))
    return sum(1 for _, user_id in query.tuples() if excluding is None or user_id != excluding.id)


def guard_last_superadmin(target: User, action: str) -> None:
    """Refuse (409) to demote, revoke, delete or deactivate the last active superadmin."""
    if level_of(target) == "superadmin" and superadmin_count(excluding=target) == 0:
        raise Conflict(f"the last superadmin cannot be {action}")


def _security(action: str, actor: Actor, target: User, *, at: datetime | None = None,
              **metadata) -> None:
    security_events.record(action, user=target, account=target.email, ip=actor.client.ip,
                           user_agent=actor.client.user_agent,
                           metadata={"by_user_id": actor.id, **metadata},
                           **dated(at, "timestamp"))


def _set_role(user: User, role: str, at: datetime | None = None) -> None:
    if user.role != role:
        User.update(role=role, updated_at=at or utcnow()).where(User.id == user.id).execute()
        user.role = role


def _require_admin_password(target: User, rule: str) -> None:
    """Refuse (409) to raise an account whose password was not checked
    against the admin rule: it must set a new password first."""
    if not password_policy.meets_admin_rule(rule):
        state = ("was set without a check (before this release, or by the seed loader)"
                 if rule == password_policy.UNCHECKED else "meets only the user rule")
        raise Conflict(
            f"user {target.id}'s password {state}, not the admin rule (at least "
            f"{password_policy.ADMIN.min_length} characters, hard to guess): they must set a "
            "new password first (POST /auth/password, or janus-admin set-password), then "
            "grant the level again",
            details={"password_rule": rule, "required": password_policy.ADMIN.name})


def grant(actor: Actor, target: User, level: str, *, at: datetime | None = None,
          check_password: bool = True) -> Admin:
    """Make ``target`` an admin at ``level``, or change their level. ``at``:
    when, if not now (the seed loader's times). Raising a level needs a
    password checked against the admin rule (``check_password=False``: the
    seed loader's demo accounts, whose passwords are published anyway)."""
    with database.atomic():
        fresh = lock_user(target.id)
        target.role = fresh.role  # the committed role, not a stale copy
        row = Admin.get_or_none(Admin.user == target.id)
        before = row.admin_level if row else None
        raised = ADMIN_LEVELS.index(level) > (ADMIN_LEVELS.index(before) if before else -1)
        if raised and check_password:
            _require_admin_password(target, fresh.password_rule)
        if row is None:
            row = Admin.create(user=target, admin_level=level, granted_by=actor.user,
                               **dated(at, "created_at"))
        elif before != level:
            if before == "superadmin":
                guard_last_superadmin(target, "demoted")
            row.admin_level, row.granted_by = level, actor.user
            row.save()
        _set_role(target, "admin", at)
        if before != level:
            record_change(actor.user, "admin.granted", "admin", row.id,
                          {"user_id": target.id, "admin_level": [before, level]}, at=at)
            _security("admin_granted", actor, target, admin_level=level,
                      previous_level=before, at=at)
    return row


def revoke(actor: Actor, target: User) -> None:
    """Take admin rights away; the user keeps their account as role 'user'."""
    with database.atomic():
        target.role = lock_user(target.id).role
        row = Admin.get_or_none(Admin.user == target.id)
        if row is None:
            raise NotFound(f"user {target.id} is not an admin")
        guard_last_superadmin(target, "revoked")
        row.delete_instance()
        _set_role(target, "user")
        record_change(actor.user, "admin.revoked", "admin", row.id,
                      {"user_id": target.id, "admin_level": [row.admin_level, None]})
        _security("admin_revoked", actor, target, previous_level=row.admin_level)


# -- what the /admins routes call ---------------------------------------------
def create_admin(actor: Actor, body: AdminCreateIn) -> Admin:
    require_level(actor, "superadmin")
    with database.atomic():
        target = lock_user(body.user_id)
        if level_of(target) is not None:
            raise Conflict(f"user {target.id} is already an admin; PATCH /admins/<id> "
                           "to change the level")
        row = grant(actor, target, body.admin_level)
        # Read back inside the transaction: a revoke committing right after
        # must not turn this acknowledged grant into a 404.
        return admins.get_by_id(row.id)


def _locked_admin(admin_id: int) -> Admin:
    """The admin row ``admin_id`` with its user locked first (the lock order),
    then read again: if a concurrent revoke or user deletion committed
    meanwhile, it is gone (404) instead of being re-created for a user whose
    role is no longer admin, or whose row no longer exists."""
    row = admins.get_by_id(admin_id)
    # Like lock_user, but a user deleted meanwhile is "admin N not found".
    list(locked(User.select(User.id).where(User.id == row.user_id)).tuples())
    return admins.get_by_id(admin_id, admins.select().where(Admin.user == row.user_id))


def change_admin(actor: Actor, admin_id: int, level: str) -> Admin:
    require_level(actor, "moderator")
    with database.atomic():
        row = _locked_admin(admin_id)
        require_level(actor, "superadmin")
        grant(actor, row.user, level)
        return admins.get_by_id(admin_id)


def delete_admin(actor: Actor, admin_id: int) -> None:
    require_level(actor, "moderator")
    with database.atomic():
        row = _locked_admin(admin_id)
        require_level(actor, "superadmin")
        revoke(actor, row.user)
