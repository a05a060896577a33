"""One host of two dies under load and comes back: nothing acknowledged is lost.

32 clients send every POST route that creates a record through haproxy
(docs/deploy/haproxy.cfg), each write with its own ``Idempotency-Key``,
retried with the same key on a connection error or a 5xx
(tests/fleet/writers.py). Host A's whole gunicorn
(master and workers) is SIGKILLed mid-load; B carries on alone; A is started
again and takes its share back. Then B is restarted with
``JANUS_SWEEP_GRACE_SECONDS=0``, so its start-up sweep removes what the dead
host's cut-off uploads left in the bucket. Last, some acknowledged writes
of every route are sent again with their keys straight to A and to B (an
answer lost after the commit: the kill rarely lands in that window).

Asserted: every write got an answer, 201; Janus itself never answered 5xx
(haproxy's own 502/503 while A was dying are counted, and retried); every
acknowledged write is its row (files in the bucket with their bytes), no
write left two rows, no object outlives the sweep. The figures are printed.
"""
from __future__ import annotations

import hashlib
import itertools
import threading
import time
import uuid

import pytest

from janus.db import init_database
from janus.models import Analytics, Image, Log, SecurityEvent, User
from janus.storage.base import key_of
from tests.fleet.cluster import call
from tests.fleet.writers import TOPIC, Load, png, replay, requests_for
from tests.live import multipart_image

pytestmark = pytest.mark.gunicorn

CLIENTS = 32
STEP = 80  # acknowledged writes before the kill, while A is dead, and after its return
DEADLINE = 120  # seconds; only a stuck run reaches it (and then fails)
REPLAYED_PER_ROUTE = 6  # acknowledged writes sent again to A and B, same key and bytes


def wait_for(load: Load, count: int) -> None:
    end = time.monotonic() + DEADLINE
    while load.acknowledged_count() < count:
        assert not load.failures, load.failures[:3]
        assert time.monotonic() < end, f"only {load.acknowledged_count()} writes acknowledged"
        time.sleep(0.05)


def rows_found(run_id: str, analysed_image: int) -> dict:
    """route -> ids of the rows the load left."""
    def ids(query):
        return [row_id for (row_id,) in query.tuples()]
    return {
        "POST /auth/register": ids(User.select(User.id).where(
            User.email.endswith(f"-{run_id}@example.com"))),
        "POST /users": ids(User.select(User.id).where(
            User.email.endswith(f"-{run_id}@example.org"))),
        "POST /images upload": ids(Image.select(Image.id).where(
            Image.filename.startswith("fleet") & Image.storage_key.is_null(False)
            & (Image.id != analysed_image))),
        "POST /images json": ids(Image.select(Image.id).where(
            Image.filename.startswith("fleetjson"))),
        "POST /logs": ids(Log.select(Log.id).where(Log.action == "fleet.event")),
        "POST /analytics": ids(Analytics.select(Analytics.id).where(
            Analytics.research_topic == TOPIC)),
        "POST /security-events": ids(SecurityEvent.select(SecurityEvent.id).where(
            SecurityEvent.action == "fleet_event")),
        "POST /images/{id}/analysis": ids(Analytics.select(Analytics.id).where(
            (Analytics.research_topic == "image_analysis")
            & (Analytics.image == analysed_image))),
    }


def orphans_after_sweep(bucket, deadline: float = 60) -> list:
    """Objects (originals) no row uses, once the start-up sweep has run: it
    runs in each worker's background thread, so wait for it."""
    used = {key for (key,) in Image.select(Image.storage_key).where(
        Image.storage_key.is_null(False)).tuples()}
    end = time.monotonic() + deadline
    while True:
        unused = [p for p in bucket.rglob("*") if p.is_file() and "thumbnails" not in p.parts
                  and p.relative_to(bucket).as_posix() not in used]
        if not unused or time.monotonic() > end:
            return unused
        time.sleep(0.5)


