"""The clients of the host-crash test: every POST route that creates a record,
through haproxy, each write with its own ``Idempotency-Key``, retried with the
same key and body on a connection error or a 5xx until it gets an answer.

Each write carries a marker (``n``) that finds its row afterwards, so the test
can count, per route, the rows each acknowledged write left: exactly one.
"""
from __future__ import annotations

import collections
import dataclasses
import http.client
import io
import threading
import time

from PIL import Image as PILImage

from tests.fleet.cluster import call
from tests.live import multipart_image

RETRY_DEADLINE = 60  # seconds one write may keep failing before the test fails
TOPIC = "fleet-load"


def png(n: int) -> bytes:
    """A small PNG whose bytes differ for every n (no duplicate-upload 409s)."""
    im = PILImage.new("RGB", (16, 16), (n % 256, (n // 256) % 256, 77))
    im.putpixel((n % 16, (n // 16) % 16), (255 - n % 256, 9, 9))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def requests_for(world, analysed_image: int, run_id: str):
    """route -> fn(n) -> (token, body kwargs for call)."""
    def user(n):
        return world.users[n % len(world.users)][1]

    def upload(n):
        raw, content_type = multipart_image(png(n), f"fleet{n}.png")
        return user(n), "/images", {"raw": raw, "content_type": content_type}

    return {
        "POST /auth/register": lambda n: (None, "/auth/register", {"body": {
            "email": f"reg{n}-{run_id}@example.com", "username": f"reg{n}{run_id}",
            "password": "a fleet registration passphrase"}}),
        "POST /users": lambda n: (world.root, "/users", {"body": {
            "email": f"made{n}-{run_id}@example.org", "username": f"made{n}{run_id}",
            "password": "a fleet account passphrase"}}),
        "POST /images upload": upload,
        "POST /images json": lambda n: (user(n), "/images", {"body": {
            "filename": f"fleetjson{n}.png", "format": "PNG", "width": 64, "height": 48,
            "color_type": "RGB", "bit_depth": 8, "file_size": 1000 + n}}),
        "POST /logs": lambda n: (user(n), "/logs", {"body": {
            "action": "fleet.event", "module": "fleet", "log_metadata": {"n": n}}}),
        "POST /analytics": lambda n: (user(n), "/analytics", {"body": {
            "research_topic": TOPIC, "data": {"n": n}}}),
        "POST /security-events": lambda n: (world.root, "/security-events", {"body": {
            "action": "fleet_event", "security_metadata": {"n": n}}}),
        "POST /images/{id}/analysis": lambda n: (
            world.root, f"/images/{analysed_image}/analysis?k=2", {}),
    }


@dataclasses.dataclass
class Load:
    address: str  # haproxy
    world: object
    routes: dict
    attempts: int = 0
    writes: int = 0
    statuses: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    janus_5xx: list = dataclasses.field(default_factory=list)  # 5xx with Janus's envelope
    retried: int = 0  # writes sent more than once
    acknowledged: dict = dataclasses.field(
        default_factory=lambda: collections.defaultdict(dict))  # route -> {n: id}
    failures: list = dataclasses.field(default_factory=list)
    sent: dict = dataclasses.field(default_factory=dict)  # (route, n) -> the exact request
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def acknowledged_count(self) -> int:
        with self.lock:
            return sum(len(ids) for ids in self.acknowledged.values())

    def write(self, route: str, n: int) -> None:
        token, path, kwargs = self.routes[route](n)
        key = f"fleet-{route.split()[1].strip('/').replace('/', '-')}-{n}"
        deadline, tries = time.monotonic() + RETRY_DEADLINE, 0
        while True:
            tries += 1
            with self.lock:
                self.attempts += 1
            try:
                status, _, answer = call(self.address, "POST", path, token,
                                         headers={"Idempotency-Key": key}, **kwargs)
            except (OSError, http.client.HTTPException):
                status, answer = None, None
            with self.lock:
                self.statuses[status] += 1
                if status and status >= 500 and isinstance(answer, dict):
                    self.janus_5xx.append((route, status, answer))
            if status is not None and status < 500:
                break
            if time.monotonic() > deadline:
                with self.lock:
                    self.failures.append((route, n, status, answer))
                return
            time.sleep(0.05)  # the host died, or haproxy has not noticed yet
        with self.lock:
            self.writes += 1
            self.retried += tries > 1
            if status == 201:
                self.acknowledged[route][n] = answer["id"]
                self.sent[route, n] = (token, path, kwargs, key)
            else:
                self.failures.append((route, n, status, answer))

    def client(self, numbers, stop: threading.Event) -> None:
        names = list(self.routes)
        while not stop.is_set():
            with self.lock:
                n = next(numbers)
            self.write(names[n % len(names)], n)


def replay(load: Load, hosts, per_route: int) -> int:
    """Send acknowledged writes again, same key and bytes, straight to each
    host in turn (a client whose answer was lost retries, and lands on
    another host): each must answer 201 with the first answer's id, marked
    replayed, and write nothing. Returns how many were replayed.

    The request says what haproxy said of this client (``X-Forwarded-For:
    127.0.0.1``): a public route's keys (register) are scoped by the
    client's address."""
    replayed = 0
    for route, ids in load.acknowledged.items():
        for i, (n, first_id) in enumerate(sorted(ids.items())[:per_route]):
            token, path, kwargs, key = load.sent[route, n]
            host = hosts[i % len(hosts)]
            status, headers, answer = call(
                host.address, "POST", path, token, **kwargs,
                headers={"Idempotency-Key": key, "X-Forwarded-For": "127.0.0.1"})
            assert status == 201, (route, n, host.name, status, answer)
            assert answer["id"] == first_id, (route, n, host.name, answer)
            assert headers.get("Idempotent-Replayed") == "true", (route, n, dict(headers))
            replayed += 1
    return replayed
