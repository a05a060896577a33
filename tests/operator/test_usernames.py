"""username-clashes, rename, rekey-usernames: what an operator does about
the lookalike usernames migration 008 found (it left them without a
canonical form) and about forms an ICU upgrade changed."""
from __future__ import annotations

from janus.models import User
from janus.repos.users import users
from janus.usernames import canonical
from tests.operator.conftest import STRONG, assert_failed, assert_from_cli, audit_rows


def _clash(db):
    """admin, and "Admin" as migration 008 leaves a later lookalike: no form."""
    holder = users.register("admin@example.com", "admin", STRONG)
    later = users.register("second@example.com", "second", STRONG)
    User.update(username="Admin", username_canonical=None).where(User.id == later.id).execute()
    return holder, User.get_by_id(later.id)


def test_no_clashes(run, db):
    assert run("username-clashes").stdout.strip() == "no username clashes"


def test_clashes_are_listed_and_a_rename_settles_one(run, db):
    holder, later = _clash(db)
    result = run("username-clashes")
    assert result.exit_code == 0, result.stderr
    assert ("'admin' (admin@example.com) is taken; these look like it and cannot log in by "
            "username until renamed: 'Admin' (second@example.com)") in result.stdout
    assert "janus-admin rename EMAIL NEW_USERNAME" in result.stdout

    # A rename to another lookalike is refused like the API's PATCH (409).
    assert_failed(run("rename", "second@example.com", "ADMIN"), "username is taken")
    result = run("rename", "second@example.com", "second-admin")
    assert result.exit_code == 0, result.stderr
    assert "is now 'second-admin' (was 'Admin')" in result.stdout
    renamed = User.get_by_id(later.id)
    assert renamed.username_canonical == canonical("second-admin")
    assert_from_cli(audit_rows("user.updated")[0])
    assert audit_rows("user.updated")[0].log_metadata["changes"] == {
        "username": ["Admin", "second-admin"]}
    assert run("username-clashes").stdout.strip() == "no username clashes"


def test_rename_refuses_an_invalid_name(run, db):
    users.register("carl@example.com", "carl", STRONG)
    assert_failed(run("rename", "carl@example.com", "bad name!"), "$.username")
    assert User.get(User.email == "carl@example.com").username == "carl"


def test_rekey_recomputes_stale_forms_and_frees_a_form_whose_holder_left(run, db):
    holder, later = _clash(db)
    other = users.register("eve@example.com", "eve", STRONG)
    # A form written by another ICU (stale), and the holder of "admin" renamed away.
    User.update(username_canonical="stale").where(User.id == other.id).execute()
    User.update(username="root", username_canonical=canonical("root")).where(
        User.id == holder.id).execute()
    listed = run("username-clashes").stdout
    assert "no longer taken: 'Admin' (second@example.com)" in listed
    assert "1 stored canonical form(s) differ from this ICU's (ICU " in listed

    result = run("rekey-usernames")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("2 canonical form(s) recomputed (ICU ")
    assert User.get_by_id(other.id).username_canonical == canonical("eve")
    assert User.get_by_id(later.id).username_canonical == canonical("admin")
    assert run("rekey-usernames").stdout.startswith("0 canonical form(s) recomputed")


def test_rekey_keeps_a_form_with_its_current_holder(run, db):
    """A newer account that took a free form keeps it; the older one waiting
    without a form stays waiting (no login changes hands)."""
    holder, later = _clash(db)
    User.update(username="root", username_canonical=canonical("root")).where(
        User.id == holder.id).execute()
    newer = users.register("new@example.com", "ADMIN", STRONG)
    assert run("rekey-usernames").stdout.startswith("0 canonical form(s) recomputed")
    assert User.get_by_id(newer.id).username_canonical == canonical("admin")
    assert User.get_by_id(later.id).username_canonical is None
