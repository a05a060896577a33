"""One listening socket per gunicorn worker slot, held open by the master
(``JANUS_REUSE_PORT``, on by default; docs/deployment.md "Workers and
connections").

With one listening socket shared by every worker, the worker that is awake
when connections arrive accepts them all, and a keep-alive client stays with
it: in most starts one worker served every request. With SO_REUSEPORT each
worker has a socket of its own and the kernel spreads new connections over
them by a hash of their addresses.

gunicorn's own ``reuse_port`` binds those sockets in each worker, so a worker
that stops (``max_requests``, a reload) takes its socket with it: the
connections queued on it are reset, its clients reconnect to the other
workers only, and while every worker is restarting nothing listens at all
(connections refused). Here the master binds one socket per worker slot and
keeps it; the worker that replaces a stopped one takes over its slot's
socket, so connections queue there for the second the new worker takes to
boot instead of failing, and reconnecting clients still spread over every
slot.
"""
from __future__ import annotations

from gunicorn import sock

# Master: the listeners of each slot (None: a slot given up); inherited by
# every worker at fork.
_slots: list[list | None] = []


def _taken(server) -> set[int]:
    return {getattr(worker, "janus_slot", None) for worker in server.WORKERS.values()}


def pre_fork(server, worker) -> None:
    """Master, before forking ``worker``: give it a free slot, binding the
    slot's socket if it has none (a new slot, or one given up earlier)."""
    if not server.cfg.reuse_port:
        return
    taken = _taken(server)
    slot = next(i for i in range(len(_slots) + 1) if i not in taken)
    if slot == len(_slots):
        _slots.append(None)
    if _slots[slot] is None:  # new, or given up when there were fewer workers
        _slots[slot] = sock.create_sockets(server.cfg, server.log)
    worker.janus_slot = slot


def post_fork(server, worker) -> None:
    """Worker, just forked: serve the slot's socket instead of the one
    gunicorn bound for it a moment ago (closed before it accepted anything),
    and drop its copies of the other slots' sockets."""
    slot = getattr(worker, "janus_slot", None)
    if slot is None:
        return
    fresh, worker.sockets = worker.sockets, _slots[slot]
    sock.close_sockets(fresh, unlink=False)
    for other, listeners in enumerate(_slots):
        if other != slot and listeners:
            for listener in listeners:
                listener.close()  # this process's descriptor only: the master keeps it


def worker_exited(server, worker) -> None:
    """Master, a worker gone: keep its slot for the worker that replaces it,
    unless there are now more slots than workers (fewer workers asked for):
    then close it, or connections would wait on a socket nobody serves."""
    slot = getattr(worker, "janus_slot", None)
    if slot is None or _slots[slot] is None:
        return
    if sum(held is not None for held in _slots) > server.num_workers:
        sock.close_sockets(_slots[slot], unlink=False)
        _slots[slot] = None
