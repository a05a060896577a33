"""What each gunicorn worker does under load, read from /proc: its CPU ticks
and the keep-alive connections it holds.

A connection belongs to the worker that accepted it for as long as the client
keeps it open, so "which worker holds which connection" decides how the load
is split. The kernel lists established TCP sockets (with their inodes) in
/proc/net/tcp and tcp6; a process's open sockets are its /proc/<pid>/fd links
``socket:[inode]``.
"""
from __future__ import annotations

import os
from pathlib import Path

from bench.memory import PROC, worker_pids

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_ESTABLISHED = "01"


def cpu_ticks(pid: int, proc: Path = PROC) -> int | None:
    """utime + stime of a process (every thread), in clock ticks."""
    try:
        fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # exited meanwhile
        return None
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def reaped_ticks(master_pid: int, proc: Path = PROC) -> int:
    """cutime + cstime of the master: the CPU of the workers it has reaped
    (one restarted by max_requests during a run, for instance)."""
    try:
        fields = (proc / str(master_pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[13]) + int(fields[14])  # fields 16 and 17 of proc(5)


def total_ticks(master_pid: int, proc: Path = PROC) -> int:
    """CPU ticks of every worker so far, the live ones and the reaped ones."""
    return sum(workers_ticks(master_pid, proc).values()) + reaped_ticks(master_pid, proc)


def workers_ticks(master_pid: int, proc: Path = PROC) -> dict[int, int]:
    """{worker pid: CPU ticks so far} for a gunicorn master's workers."""
    out = {}
    for pid in worker_pids(master_pid, proc):
        ticks = cpu_ticks(pid, proc)
        if ticks is not None:
            out[pid] = ticks
    return out


def established_inodes(port: int, proc: Path = PROC) -> set[int]:
    """Inodes of the established TCP sockets whose local port is ``port``:
    the server's ends of the clients' connections."""
    inodes = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _ESTABLISHED:
                inodes.add(int(fields[9]))
    return inodes


def socket_inodes(pid: int, proc: Path = PROC) -> set[int]:
    out = set()
    try:
        fds = list((proc / str(pid) / "fd").iterdir())
    except OSError:
        return out
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


def connections(master_pid: int, port: int, proc: Path = PROC) -> dict[int, int]:
    """{worker pid: client connections it holds on ``port``}, every worker listed."""
    established = established_inodes(port, proc)
    return {pid: len(socket_inodes(pid, proc) & established)
            for pid in worker_pids(master_pid, proc)}


def ticks_delta(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    """CPU ticks each worker used between two readings (a worker that started
    in between counts from zero)."""
    return {pid: ticks - before.get(pid, 0) for pid, ticks in after.items()}
