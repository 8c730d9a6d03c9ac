"""The one identity check: is the process now at ``pid`` the very one seen (or recorded) before?

A pid alone can be reused by an unrelated process, so every kill, stop, adoption and state
record names a process by its pid and its start: the kernel's exact start ticks where the OS
gives them (Linux ``/proc``), else psutil's create time, which comes straight from the kernel
on macOS and Windows and is compared up to a float's round trip. One exception, the only
tolerance: a record written before ticks were kept, on Linux, whose create time another
process derived from a boot time that two processes may compute a second apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..platform.start_ticks import start_ticks

# psutil is imported by the functions: `portmanager url` reads the state record without it.

CREATE_TIME_TOLERANCE = 0.001      # a float's round trip through JSON
LEGACY_LINUX_TOLERANCE = 1.0       # Linux record without ticks (see the module docstring)


class Match(Enum):
    SAME = "same"                  # the very process
    REUSED = "reused"              # the pid now belongs to another process
    GONE = "gone"                  # no process has the pid (or only its zombie is left)
    UNREADABLE = "unreadable"      # the OS does not say (another user's process)


@dataclass(frozen=True)
class Identity:
    """A process named by its pid and its start."""

    pid: int
    create_time: float | None
    ticks: int | None = None       # exact start ticks where the OS gives them


def current(pid: int) -> Identity:
    """The identity of the process at ``pid`` now, to record; raises ``psutil.Error`` when gone."""
    import psutil

    ticks = start_ticks(pid)
    return Identity(pid, psutil.Process(pid).create_time(), ticks)


def check(seen: Identity, *, zombie_is_gone: bool = False) -> Match:
    """Compare the process now at ``seen.pid`` with ``seen`` (see the module docstring)."""
    import psutil

    try:
        proc = psutil.Process(seen.pid)
        if zombie_is_gone and proc.status() == psutil.STATUS_ZOMBIE:
            return Match.GONE
    except psutil.NoSuchProcess:
        return Match.GONE
    except psutil.AccessDenied:
        return Match.UNREADABLE
    except psutil.Error:
        return Match.GONE
    now_ticks = start_ticks(seen.pid)
    if seen.ticks is not None and now_ticks is not None:
        return Match.SAME if now_ticks == seen.ticks else Match.REUSED
    if seen.create_time is None:
        return Match.UNREADABLE
    try:
        created = proc.create_time()
    except psutil.NoSuchProcess:
        return Match.GONE
    except psutil.Error:
        return Match.UNREADABLE
    tolerance = LEGACY_LINUX_TOLERANCE if now_ticks is not None and seen.ticks is None else CREATE_TIME_TOLERANCE
    return Match.SAME if abs(created - seen.create_time) <= tolerance else Match.REUSED


def is_same(seen: Identity) -> bool:
    """True while the process at ``seen.pid`` is the very one (False: gone, reused or unreadable)."""
    return check(seen) is Match.SAME
