"""The mark every process of a started unit inherits, so we never lose track of our own services.

Each start sets ``PORTMANAGER_UNIT=<unit>:<spawn id>`` in the child's environment (the id is
random per start and kept in the state record). Every descendant inherits it -- also one
that leaves the process group (a daemon's fork, setsid, fork) or drops privileges after
binding (nginx, redis, postgres started as root) -- and the OS lets us read it back
(``psutil.Process.environ``: /proc/PID/environ on Linux, the process's own environment block
on macOS and Windows). A process group can be left; this mark cannot be shed short of a
program wiping its own environment on purpose.

Reading another user's environment needs admin rights: a non-root user sees only the marks
of its own processes, which is exactly the set it may signal.
"""
from __future__ import annotations

import os
from collections.abc import Collection

import psutil

MARKER_ENV = "PORTMANAGER_UNIT"
# A descendant is created after its unit's first process; allow for clock rounding only.
CREATED_BEFORE_SLACK = 1.0


def new_marker(unit: str) -> str:
    """A mark for one start of ``unit``: unique per start, so an older run never passes for this one.

    Eight bytes from ``os.urandom``, as ``secrets.token_hex(8)`` takes them: importing ``secrets``
    loads hashlib and OpenSSL's libcrypto (3.5 MB of the idle app's memory; issue 16)."""
    return f"{unit}:{os.urandom(8).hex()}"


def find_marked(markers: Collection[str], since: float | None = None) -> dict[str, list[psutil.Process]]:
    """Live processes carrying each of ``markers`` (zombies left out), with their descendants.

    ``since``: the earliest start time of interest (epoch seconds); older processes cannot
    belong to these starts and are not read.
    """
    wanted = set(m for m in markers if m)
    out: dict[str, dict[int, psutil.Process]] = {}
    if not wanted:
        return {}
    for proc in psutil.process_iter(["create_time", "status"]):
        created = proc.info.get("create_time")
        if since is not None and created is not None and created < since - CREATED_BEFORE_SLACK:
            continue
        if proc.info.get("status") == psutil.STATUS_ZOMBIE:
            continue
        try:
            value = proc.environ().get(MARKER_ENV)
        except (psutil.Error, OSError):
            continue   # gone, or another user's process we may not read (nor signal)
        if value in wanted:
            found = out.setdefault(value, {})
            found[proc.pid] = proc
            try:
                found.update({c.pid: c for c in proc.children(recursive=True)})
            except psutil.Error:
                pass
    return {m: list(procs.values()) for m, procs in out.items()}


def marked_pids(marker: str, since: float | None = None) -> set[int]:
    return {p.pid for p in find_marked([marker], since).get(marker, [])}


__all__ = ["MARKER_ENV", "new_marker", "find_marked", "marked_pids"]
