"""``?q=`` on every list, on both backends: a case-insensitive literal
substring of the list's declared text fields (janus.lists.search).

Each list gets rows whose searched fields hold the same texts (non-ASCII,
quotes, LIKE wildcards, near misses); every query's answer, paged, is
compared with an oracle built here: Python's ``lower()`` and ``in`` over the
stored values of the rows the actor may see, newest first.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from janus.lists.search import MAX_LENGTH
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.repos.users import users
from tests.api.helpers import assert_error, call, walk
from tests.helpers import make_analytics, make_image, set_admin_level

# Texts the searched fields hold; each row's value is a unique tag + one text.
TEXTS = ["Ünïcödé Straße", 'say "hi" now', "50%_off\\x", "50xyoff", "ΣΊΣΥΦΟΣ", "plain"]
# What is searched for. Mixed case and non-ASCII; substrings across a space;
# a quote (an FTS5 phrase's delimiter); LIKE's wildcards and escape, which
# must match only themselves ("0%_o" as a pattern would also match "50xyoff");
# 1 and 2 characters (a scan on SQLite; "ün" and "σί" fold non-ASCII capitals
# there too); a text longer than any value.
QUERIES = ["ünï", "ÜNÏCÖDÉ", "straße", "STRAßE", "dé st", "ïc", "ün", "σί", "ß", "σίσυ",
           '"hi"', '"', "%", "_", "\\", "0%_o", "%_off", "F", "nowhere",
           "Ünïcödé Straße and more"]
_tags = itertools.count(1)  # unique values
_turns = itertools.count(1)  # alternating rows (a filter keeps every other one)


@dataclass
class Spec:
    model: type
    fields: tuple[str, ...]  # the searched fields, as the API names them
    make: Callable  # make(owner, {field: value}) -> row
    owner: Callable  # row -> the id of the user who may see it (None: admins only)
    # A filter that combines with q: (parameter, value, row -> kept?)
    narrowed: tuple[str, object, Callable]


def _user(owner, values, levels=(None, "moderator")):
    """A user (every other one an admin, at one of ``levels`` in turn)."""
    tag = next(_tags)
    user = users.create(email=values.get("email", f"n{tag}@example.com"),
                        username=values.get("username", f"n{tag}"),
                        password_hash="x", password_rule="admin")
    level = levels[next(_turns) % len(levels)]
    if level is not None:
        set_admin_level(user, level)
    return user


def _admin(owner, values):
    user = _user(owner, values, levels=("moderator", "superadmin"))
    return Admin.get(Admin.user == user.id)


SPECS = {
    "/users": Spec(User, ("email", "username"), _user, lambda row: row.id,
                   ("role", "user", lambda row: row.role == "user")),
    "/admins": Spec(Admin, ("username", "email"), _admin, lambda row: None,
                    ("admin_level", "moderator", lambda row: row.admin_level == "moderator")),
    "/images": Spec(Image, ("filename",),
                    lambda owner, v: make_image(owner, width=100 + next(_turns) % 2, **v),
                    lambda row: row.owner_id, ("min_width", 101, lambda row: row.width >= 101)),
    "/logs": Spec(Log, ("action", "module"),
                  lambda owner, v: logs.record(v.get("action", "n.a"), v.get("module", "m"),
                                               user=owner, level="info" if next(_turns) % 2
                                               else "error"),
                  lambda row: row.user_id, ("level", "error", lambda row: row.level == "error")),
    "/analytics": Spec(Analytics, ("research_topic",),
                       lambda owner, v: make_analytics(v["research_topic"], user=owner),
                       lambda row: row.user_id, ("user_id", None, None)),
    "/security-events": Spec(
        SecurityEvent, ("account", "action", "user_agent"),
        lambda owner, v: security_events.record(
            v.get("action", "n"), user=owner, account=v.get("account"),
            user_agent=v.get("user_agent", "agent" if next(_turns) % 2 else None)),
        lambda row: row.user_id, ("action", "n", lambda row: row.action == "n")),
}


def _value(field: str, text: str) -> str:
    tag = next(_tags)
    if field == "filename":
        text = text.replace("\\", "-")  # a file name holds no backslash
    return f"{tag}{text}@example.com" if field == "email" else f"{tag} {text}"


def _searched(path: str, row) -> list[str]:
    """The stored values of the row's searched fields (an admin's are its user's)."""
    source = User.get_by_id(row.user_id) if path == "/admins" else type(row).get_by_id(row.id)
    return [getattr(source, field) or "" for field in SPECS[path].fields]


