"""Users: lower-cased unique emails, argon2 passwords, lookups by login."""
from __future__ import annotations

import peewee as pw

from janus.db import database, is_postgres
from janus.errors import Conflict, NotFound, ValidationError
from janus.models import Admin, Log, SecurityEvent, User
from janus.passwords import hash_password
from janus.repos.base import Repository

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    if not isinstance(email, str) or "@" not in email.strip()[1:-1]:
        raise ValidationError.at("$.email", "not an email address")
    return email.strip().lower()


def check_password(password) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError.at("$.password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ValidationError.at("$.password", "must be at most 1024 characters")
    return password


class UserRepository(Repository):
    model = User
    # role is absent on purpose: it changes only through janus.repos.admins,
    # which keeps the Admin row in step with it.
    writable = ("email", "username", "password_hash", "is_active", "last_login_at")
    required = ("email", "username", "password_hash")

    def _normalise(self, fields: dict) -> dict:
        if "email" in fields:
            fields["email"] = normalise_email(fields["email"])
        if "username" in fields and isinstance(fields["username"], str):
            fields["username"] = fields["username"].strip()
            if not fields["username"]:
                raise ValidationError.at("$.username", "may not be empty")
        return fields

    def create(self, **fields) -> User:
        return super().create(**self._normalise(fields))

    def apply(self, obj, fields):
        return super().apply(obj, self._normalise(dict(fields)))

    def register(self, email: str, username: str, password: str, is_active: bool = True) -> User:
        """Create a user from a plain password (hashed here, never stored)."""
        return self.create(email=email, username=username, is_active=is_active,
                           password_hash=hash_password(check_password(password)))

    def set_password(self, user: User, password: str) -> User:
        return self.update(user, password_hash=hash_password(check_password(password)))

    def by_email(self, email: str) -> User:
        user = User.get_or_none(User.email == normalise_email(email))
        if user is None:
            raise NotFound(f"no user with email {email.strip().lower()}")
        return user

    def by_login(self, login: str) -> User | None:
        """The user whose email or username is ``login``, or None."""
        login = (login or "").strip()
        if "@" in login:
            return User.get_or_none(User.email == login.lower())
        return User.get_or_none(User.username == login)

    def delete(self, obj_or_id) -> None:
        """Delete a user: admin row, images and tokens go with it (FK cascade);
        logs and security events stay, with a NULL user."""
        user = self._resolve(obj_or_id)
        with database.atomic():
            if superadmin_count(excluding=user) == 0 and is_superadmin(user):
                raise Conflict("the last superadmin cannot be deleted")
            user.delete_instance()

    def action_counts(self, user_id: int | None = None) -> dict:
        """{user_id: {action: count}} over the audit trail, or one user's."""
        query = (Log.select(Log.user, Log.action, pw.fn.COUNT(Log.id).alias("n"))
                 .where(Log.user.is_null(False)).group_by(Log.user, Log.action))
        if user_id is not None:
            query = query.where(Log.user == user_id)
        counts: dict = {}
        for row in query.tuples():
            counts.setdefault(row[0], {})[row[1]] = row[2]
        return counts if user_id is None else counts.get(user_id, {})

    def security_action_counts(self, user_id: int) -> dict:
        query = (SecurityEvent.select(SecurityEvent.action, pw.fn.COUNT(SecurityEvent.id))
                 .where(SecurityEvent.user == user_id).group_by(SecurityEvent.action))
        return dict(query.tuples())


def superadmin_count(excluding: User | None = None) -> int:
    """Active superadmins: a deactivated one cannot log in, so it does not
    keep the service manageable and must not let the last active one go."""
    query = (Admin.select(Admin.id, Admin.user).join(User, on=(Admin.user == User.id))
             .where((Admin.admin_level == "superadmin") & User.is_active)
             .order_by(Admin.id))
    if is_postgres():
        # Inside the caller's transaction: lock every superadmin row (in id
        # order), so two concurrent "remove a superadmin" changes take turns
        # instead of each seeing the other's row and both succeeding. SQLite
        # already serialises writers.
        query = query.for_update()
    rows = list(query.tuples())
    return sum(1 for _, user_id in rows if excluding is None or user_id != excluding.id)


def is_superadmin(user: User) -> bool:
    return Admin.select().where((Admin.user == user.id) & (Admin.admin_level == "superadmin")).exists()


users = UserRepository()
