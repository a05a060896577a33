"""Admins: grant and revoke keep ``User.role`` and the Admin row in step."""
from __future__ import annotations

from janus.db import database
from janus.errors import Conflict, NotFound, ValidationError
from janus.models import ADMIN_LEVELS, Admin, User, utcnow
from janus.repos.base import Repository
from janus.repos.users import superadmin_count

LEVEL_RANK = {level: rank for rank, level in enumerate(ADMIN_LEVELS)}


def _check_level(level: str) -> str:
    if level not in ADMIN_LEVELS:
        raise ValidationError.at("$.admin_level", f"must be one of {', '.join(ADMIN_LEVELS)}")
    return level


class AdminRepository(Repository):
    model = Admin
    writable = ()  # rows change only through grant() and revoke()

    def select(self):
        return Admin.select(Admin, User).join(User, on=(Admin.user == User.id))

    def for_user(self, user: User | int) -> Admin | None:
        user_id = user.id if isinstance(user, User) else user
        return self.select().where(Admin.user == user_id).first()

    def level_of(self, user: User | int) -> str | None:
        """'moderator', 'superadmin', or None for a plain user."""
        row = self.for_user(user)
        return row.admin_level if row else None

    def has_level(self, user: User | int, level: str) -> bool:
        current = self.level_of(user)
        return current is not None and LEVEL_RANK[current] >= LEVEL_RANK[_check_level(level)]

    def grant(self, user: User, level: str = "moderator", granted_by: User | None = None) -> Admin:
        """Make ``user`` an admin at ``level`` (or change the level), atomically."""
        _check_level(level)
        with database.atomic():
            row = Admin.get_or_none(Admin.user == user.id)
            if row is None:
                row = Admin.create(user=user, admin_level=level, granted_by=granted_by)
            elif row.admin_level != level:
                if row.admin_level == "superadmin" and superadmin_count(excluding=user) == 0:
                    raise Conflict("the last superadmin cannot be demoted")
                row.admin_level = level
                row.granted_by = granted_by
                row.save()
            if user.role != "admin":
                User.update(role="admin", updated_at=utcnow()).where(User.id == user.id).execute()
                user.role = "admin"
        return row

    def revoke(self, user: User) -> None:
        """Take admin rights away; the user keeps their account as role 'user'."""
        with database.atomic():
            row = Admin.get_or_none(Admin.user == user.id)
            if row is None:
                raise NotFound(f"user {user.id} is not an admin")
            if row.admin_level == "superadmin" and superadmin_count(excluding=user) == 0:
                raise Conflict("the last superadmin cannot be revoked")
            row.delete_instance()
            User.update(role="user", updated_at=utcnow()).where(User.id == user.id).execute()
            user.role = "user"

    def delete(self, obj_or_id) -> None:
        """Deleting an Admin row is a revoke: the generic delete would leave
        the user with role 'admin' and skip the last-superadmin check."""
        self.revoke(self._resolve(obj_or_id).user)


admins = AdminRepository()
