"""Every list that has an object route: keyset pages in order, and rows about
nobody shown to admins only. Generated from the app's route list, like the
access matrix in test_access.py."""
from __future__ import annotations

import secrets

import pytest

from janus.models import ApiKey, Image
from janus.repos.logs import logs
from janus.repos.security import security_events
from tests.api.helpers import ID_ROUTES, walk
from tests.api.helpers import assert_error as error_of
from tests.helpers import make_analytics, make_image

# Rows of each list that has an object route, made for a given owner (None: a
# row about nobody, e.g. after its user was deleted).
LIST_ROWS = {
    "/images": lambda user: make_image(user.id),
    "/analytics": lambda user: make_analytics("matrix", {"n": 1},
                                             user=None if user is None else user.id),
    "/logs": lambda user: logs.record("matrix.touched", "matrix", user=user),
    "/security-events": lambda user: security_events.record("matrix_event", user=user),
    "/api-keys": lambda user: ApiKey.create(owner=user, name="matrix", prefix="jns_matrix",
                                            key_hash=secrets.token_hex(32), scopes=["logs:read"]),
}
OWNERLESS = ["/analytics", "/logs", "/security-events"]  # tables whose user may be NULL


def test_every_owned_list_has_rows():
    lists = {path.rsplit("/", 1)[0] for _m, path in ID_ROUTES if path.endswith(">")}
    # /auth/sessions: each viewer's own only, admins too (tests/api/test_sessions.py).
    assert set(LIST_ROWS) == lists - {"/users", "/admins", "/auth/sessions"}


@pytest.mark.parametrize("viewer", ["owner", "moderator"])
@pytest.mark.parametrize("path", sorted(LIST_ROWS))
def test_keyset_pages_matrix(client, actors, path, viewer):
    """Newest first, no row twice, every visible row once, ceil(n / limit) pages."""
    alice, bob = actors["alice"], actors["bob"]
    rows = [LIST_ROWS[path]((alice if n % 3 else bob).user) for n in range(8)]
    actor = alice if viewer == "owner" else actors["moderator"]
    model = type(rows[0])
    when = getattr(model, model.ordering_field)
    visible = [r.id for r in model.select().order_by(when.desc(), model.id.desc())
               if viewer == "moderator" or r.id in {x.id for x in rows if
                                                    _owner_id(x) == alice.id}]
    items, pages = walk(client, path, actor, limit=3)
    assert [item["id"] for item in items] == visible
    assert pages == -(-len(visible) // 3)


@pytest.mark.parametrize("path", OWNERLESS)
def test_rows_about_nobody_are_for_admins_only(client, actors, path):
    row = LIST_ROWS[path](None)
    for who, sees in [("alice", False), ("moderator", True), ("superadmin", True)]:
        actor = actors[who]
        listed = client.get(path, {"limit": 500}, headers=actor.headers, status=200).json
        assert (row.id in {item["id"] for item in listed["items"]}) == sees, who
        res = client.get(f"{path}/{row.id}", headers=actor.headers, status="*")
        if sees:
            assert res.status_int == 200 and res.json["id"] == row.id
        else:
            error_of(res, 404, "not_found")


def _owner_id(row) -> int | None:
    return row.owner_id if isinstance(row, Image | ApiKey) else row.user_id