def expected(path: str, rows, q: str, keep=lambda row: True) -> list[int]:
    """The oracle: ids of ``rows`` holding ``q`` case-insensitively in a
    searched field, newest first."""
    model = SPECS[path].model
    when = getattr(model, model.ordering_field)
    hits = {row.id for row in rows if keep(type(row).get_by_id(row.id))
            and any(q.lower() in value.lower() for value in _searched(path, row))}
    return [row.id for row in model.select().where(model.id.in_(hits))
            .order_by(when.desc(), model.id.desc())] if hits else []


@pytest.fixture
def searched(actors):
    """Per list, two rows per searched field and text, alice's and bob's;
    returns the path's rows."""
    def make(path: str) -> list:
        spec, rows = SPECS[path], []
        for field in spec.fields:
            for text in TEXTS:
                for owner in (actors["alice"], actors["bob"]):
                    rows.append(spec.make(owner.id, {field: _value(field, text)}))
        return rows
    return make


def _ids(client, path, actor, **params) -> list[int]:
    items, _pages = walk(client, path, actor, limit=2, **params)
    return [item["id"] for item in items]


@pytest.mark.parametrize("path", sorted(SPECS))
def test_q_finds_exactly_the_rows_holding_the_text(client, actors, searched, path):
    rows = searched(path)
    admin = actors["superadmin"]
    everything = list(SPECS[path].model.select())  # the actors' own rows too
    assert len(everything) >= len(rows)
    for q in QUERIES:
        want = expected(path, everything, q)
        assert _ids(client, path, admin, q=q) == want, q
    # The texts were found at all: the oracle is not trivially empty.
    assert expected(path, rows, "ünï") and expected(path, rows, "%")


@pytest.mark.parametrize("path", sorted(SPECS))
def test_q_combines_with_a_filter(client, actors, searched, path):
    rows = searched(path)
    name, value, keep = SPECS[path].narrowed
    if name == "user_id":
        value, keep = actors["bob"].id, lambda row: row.user_id == actors["bob"].id
    for q in ("ünï", "ï", "50", "%"):
        want = expected(path, rows, q, keep)
        got = _ids(client, path, actors["superadmin"], q=q, **{name: value})
        assert got == want and set(want) < set(expected(path, rows, q)), (q, got, want)


@pytest.mark.parametrize("path", sorted(SPECS))
def test_q_finds_only_what_the_actor_may_see(client, actors, searched, path):
    rows = searched(path)
    alice = actors["alice"]
    owner = SPECS[path].owner
    for q in ("ünï", "Ü", "@", "n", "%"):
        res = call(client, "GET", path, alice, params={"q": q, "limit": 500})
        if path == "/admins":
            assert_error(res, 403, "forbidden")
            continue
        assert res.status_int == 200, res.text
        everything = list(SPECS[path].model.select())
        want = expected(path, everything, q, lambda row: owner(row) == alice.id)
        assert [item["id"] for item in res.json["items"]] == want, q
        assert len(want) < len(expected(path, rows + everything, q)) or not want, q


@pytest.mark.parametrize("path", sorted(SPECS))
@pytest.mark.parametrize("q, status", [("", 422), ("x" * (MAX_LENGTH + 1), 422),
                                       ("x" * MAX_LENGTH, 200), ("\u00e9" * MAX_LENGTH, 200)])
def test_q_length(client, actors, path, q, status):
    res = call(client, "GET", path, actors["superadmin"], params={"q": q})
    if status == 422:
        assert_error(res, 422, "validation_error")
    else:
        assert res.status_int == 200 and res.json["items"] == [], res.text


def test_changed_and_deleted_rows_are_found_as_they_are_now(client, actors):
    """The index follows writes through the API: a changed email is found by
    its new text only, a deleted image not at all."""
    alice, admin = actors["alice"], actors["superadmin"]
    res = call(client, "PATCH", f"/users/{alice.id}", admin, json={"email": "Zoë@Example.com"})
    assert res.status_int == 200, res.text
    assert _ids(client, "/users", admin, q="zoË@") == [alice.id]
    assert _ids(client, "/users", admin, q="alice@") == []
    image = make_image(alice.id, filename="Ünïque-Ünïcödé.png")
    assert _ids(client, "/images", admin, q="ünïque") == [image.id]
    assert call(client, "DELETE", f"/images/{image.id}", alice).status_int == 204
    assert _ids(client, "/images", admin, q="ünïque") == []
