"""``janus-admin bootstrap``: the first superadmin from the environment, run
by ``make migrate`` (and so ``make serve``) after migrating.

It creates one only while no superadmin exists (active or not), inside one
transaction that holds the seed loader's lock (SQLite's write lock at BEGIN,
a PostgreSQL advisory lock), so two bootstraps at once create one."""
from __future__ import annotations

from janus import password_policy
from janus.db import database
from janus.models import Admin, User
from janus.seeds.cli import locked_transaction


def existing_superadmin() -> str | None:
    row = (Admin.select(Admin, User).join(User, on=(Admin.user == User.id))
           .where(Admin.admin_level == "superadmin").order_by(Admin.id).first())
    return row.user.email if row else None


def bootstrap(actor, email: str, password: str, create) -> str:
    """What was done, as one line. ``create``: janus.operator.cli's
    create-superadmin step (actor, email, username, password source)."""
    email = email.strip().lower()
    # Refuse a weak password even when there is nothing to create: the
    # variable is wrong wherever it is set. (The username is the local part.)
    password_policy.require(password, email=email, username=None, admin=True)
    with locked_transaction(database.obj):
        found = existing_superadmin()
        if found is not None:
            return f"bootstrap: a superadmin exists ({found}); nothing done"
        return "bootstrap: " + create(actor, email, None, lambda: password)
