"""janus.password_policy and janus.usernames on their own: the published
passwords it refuses are exactly the seeds', long passwords, the account's
own names, and the canonical form's properties."""
from __future__ import annotations

import json

import pytest

from janus import password_policy
from janus.passwords import verify_password
from janus.seeds.cli import SEED_DIR
from janus.seeds.synthetic import GENERATED_PASSWORD, GENERATED_PASSWORD_HASH
from janus.usernames import assign, canonical

# The README's demo table: each seeded account and its published password.
DEMO = {"admin@janus.example": "janus-superadmin", "mod@janus.example": "janus-moderator",
        "demo@janus.example": "janus-demo", "priya.raman@janus.example": "janus-priya",
        "tomas.novak@janus.example": "janus-tomas", "lena.fischer@janus.example": "janus-lena"}


def test_every_published_password_is_refused_and_every_seed_hash_is_one_of_them():
    seeded = {user["email"]: user["password_hash"]
              for user in json.loads((SEED_DIR / "users.json").read_text())}
    assert set(seeded) == set(DEMO)
    for email, password_hash in seeded.items():
        assert verify_password(password_hash, DEMO[email]), email
    assert verify_password(GENERATED_PASSWORD_HASH, GENERATED_PASSWORD)
    assert {*DEMO.values(), GENERATED_PASSWORD} == password_policy.DEMO_PASSWORDS
    for password in password_policy.DEMO_PASSWORDS:
        judged = password_policy.assess(password.upper(), email="x@example.org", username="x")
        assert "demo account" in judged.problem(password_policy.USER)


def test_a_long_password_is_judged_by_its_first_characters_and_never_fails():
    strong = "tarn-ember-quill-58" * 50  # 950 characters
    assert password_policy.require(strong, email="a@example.org", username="a",
                                   admin=True) == "admin"
    weak_start = "a" * password_policy.ESTIMATED + "Zq8!-kettle-harbour"
    with pytest.raises(Exception, match="too easy to guess"):
        password_policy.require(weak_start, email="a@example.org", username="a", admin=False)


@pytest.mark.parametrize("password", ["ada.lovelace-2024", "ADA.LOVELACE", "lovelace@x.org1",
                                      "ada.lovelace@x.org"])
def test_the_account_s_own_names_do_not_make_a_password(password):
    judged = password_policy.assess(password, email="ada.lovelace@x.org", username="countess")
    assert "email or username" in judged.problem(password_policy.USER)


def test_a_name_inside_a_strong_password_is_fine():
    judged = password_policy.assess("ada-tarn-ember-quill-58", email="ada@x.org", username="ada")
    assert judged.problem(password_policy.ADMIN) is None


@pytest.mark.parametrize("a, b", [("admin", "Admin"), ("admin", "\u0430dmin"),
                                  ("admin", "\uff41\uff44\uff4d\uff49\uff4e"),
                                  ("paypal", "\u0440\u0430\u0443\u0440\u0430l"),
                                  ("Stra\u00dfe", "strasse"), ("admin", " admin ")])
def test_lookalikes_share_a_form(a, b):
    assert canonical(a) == canonical(b)


@pytest.mark.parametrize("a, b", [("admin", "admins"), ("ana", "anna"), ("bob", "b0bby")])
def test_different_names_keep_different_forms(a, b):
    assert canonical(a) != canonical(b)


def test_assign_gives_a_form_to_the_oldest_or_to_its_current_holder():
    rows = [(3, "Admin", None), (1, "admin", None), (2, "bob", None)]
    forms, clashes = assign(rows)
    assert forms == {1: canonical("admin"), 2: canonical("bob"), 3: None}
    assert clashes == [(1, [3])]
    # Row 3 already holds the form (row 1 was renamed to it later, say): it keeps it.
    forms, clashes = assign([(1, "admin", None), (3, "Admin", canonical("admin"))])
    assert forms == {1: None, 3: canonical("admin")} and clashes == [(3, [1])]
