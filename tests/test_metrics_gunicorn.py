"""GET /metrics under a real gunicorn (2 workers x 4 threads): the counts are
every worker's summed whichever worker answers the scrape, survive a worker's
death, and the multiprocess directory is set up and cleaned by
gunicorn.conf.py; every counter is there at 0 before any event, beside
janus_build_info and the runtime's process_* and python_* series."""
from __future__ import annotations

import http.client
import importlib.metadata
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from janus import metrics
from janus.db import init_database
from tests.helpers import migrate
from tests.live import Gunicorn, send

pytestmark = pytest.mark.gunicorn
ROUND = 16  # concurrent requests per round
MAX_ROUNDS = 50  # only a server whose second worker never serves reaches it
SCRAPES = 6
WAIT = 60  # seconds; only a worker that is never replaced reaches it


def scrape(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200, text
    assert response.getheader("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def index_count(port: int) -> float:
    key = ("janus_http_requests_total",
           (("method", "GET"), ("route", "/"), ("status", "200")))
    return scrape(port).get(key, 0.0)


def writers(directory) -> set[int]:
    """The pids that wrote request counters into the multiprocess directory."""
    return {int(m[1]) for name in os.listdir(directory)
            if (m := re.fullmatch(r"counter_(\d+)\.db", name))}


def send_round(port: int) -> int:
    with ThreadPoolExecutor(ROUND) as pool:
        statuses = list(pool.map(lambda _: send(port, "GET", "/")[0], range(ROUND)))
    assert statuses == [200] * ROUND
    return ROUND


@pytest.fixture
def start(db_factory, tmp_path):
    servers = []

    def start_server(**env) -> Gunicorn:
        url = db_factory.new_url()
        db = init_database(url)
        migrate(db)
        db.close()
        env.setdefault("TMPDIR", str(tmp_path / "tmp"))
        os.makedirs(env["TMPDIR"], exist_ok=True)
        server = Gunicorn(url, tmp_path / "storage", tmp_path / "gunicorn.log", **env)
        servers.append(server)
        return server.start()

    yield start_server
    for server in servers:
        server.stop()


def test_counts_summed_over_both_workers_whichever_answers(start, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_4242.db").write_bytes(b"a previous run's leftovers")
    server = start(PROMETHEUS_MULTIPROC_DIR=str(directory))
    assert not (directory / "counter_4242.db").exists()  # cleared at start

    workers = set(server.worker_pids())
    assert len(workers) == 2
    sent = 0
    for _ in range(MAX_ROUNDS):  # until both workers have served some of them
        sent += send_round(server.port)
        if workers <= writers(directory):
            break
    assert workers <= writers(directory), "one worker served every request"

    # Each scrape is served by one worker or the other; every one sums both.
    assert [index_count(server.port) for _ in range(SCRAPES)] == [sent] * SCRAPES

    # A worker that dies takes none of its counts with it.
    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + WAIT
    while victim in server.worker_pids() or len(server.worker_pids()) < 2:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    assert index_count(server.port) == sent


def test_a_private_directory_by_default_removed_at_exit(start, tmp_path):
    server = start()
    made = list((tmp_path / "tmp").glob("janus-metrics-*"))
    assert len(made) == 1
    sent = sum(send_round(server.port) for _ in range(3))
    assert [index_count(server.port) for _ in range(SCRAPES)] == [sent] * SCRAPES
    assert writers(made[0])  # the workers write there
    server.stop()
    assert not made[0].exists()


def test_counters_at_zero_build_info_and_runtime_series_from_the_start(start):
    server = start()
    samples = scrape(server.port)  # nothing but /health has been asked yet

    def value(name: str, **labels) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    for name in ("janus_uploads_total", "janus_upload_bytes_total",
                 "janus_database_conflicts_total"):
        assert value(name) == 0.0, name
    for counter, values in metrics.KNOWN.items():
        (label,) = counter._labelnames
        for known in values:
            assert value(f"{counter._name}_total", **{label: known}) == 0.0, (counter, known)
    assert value("janus_build_info", version=importlib.metadata.version("janus")) == 1.0

    # process_* for the master and each worker, told apart by their labels.
    processes = {(str(server.proc.pid), "master")} | {
        (str(pid), "worker") for pid in server.worker_pids()}
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                 "process_start_time_seconds", "process_open_fds"):
        found = {(dict(labels)["pid"], dict(labels)["process"])
                 for (sample, labels) in samples if sample == name}
        assert found == processes, name
        assert all(value(name, pid=pid, process=role) > 0 for pid, role in processes)
    assert [labels for (sample, labels) in samples if sample == "python_info"]
    for generation in ("0", "1", "2"):
        for name in ("python_gc_collections_total", "python_gc_objects_collected_total",
                     "python_gc_objects_uncollectable_total"):
            assert value(name, generation=generation) is not None, (name, generation)