def test_a_host_killed_under_load_loses_no_acknowledged_write(fleet):
    cluster, world, url = fleet
    a, b = cluster.hosts
    raw, content_type = multipart_image(png(10**6), "fleet-analysed.png")
    status, _, image = call(cluster.address, "POST", "/images", world.root, raw=raw,
                            content_type=content_type)
    assert status == 201, image
    run_id = uuid.uuid4().hex[:8]
    load = Load(cluster.address, world, requests_for(world, image["id"], run_id))
    numbers, stop = itertools.count(1), threading.Event()
    threads = [threading.Thread(target=load.client, args=(numbers, stop))
               for _ in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        wait_for(load, STEP)
        a.kill_everything()  # the master and every worker at once: host A is gone
        wait_for(load, load.acknowledged_count() + STEP)  # B alone
        a.start()
        back, served_before = time.monotonic(), a.served()
        wait_for(load, load.acknowledged_count() + STEP)
        while time.monotonic() - back < 3:  # haproxy's checks see A up within a second
            time.sleep(0.1)
        served_after = a.served() - served_before
    finally:
        stop.set()
        for thread in threads:
            thread.join(DEADLINE)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads)
    assert not load.failures, load.failures[:5]
    assert not load.janus_5xx, (load.janus_5xx[:5], a.log(), b.log())
    assert served_after > 0, "haproxy sent nothing to the restarted host"

    # What an upload cut off between its object and its row leaves (the kill
    # rarely lands in that window): an object no row uses, for the sweep.
    cut_off = cluster.bucket_dir() / key_of(png(10**7))
    cut_off.parent.mkdir(parents=True, exist_ok=True)
    cut_off.write_bytes(png(10**7))
    db = init_database(url)
    try:
        left = len(orphans_after_sweep(cluster.bucket_dir(), deadline=0))
    finally:
        db.close()
    b.stop()
    b.start(JANUS_SWEEP_GRACE_SECONDS=0)
    replayed = replay(load, cluster.hosts, REPLAYED_PER_ROUTE)
    db = init_database(url)
    try:
        found = rows_found(run_id, image["id"])
        lost, duplicates = {}, {}
        for route, rows in found.items():
            acknowledged = set(load.acknowledged[route].values())
            lost[route] = len(acknowledged - set(rows))
            duplicates[route] = len(rows) - len(acknowledged & set(rows))
        bucket = cluster.bucket_dir()
        uploads = Image.select().where(Image.id.in_(
            list(load.acknowledged["POST /images upload"].values())))
        missing_files = [row.id for row in uploads
                         if not (bucket / row.storage_key).is_file()
                         or hashlib.sha256((bucket / row.storage_key).read_bytes()).hexdigest()
                         != row.sha256]
        orphans = orphans_after_sweep(bucket)
    finally:
        db.close()

    attempts_5xx = sum(count for status, count in load.statuses.items()
                       if status and status >= 500)
    acknowledged = sum(len(ids) for ids in load.acknowledged.values())
    print(f"\n[fleet] 2 hosts behind haproxy, {CLIENTS} clients, host A SIGKILLed and "
          f"restarted, {elapsed:.1f} s: {load.attempts} requests sent for {load.writes} "
          f"writes ({load.retried} retried with their Idempotency-Key), {acknowledged} 201s, "
          f"{sum(len(rows) for rows in found.values())} rows found, {attempts_5xx} 5xx "
          f"(haproxy's, while A died; 0 from Janus), "
          f"{load.statuses[None]} connection errors, {served_after} requests served by A "
          f"after its restart, {sum(lost.values())} acknowledged writes lost, "
          f"{left} objects without a row before the sweep, {len(orphans)} after it, "
          f"{sum(duplicates.values())} duplicates (after {replayed} acknowledged writes sent "
          "again, same key, to A and B in turn)")
    print("[fleet]   route: 201s / rows found / lost / duplicates")
    for route, rows in found.items():
        print(f"[fleet]   {route}: {len(load.acknowledged[route])} / {len(rows)} / "
              f"{lost[route]} / {duplicates[route]}")
    assert all(load.acknowledged[route] for route in found), "a route was never acknowledged"
    assert sum(lost.values()) == 0, lost
    assert sum(duplicates.values()) == 0, duplicates
    assert not missing_files, missing_files
    assert left >= 1
    assert not orphans, orphans[:5]
