"""The mark every process of a started unit inherits, so we never lose track of our own services.

Each start sets ``PORTMANAGER_UNIT=<unit>:<spawn id>`` in the child's environment (the id is
random per start and kept in the state record). Every descendant inherits it -- also one
that leaves the process group (a daemon's fork, setsid, fork) or drops privileges after
binding (nginx, redis, postgres started as root) -- and the OS lets us read it back
(``psutil.Process.environ``: /proc/PID/environ on Linux, the process's own environment block
on macOS and Windows). A process group can be left; this mark cannot be shed short of a
program wiping its own environment on purpose.

The mark also names the state record that tracks the start (a short hash of its path,
``scope_of``), so when that record is damaged, the processes it lost are found again by
their marks alone (``find_unrecorded``) -- and never those another Port Manager home started.

Reading another user's environment needs admin rights: a non-root user sees only the marks
of its own processes, which is exactly the set it may signal.
"""
from __future__ import annotations

import os
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import psutil

MARKER_ENV = "PORTMANAGER_UNIT"
# A descendant is created after its unit's first process; allow for clock rounding only.
CREATED_BEFORE_SLACK = 1.0


def scope_of(state_file: Path) -> str:
    """A short name for the state record ``state_file``, carried in each mark it records."""
    # not a secret, only a name; zlib, not hashlib: hashlib loads OpenSSL's libcrypto (3.5 MB; issue 16)
    raw = str(Path(state_file).absolute()).encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(raw):08x}{zlib.adler32(raw) & 0xffff:04x}"


def new_marker(unit: str, scope: str = "") -> str:
    """A mark for one start of ``unit`` recorded in the state record ``scope``: unique per start,
    so an older run never passes for this one.

    Eight bytes from ``os.urandom``, as ``secrets.token_hex(8)`` takes them: importing ``secrets``
    loads hashlib and OpenSSL's libcrypto (3.5 MB of the idle app's memory; issue 16)."""
    token = os.urandom(8).hex()
    return f"{unit}:{scope}:{token}" if scope else f"{unit}:{token}"


def unit_of(marker: str, scope: str) -> str | None:
    """The unit a mark of the state record ``scope`` was made for; None for another record's mark."""
    unit, sep, rest = marker.rpartition(f":{scope}:")
    return unit if sep and unit and rest and ":" not in rest else None


@dataclass(frozen=True)
class Unrecorded:
    """The processes of one start found by its mark, which the state record no longer has."""

    unit: str
    marker: str
    pids: tuple[int, ...]          # oldest first: the first is the start's first process still alive


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


def find_unrecorded(scope: str, recorded: Collection[str]) -> list[Unrecorded]:
    """Live processes of this user carrying a mark of the state record ``scope`` that is not
    among ``recorded``: what a damaged record lost. Reads every process's environment, so it
    is only asked while the record is damaged. Only this user's own processes count: a mark
    without its record's random id could be forged by anyone (as root, another user's
    process would otherwise be taken for ours); a worker that dropped privileges is found
    afterwards by the exact mark of its first process (``find_marked``)."""
    from ..platform import current_os
    from ..platform.process_tree import owner_id

    found: dict[str, list[tuple[float, int]]] = {}
    known = set(recorded)
    os_name = current_os()
    me = owner_id(psutil.Process(), os_name)
    for proc in psutil.process_iter(["create_time", "status"]):
        if proc.info.get("status") == psutil.STATUS_ZOMBIE:
            continue
        try:
            value = proc.environ().get(MARKER_ENV)
        except (psutil.Error, OSError):
            continue
        if value and owner_id(proc, os_name) != me:
            continue
        if value and value not in known and unit_of(value, scope) is not None:
            found.setdefault(value, []).append((proc.info.get("create_time") or 0.0, proc.pid))
    return [Unrecorded(str(unit_of(m, scope)), m, tuple(pid for _, pid in sorted(procs)))
            for m, procs in sorted(found.items())]


def marks_of(pids: Collection[int]) -> set[str]:
    """The marks the processes ``pids`` carry (those we may read)."""
    out = set()
    for pid in pids:
        try:
            value = psutil.Process(pid).environ().get(MARKER_ENV)
        except (psutil.Error, OSError):
            continue
        if value:
            out.add(value)
    return out


def marked_pids(marker: str, since: float | None = None) -> set[int]:
    return {p.pid for p in find_marked([marker], since).get(marker, [])}


__all__ = ["MARKER_ENV", "Unrecorded", "scope_of", "new_marker", "unit_of", "find_marked", "find_unrecorded",
           "marks_of", "marked_pids"]
