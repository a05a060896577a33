"""A crawl of every GET route, as a superadmin and as a user, over data of
every kind made through the API: no answer contains a secret (password
hashes, token hashes)."""
from __future__ import annotations

import re

from janus.models import MODELS, ApiKey, AuthToken, Image, User
from tests.api.helpers import NEW_PASSWORD, PASSWORD, call, image_body, storage_dir
from tests.images import photo_like, save

# -- the crawl: nothing secret in any GET answer ----------------------------

_PARAM = re.compile(r"<(\w+):int>")
_PARAM_TABLES = {"user_id": "users", "admin_id": "admins", "image_id": "images",
                 "log_id": "logs", "record_id": "analytics", "event_id": "security"}


def _populate(client, world):
    """Data of every kind, made through the API, including the auth flows."""
    alice, root, mod = world["alice"], world["root"], world["mod"]
    assert call(client, "POST", "/auth/register", json={
        "email": "crawler@example.com", "username": "crawler",
        "password": PASSWORD}).status_int == 201
    login = call(client, "POST", "/auth/login", json={"login": "crawler", "password": PASSWORD})
    assert login.status_int == 200
    token = login.json["token"]
    crawler = {"Authorization": f"Bearer {token}"}
    assert call(client, "POST", "/auth/login",
                json={"login": "crawler", "password": "wrong!"}).status_int == 401
    assert call(client, "POST", "/auth/password", headers=crawler, json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_int == 200
    again = call(client, "POST", "/auth/login",
                 json={"login": "crawler@example.com", "password": NEW_PASSWORD})
    assert again.status_int == 200
    crawler = {"Authorization": f"Bearer {again.json['token']}"}
    image = call(client, "POST", "/images", headers=crawler, json=image_body()).json
    shot = client.post("/images", params={}, headers=crawler, status="*",
                       upload_files=[("file", "crawl.png", save(photo_like(23), "PNG"))])
    assert shot.status_int == 201, shot.text
    assert call(client, "POST", f"/images/{shot.json['id']}/analysis",
                headers=crawler).status_int == 201
    assert call(client, "POST", "/analytics", headers=crawler, json={
        "research_topic": "t", "data": {"k": [1]}, "image_id": image["id"]}).status_int == 201
    assert call(client, "POST", "/logs", headers=crawler,
                json={"action": "ui.opened", "module": "ui"}).status_int == 201
    assert call(client, "POST", "/security-events", mod,
                json={"action": "gateway_block", "account": "crawler"}).status_int == 201
    assert call(client, "POST", "/users", root, json={
        "email": "made@example.com", "username": "made", "password": PASSWORD,
        "role": "admin", "admin_level": "moderator"}).status_int == 201
    assert call(client, "PATCH", f"/users/{alice.id}", root,
                json={"username": "alice-renamed"}).status_int == 200
    key = call(client, "POST", "/api-keys", headers=crawler,
               json={"name": "crawler", "scopes": ["images:read", "logs:read"]})
    assert key.status_int == 201
    machine = {"Authorization": f"Bearer {key.json['key']}"}
    assert call(client, "GET", "/images", headers=machine).status_int == 200
    assert call(client, "POST", "/api-keys", root,
                json={"name": "admin-ci", "scopes": ["admin:read"]}).status_int == 201
    spare = call(client, "POST", "/auth/login", json={"login": "bob", "password": PASSWORD})
    assert call(client, "POST", "/auth/logout",
                headers={"Authorization": f"Bearer {spare.json['token']}"}).status_int == 204
    return crawler


def test_no_get_answer_contains_a_secret(app, client, world):
    crawler = _populate(client, world)
    secrets = ["$argon2", "password_hash"] + [t.token_hash for t in AuthToken.select()]
    secrets += [u.password_hash for u in User.select()]
    secrets += [k.key_hash for k in ApiKey.select()] + ["key_hash"]
    assert len(secrets) > 8
    secrets = [secret.encode() for secret in secrets]
    ids = {model._meta.table_name: [m.id for m in model.select()] for model in MODELS}
    root = storage_dir(app)
    without_file = {i.id for i in Image.select()
                    if i.storage_key is None or not (root / i.storage_key).is_file()}
    viewers = {"superadmin": world["root"].headers, "user": crawler}
    seen = {name: 0 for name in viewers}
    for spec in app.janus_api.specs:
        if spec.method != "GET":
            continue
        path = spec.path.replace("<name>", "docs.js")  # the API reference's files
        params = _PARAM.findall(path)
        assert len(params) <= 1, path
        urls = ([(_PARAM.sub(str(i), path), i) for i in ids[_PARAM_TABLES[params[0]]]]
                if params else [(path + ("?limit=500" if "limit" in getattr(
                    spec.query, "__struct_fields__", ()) else ""), None)])
        needs_file = re.search(r"/(file|thumbnail|similar)$", spec.path) is not None
        # /metrics answers loopback only (JANUS_METRICS_ALLOW's default)
        local = {"extra_environ": {"REMOTE_ADDR": "127.0.0.1"}} if path == "/metrics" else {}
        for url, object_id in urls:
            for name, headers in viewers.items():
                res = call(client, "GET", url, headers=headers, **local)
                if name == "superadmin":
                    expected = ({404, 409} if needs_file and object_id in without_file
                                else {200})
                else:
                    expected = {200, 403, 404, 409}
                assert res.status_int in expected, (name, url, res.status_int, res.body[:300])
                seen[name] += res.status_int == 200
                for secret in secrets:
                    assert secret not in res.body, (name, url, secret)
    # The crawl really read objects, not just refusals.
    assert seen["superadmin"] > 40 and seen["user"] > 10, seen
