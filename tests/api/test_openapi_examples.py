"""Every request body the document shows is one the API accepts: each JSON
example is posted as documented, on a fresh app, and answers its success
status (or, where the example names an object by id, the documented error
when no such object exists)."""
from __future__ import annotations

import pytest

from tests.api.helpers import call

# The order a reader would try them in: register, then log in as that account.
ORDER = [("post", "/auth/register"), ("post", "/auth/login"), ("patch", "/users/{user_id}"),
         ("post", "/users"), ("post", "/admins"), ("patch", "/admins/{admin_id}"),
         ("post", "/images"), ("patch", "/images/{image_id}"), ("post", "/logs"),
         ("post", "/security-events"), ("post", "/analytics"),
         ("patch", "/analytics/{record_id}"), ("post", "/api-keys"), ("post", "/auth/password"),
         ("post", "/auth/password-reset"), ("post", "/auth/password-reset/confirm"),
         ("post", "/auth/verify-email/resend"), ("post", "/auth/verify-email")]
# Examples that name an object by id in their body: on an app where that id
# is taken by another kind of row, or missing, the documented error answers.
NAMES_AN_ID = {("post", "/admins"): (404, 409)}
# A reset token is only ever mailed: the document's is well-formed and unknown,
# and answers the documented 422 on $.token.
REFUSED_AS_DOCUMENTED = {("post", "/auth/password-reset/confirm"): 422,
                         ("post", "/auth/verify-email"): 422}


@pytest.fixture
def examples(client):
    document = client.get("/openapi.json").json
    found = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody") if isinstance(op, dict) else None
            if body:
                found[(method, path)] = (body["content"]["application/json"]["example"],
                                         op["responses"])
    return found


def test_every_json_request_body_has_an_example(examples):
    assert set(examples) == set(ORDER)
    assert all(isinstance(example, dict) and example for example, _ in examples.values())


def test_every_example_is_accepted(client, superadmin, examples):
    ids: dict[str, int] = {}
    ada = None
    for method, path in ORDER:
        example, responses = examples[(method, path)]
        success = [int(s) for s in responses if int(s) < 300]
        actor = None if path.startswith("/auth/") else superadmin
        if path == "/auth/password":
            actor = ada
        url = path.format(**ids)
        res = call(client, method, url, actor, json=example)
        if (method, path) in NAMES_AN_ID and res.status_int not in success:
            assert res.status_int in NAMES_AN_ID[(method, path)], (path, res.text)
            # The same example about an object that exists: accepted.
            example = {**example, "user_id": ids["user_id"]}
            res = call(client, method, url, actor, json=example)
        if (method, path) in REFUSED_AS_DOCUMENTED:
            expected = REFUSED_AS_DOCUMENTED[(method, path)]
            assert res.status_int == expected and str(expected) in responses, res.text
            continue
        assert res.status_int in success, (method, path, res.status_int, res.text)
        body = res.json if res.body else {}
        if path == "/auth/register":
            ids["user_id"] = body["id"]
        elif path == "/auth/login":
            ada = _Bearer(body["token"])
        elif path == "/admins":
            ids["admin_id"] = body["id"]
        elif path == "/images":
            ids["image_id"] = body["id"]
        elif path == "/analytics":
            ids["record_id"] = body["id"]
    assert ada is not None and set(ids) == {"user_id", "admin_id", "image_id", "record_id"}


class _Bearer:
    def __init__(self, token: str):
        self.headers = {"Authorization": f"Bearer {token}"}
