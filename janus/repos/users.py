"""Users: lower-cased unique emails, argon2 passwords, lookups by login."""
from __future__ import annotations

import peewee as pw

from janus.models import Admin, Log, SecurityEvent, User
from janus.passwords import hash_password
from janus.repos.base import Repository


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UserRepository(Repository):
    model = User

    def _normalise(self, fields: dict) -> dict:
        if "email" in fields:
            fields["email"] = normalise_email(fields["email"])
        if "username" in fields:
            fields["username"] = fields["username"].strip()
        return fields

    def register(self, email: str, username: str, password: str, is_active: bool = True) -> User:
        """Create a user from a plain password (hashed here, never stored)."""
        return self.create(email=email, username=username, is_active=is_active,
                           password_hash=hash_password(password))

    def with_level(self, *fields) -> pw.ModelSelect:
        """Users with their admin level (None for plain users), in one query;
        ``fields``: the columns to read (default: every column and ``admin_level``)."""
        fields = fields or (User, Admin.admin_level.alias("admin_level"))
        return (User.select(*fields)
                .join(Admin, pw.JOIN.LEFT_OUTER, on=(Admin.user == User.id)).objects())

    def by_login(self, login: str) -> User | None:
        """The user whose email or username is ``login``, or None."""
        login = (login or "").strip()
        if "@" in login:
            return User.get_or_none(User.email == login.lower())
        return User.get_or_none(User.username == login)

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


users = UserRepository()
