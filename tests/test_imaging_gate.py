"""janus.imaging.gate: at most JANUS_DECODE_CONCURRENCY full decodes at once
per process, at most IN_GATE callers decoding or waiting, a 503 beyond.
Observed with a hook inside the decode, never by timing."""
from __future__ import annotations

import threading
import time

import pytest

from janus.config import Config
from janus.errors import ServiceUnavailable
from janus.imaging import analysis, gate
from janus.web.app import create_app
from tests.images import photo_like, save

DATA = save(photo_like(7, (64, 48)), "PNG")


@pytest.fixture
def held(monkeypatch):
    """Every analysis blocks inside its decode slot until ``release`` is set;
    ``state`` has the most decodes ever seen at once."""
    release, lock = threading.Event(), threading.Lock()
    state = {"active": 0, "most": 0}
    real = analysis._analyse

    def slow(*args):
        with lock:
            state["active"] += 1
            state["most"] = max(state["most"], state["active"])
        try:
            assert release.wait(30), "never released"
            return real(*args)
        finally:
            with lock:
                state["active"] -= 1
    monkeypatch.setattr(analysis, "_analyse", slow)
    yield release, state
    release.set()
    gate.configure(gate.DEFAULT_CONCURRENCY)


def wait_until(condition) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


@pytest.mark.parametrize("slots", [1, 2, 3, 7])
def test_at_most_n_decodes_run_at_once_and_the_queue_is_bounded(held, slots):
    release, state = held
    gate.configure(slots)
    queue = slots + gate.waiting_limit()  # decoding + waiting
    assert queue == max(gate.IN_GATE, slots)
    results, errors = [], []

    def run():
        try:
            results.append(analysis.analyse(DATA, 5))
        except ServiceUnavailable as exc:
            errors.append(exc)
    threads = [threading.Thread(target=run) for _ in range(queue)]
    for thread in threads:
        thread.start()
    wait_until(lambda: state["active"] == slots and gate.waiting() == queue - slots)
    # One more than the queue holds: refused at once, with Retry-After.
    with pytest.raises(ServiceUnavailable) as refused:
        analysis.analyse(DATA, 5)
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    assert refused.value.details == {"decode_concurrency": slots}
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors and len(results) == queue
    assert state["most"] == slots  # never more than N at once
    assert gate.waiting() == 0


def test_the_setting_reaches_the_gate(tmp_path):
    try:
        create_app(Config.from_env(env={"JANUS_DECODE_CONCURRENCY": "3",
                                        "JANUS_DATA_DIR": str(tmp_path)}))
        assert gate.concurrency() == 3
    finally:
        gate.configure(gate.DEFAULT_CONCURRENCY)


def test_pixels_come_in_blocks_the_system_takes_back_when_freed():
    """Blocks above glibc's largest mmap threshold (32 MB) are mmapped: a freed
    49 Mpx image leaves the worker instead of staying in its thread's arena."""
    from PIL import Image
    assert Image.core.get_block_size() == gate.PIXEL_BLOCK_BYTES > 32 * 1024 * 1024
