"""users.password_rule and users.username_canonical.

- ``password_rule``: the strictest rule of janus.password_policy the password
  met when it was set. Only hashes exist, so every existing row becomes
  ``unchecked``: existing admins keep their level, ``janus-admin
  list-admins`` shows whose password was not checked against the admin rule,
  and granting a level to such an account is refused until it sets a new
  password.
- ``username_canonical`` (unique): janus.usernames.canonical(username),
  computed here for every row, oldest first. A later row whose form an older
  row already holds (``Admin`` beside ``admin``) keeps NULL, which matches no
  login and blocks nothing, and is printed; ``janus-admin username-clashes``
  lists such rows afterwards and ``janus-admin rename`` fixes one. So the
  migration never stops half-way on a clash.

The forms come from the janus.usernames of the code being migrated to, on
purpose: they must be the ones that code compares with.
"""

import peewee as pw
from peewee_migrate import Migrator

from janus import usernames


def _fill_canonical(database: pw.Database) -> None:
    rows = database.execute_sql("SELECT id, username FROM users").fetchall()
    forms, clashes = usernames.assign([(row_id, name, None) for row_id, name in rows])
    names = dict(rows)
    param = database.param
    for row_id, form in forms.items():
        if form is not None:
            database.execute_sql(f"UPDATE users SET username_canonical = {param} "
                                 f"WHERE id = {param}", (form, row_id))
    for holder, later in clashes:
        for row_id in later:
            print(f"008: username {names[row_id]!r} (user {row_id}) looks like "
                  f"{names[holder]!r} (user {holder}): it cannot be used to log in until "
                  f"renamed (janus-admin username-clashes, janus-admin rename)", flush=True)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "users",
        username_canonical=pw.TextField(null=True, unique=True),
        password_rule=pw.CharField(
            max_length=16, default="unchecked",
            constraints=[pw.SQL("CHECK (password_rule IN ('unchecked', 'user', 'admin'))")]))
    migrator.run(_fill_canonical, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("users", "username_canonical", "password_rule")
