"""Every write route under a real gunicorn (2 workers x 4 threads) and 32
concurrent clients, on each backend: no 5xx, and every acknowledged 201 is a
row in the database afterwards (counted per route), with its audit row.

This is what SQLite's BEGIN IMMEDIATE (janus.db), the lock order of
janus.services.admins and DatabasePlugin's retry of PostgreSQL deadlocks are
for: before them, 68% of POST /analytics with an image_id answered 503
"database is locked" on SQLite, and concurrent admin changes deadlocked on
PostgreSQL.
"""
from __future__ import annotations

import collections
import io
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image as PILImage

from janus.db import init_database
from janus.models import MAX_ID, Admin, Analytics, Image, Log, User
from janus.passwords import hash_password
from janus.repos.users import users
from janus.services.auth import issue_token
from tests.helpers import make_analytics, make_image, migrate, set_admin_level
from tests.live import Gunicorn, multipart_image, send

pytestmark = pytest.mark.gunicorn

CLIENTS = 32
REQUESTS_PER_CLIENT = 16
PASSWORD = "a load test passphrase"
TOPIC = "load-test"


def png(n: int) -> bytes:
    """A small PNG whose bytes differ for every n (no duplicate-upload 409s)."""
    im = PILImage.new("RGB", (16, 16), (n % 256, (n // 256) % 256, 99))
    im.putpixel((n % 16, (n // 16) % 16), (255 - n % 256, 7, 7))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


class World:
    """Users, tokens and rows made in-process before the server starts."""

    def __init__(self):
        self.users, self.images, self.records = [], {}, {}
        password_hash = hash_password(PASSWORD)  # once: argon2 costs ~50 ms a hash

        def account(name):
            # PASSWORD meets the admin rule of janus.password_policy (hashed
            # once here, so the rule is stated), so the churn may grant levels.
            return users.create(email=f"{name}@example.com", username=name,
                                password_hash=password_hash, password_rule="admin")
        for i in range(8):
            user = account(f"plain{i}")
            self.users.append((user.id, issue_token(user, 3600).plain))
            self.images[user.id] = make_image(user.id, filename=f"seed{i}.png").id
            self.records[user.id] = make_analytics("seed", {"i": i}, user=user.id,
                                                   image=self.images[user.id]).id
        self.supers = []
        for i in range(2):
            user = account(f"root{i}")
            set_admin_level(user, "superadmin")
            self.supers.append(issue_token(user, 3600).plain)
        # the users whose admin rights and role churn
        self.targets = [account(f"target{i}").id for i in range(6)]


def operations(port: int, world: World):
    """Each operation: (route, expected statuses, fn(n) -> (status, body))."""
    def user(n):
        return world.users[n % len(world.users)]

    def root(n):
        return world.supers[n % len(world.supers)]

    def target(n):
        return world.targets[n % len(world.targets)]

    def admin_row_of(n):
        status, page = send(port, "GET", "/admins?limit=100", root(n))
        assert status == 200, page
        rows = [row["id"] for row in page["items"] if row["user_id"] == target(n)]
        return rows[0] if rows else MAX_ID  # a row that does not exist: 404

    def analytics_post(n):
        uid, token = user(n)
        return send(port, "POST", "/analytics", token, {
            "research_topic": TOPIC, "data": {"n": n}, "image_id": world.images[uid]})

    def analytics_patch(n):
        uid, token = user(n)
        return send(port, "PATCH", f"/analytics/{world.records[uid]}", token,
                    {"data": {"n": n}, "image_id": world.images[uid]})

    def image_json(n):
        return send(port, "POST", "/images", user(n)[1], {
            "filename": f"json{n}.png", "format": "PNG", "width": 64, "height": 48,
            "color_type": "RGB", "bit_depth": 8, "file_size": 1000 + n})

    def image_upload(n):
        body, content_type = multipart_image(png(n), f"upload{n}.png")
        return send(port, "POST", "/images", user(n)[1], raw=body, content_type=content_type)

    def image_patch(n):
        uid, token = user(n)
        return send(port, "PATCH", f"/images/{world.images[uid]}", token,
                    {"filename": f"renamed{n}.png"})

    def log_post(n):
        return send(port, "POST", "/logs", user(n)[1],
                    {"action": "load.event", "module": "load", "log_metadata": {"n": n}})

    def admin_post(n):
        level = ("moderator", "superadmin")[n % 2]
        return send(port, "POST", "/admins", root(n), {"user_id": target(n), "admin_level": level})

    def admin_patch(n):
        level = ("moderator", "superadmin")[n % 2]
        return send(port, "PATCH", f"/admins/{admin_row_of(n)}", root(n), {"admin_level": level})

    def admin_delete(n):
        return send(port, "DELETE", f"/admins/{admin_row_of(n)}", root(n))

    def user_role(n):
        body = {"role": "user"} if n % 2 else {"role": "admin", "admin_level": "moderator"}
        return send(port, "PATCH", f"/users/{target(n)}", root(n), body)

    def register(n):
        return send(port, "POST", "/auth/register", None, {
            "email": f"reg{n}@example.com", "username": f"reg{n}", "password": PASSWORD})

    def login(n):
        uid, _ = user(n)
        return send(port, "POST", "/auth/login", None,
                    {"login": f"plain{world.users.index(user(n))}", "password": PASSWORD})

    return [
        ("POST /analytics", {201}, analytics_post),
        ("PATCH /analytics", {200}, analytics_patch),
        ("POST /images json", {201}, image_json),
        ("POST /images multipart", {201}, image_upload),
        ("PATCH /images", {200}, image_patch),
        ("POST /logs", {201}, log_post),
        ("POST /admins", {201, 409}, admin_post),
        ("PATCH /admins", {200, 404}, admin_patch),
        ("DELETE /admins", {204, 404}, admin_delete),
        ("PATCH /users role", {200}, user_role),
        ("POST /auth/register", {201}, register),
        ("POST /auth/login", {200}, login),
    ]


@pytest.fixture
def live(db_factory, tmp_path):
    url = db_factory.new_url()
    db = init_database(url)
    migrate(db)
    world = World()
    db.close()
    server = Gunicorn(url, tmp_path / "storage", tmp_path / "gunicorn.log").start()
    try:
        yield server, world, tmp_path / "storage"
    finally:
        server.stop()
        db.close_all()


ADMIN_ROUTES = ("POST /admins", "PATCH /admins", "DELETE /admins", "PATCH /users role")


@pytest.mark.parametrize("mix", ["every-route", "admin-churn"])
def test_every_write_route_under_32_concurrent_clients(live, backend, mix):
    """``admin-churn``: only the admin and role changes, all on six users, so
    they meet (before the lock order: duplicate-key 500s on POST /admins,
    deadlocks on PostgreSQL, a 404 for a role change whose user's admin row a
    concurrent revoke had removed)."""
    server, world, storage = live
    per_client = REQUESTS_PER_CLIENT if mix == "every-route" else REQUESTS_PER_CLIENT // 2
    ops = [op for op in operations(server.port, world)
           if mix == "every-route" or op[0] in ADMIN_ROUTES]
    numbers = itertools.count(1)
    lock = threading.Lock()
    results = collections.defaultdict(list)  # route -> [(status, body)]

    def client(c):
        for i in range(per_client):
            route, _, fn = ops[(c + i * 5) % len(ops)]
            with lock:
                n = next(numbers)
            status, body = fn(n)
            with lock:
                results[route].append((status, body))

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))

    server_errors = [(route, status, body) for route, rows in results.items()
                     for status, body in rows if status >= 500]
    assert not server_errors, (server_errors[:5], server.log())
    for route, expected, _ in ops:
        statuses = collections.Counter(status for status, _ in results[route])
        assert set(statuses) <= expected, (route, statuses, results[route][:3])

    def created(route):
        return {body["id"] for status, body in results[route] if status == 201}

    # rows found == 201s acknowledged, per route (and each with its audit row)
    found = {
        "POST /analytics": {row.id for row in Analytics.select().where(
            Analytics.research_topic == TOPIC)},
        "POST /images json": {row.id for row in Image.select().where(
            Image.filename.startswith("json"))},
        "POST /images multipart": {row.id for row in Image.select().where(
            Image.storage_key.is_null(False))},
        "POST /logs": {row.id for row in Log.select().where(Log.action == "load.event")},
        "POST /auth/register": {row.id for row in User.select().where(
            User.email.startswith("reg"))},
    }
    audited = {
        "POST /analytics": "analytics.created", "POST /images json": "image.created",
        "POST /images multipart": "image.uploaded", "POST /auth/register": "user.registered",
    }
    report = {}
    for route, rows in found.items():
        acknowledged = created(route)
        assert rows == acknowledged, (route, len(rows), len(acknowledged))
        if route in audited:
            logged = {meta["object_id"] for (meta,) in Log.select(Log.log_metadata).where(
                Log.action == audited[route]).tuples()}
            assert acknowledged <= logged, route
        report[route] = (len(results[route]), len(acknowledged), len(rows))
    for image in Image.select().where(Image.storage_key.is_null(False)):
        key = image.storage_key
        assert (storage / key).is_file(), key
    # the admin churn left the invariant: role 'admin' exactly when an admins row exists
    admin_users = {uid for (uid,) in Admin.select(Admin.user).tuples()}
    roles = dict(User.select(User.id, User.role).tuples())
    assert {uid for uid, role in roles.items() if role == "admin"} == admin_users
    assert sum(map(len, results.values())) == CLIENTS * per_client
    print(f"\n[{backend} {mix}] {CLIENTS * per_client} requests, 0 5xx; "
          "route: sent / 201s / rows found")
    for route, (sent, acknowledged, rows) in report.items():
        if sent:
                print(f"[{backend} {mix}]   {route}: {sent} / {acknowledged} / {rows}")
    statuses = {route: dict(collections.Counter(s for s, _ in rows))
                for route, rows in results.items() if rows}
    print(f"[{backend} {mix}]   statuses: {statuses}")
    print(f"[{backend} {mix}]   handlers retried after a deadlock or serialization failure: "
          f"{server.log_path.read_text().count('retrying')}")
