"""Users: lower-cased unique emails, usernames unique in their canonical
form (janus.usernames), argon2 passwords checked by janus.password_policy,
lookups by login."""
from __future__ import annotations

import peewee as pw

from janus import password_policy
from janus.errors import Conflict
from janus.models import Admin, Log, SecurityEvent, User
from janus.passwords import hash_password
from janus.repos.base import Repository
from janus.usernames import assign, canonical

LOOKALIKE_TAKEN = ("username is taken: it looks like an existing username "
                   "(case, full-width and lookalike letters do not count)")
USERNAME_TAKEN = {"constraint": "unique", "field": "username"}


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UserRepository(Repository):
    model = User

    def _normalise(self, fields: dict) -> dict:
        if "email" in fields:
            fields["email"] = normalise_email(fields["email"])
        if "username" in fields:
            fields["username"] = fields["username"].strip()
            fields["username_canonical"] = canonical(fields["username"])
        return fields

    def constraint_error(self, exc: pw.IntegrityError):
        """A taken email or username says which (the constraint's name is in
        SQLite's message and in PostgreSQL's)."""
        error = super().constraint_error(exc)
        text = str(exc).lower()
        if isinstance(error, Conflict):
            if "username_canonical" in text:
                return Conflict(LOOKALIKE_TAKEN, details=dict(USERNAME_TAKEN))
            for field in ("email", "username"):
                if f"users.{field}" in text or f"users_{field}" in text:
                    return Conflict(f"{field} is taken",
                                    details={"constraint": "unique", "field": field})
        return error

    def update_with_changes(self, obj: User, fields: dict) -> dict:
        changes = super().update_with_changes(obj, fields)
        # It follows the username: not a change of its own in the audit trail.
        changes.pop("username_canonical", None)
        return changes

    @staticmethod
    def new_password(password: str, *, email: str, username: str, admin: bool,
                     field: str = "$.password") -> dict:
        """The columns of a new password: the one place one is hashed. It
        must meet the policy's rule for the account (``admin``: the admin
        rule), else a 422 naming ``field``; the strictest rule it meets is
        kept beside the hash."""
        rule = password_policy.require(password, email=email, username=username, admin=admin,
                                       field=field)
        return {"password_hash": hash_password(password), "password_rule": rule}

    def register(self, email: str, username: str, password: str, is_active: bool = True, *,
                 admin: bool = False, verified: bool = True) -> User:
        """Create a user from a plain password (checked, hashed, never
        stored); ``admin``: the account is about to get an admin level;
        ``verified``: False leaves its email to be confirmed by a mailed link."""
        extra = {} if verified else {"email_verified_at": None}
        return self.create(email=email, username=username, is_active=is_active, **extra,
                           **self.new_password(password, email=normalise_email(email),
                                              username=username, admin=admin))

    def username_conflict(self, username: str) -> Conflict | None:
        """The 409 a new account named ``username`` would meet, if any."""
        name = username.strip()
        holder = User.get_or_none(User.username_canonical == canonical(name))
        if holder is None:
            return None
        return Conflict("username is taken" if holder.username == name else LOOKALIKE_TAKEN,
                        details=dict(USERNAME_TAKEN))

    def set_password(self, user: User, password: str, *, field: str = "$.password") -> None:
        """A new password for ``user``, checked against the admin rule when
        they are an admin (role ``admin``)."""
        self.update(user, **self.new_password(password, email=user.email,
                                              username=user.username,
                                              admin=user.role == "admin", field=field))

    def with_level(self, *fields) -> pw.ModelSelect:
        """Users with their admin level (None for plain users), in one query;
        ``fields``: the columns to read (default: every column and ``admin_level``)."""
        fields = fields or (User, Admin.admin_level.alias("admin_level"))
        return (User.select(*fields)
                .join(Admin, pw.JOIN.LEFT_OUTER, on=(Admin.user == User.id)).objects())

    def by_login(self, login: str) -> User | None:
        """The user whose email, or username in its canonical form, is
        ``login``, or None: a lookalike of a username finds that account."""
        login = (login or "").strip()
        if "@" in login:
            return User.get_or_none(User.email == login.lower())
        return User.get_or_none(User.username_canonical == canonical(login))

    def clashing(self) -> list[tuple[User | None, list[User]]]:
        """Users whose username has no canonical form (it clashed with an
        older one's: migration 008, rekey-usernames), grouped under the user
        who holds that form now (None: nobody any more; rekey-usernames or a
        rename gives it back), oldest first."""
        waiting = list(User.select().where(User.username_canonical.is_null()).order_by(User.id))
        forms = {user.id: canonical(user.username) for user in waiting}
        holders = {user.username_canonical: user for user in User.select().where(
            User.username_canonical.in_(set(forms.values())))} if waiting else {}
        grouped: dict[int, tuple[User | None, list[User]]] = {}
        for user in waiting:
            holder = holders.get(forms[user.id])
            grouped.setdefault(holder.id if holder else 0, (holder, []))[1].append(user)
        return [grouped[key] for key in sorted(grouped)]

    def stale_forms(self) -> int:
        """How many stored canonical forms this ICU would compute differently."""
        rows = User.select(User.username, User.username_canonical).where(
            User.username_canonical.is_null(False)).tuples()
        return sum(1 for name, stored in rows if canonical(name) != stored)

    def rekey(self) -> tuple[int, list[tuple[int, list[int]]]]:
        """Recompute every canonical form with this ICU (janus.usernames.assign:
        a form still right stays put). Returns how many rows changed, and the
        clashes. Call inside a transaction."""
        rows = list(User.select(User.id, User.username, User.username_canonical).tuples())
        forms, clashes = assign(rows)
        changed = [(row_id, forms[row_id]) for row_id, _, stored in rows
                   if forms[row_id] != stored]
        # Free every changing form first: one row may take another's old form.
        for start in range(0, len(changed), 500):
            ids = [row_id for row_id, _ in changed[start:start + 500]]
            User.update(username_canonical=None).where(User.id.in_(ids)).execute()
        for row_id, form in changed:
            if form is not None:
                User.update(username_canonical=form).where(User.id == row_id).execute()
        return len(changed), clashes

    def action_counts(self, user_id: int | None = None) -> dict:
        """{user_id: {action: count}} over the audit trail, or one user's:
        the service's own rows (a client's posted rows count for nothing)."""
        query = (Log.select(Log.user, Log.action, pw.fn.COUNT(Log.id).alias("n"))
                 .where(Log.user.is_null(False) & (Log.source == "service"))
                 .group_by(Log.user, Log.action))
        if user_id is not None:
            query = query.where(Log.user == user_id)
        counts: dict = {}
        for row in query.tuples():
            counts.setdefault(row[0], {})[row[1]] = row[2]
        return counts if user_id is None else counts.get(user_id, {})

    def security_action_counts(self, user_id: int) -> dict:
        query = (SecurityEvent.select(SecurityEvent.action, pw.fn.COUNT(SecurityEvent.id))
                 .where((SecurityEvent.user == user_id) & (SecurityEvent.source == "service"))
                 .group_by(SecurityEvent.action))
        return dict(query.tuples())


users = UserRepository()
