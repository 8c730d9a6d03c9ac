"""What a process behind a port is: its details as a ``Holder``, and a token for its identity.

The scanner describes each owner once and keeps the description while ``identity_token``
stays the same (a pid reused by another process, or a renamed one, gets a new token).
"""
from __future__ import annotations

import shlex
from collections.abc import Sequence

import psutil

from ..platform import current_os
from ..platform import occupancy as pocc
from ..platform.start_ticks import start_ticks
from .snapshot import Holder


def identity_token(pid: int) -> object:
    """A cheap value that changes when ``pid`` is reused by another process or renamed."""
    try:
        proc = psutil.Process(pid)
        return (proc.create_time(), proc.name())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def try_(fn, default):
    try:
        return fn()
    except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return default


def process_holder(pid: int, os_name: str | None = None, fallback_name: str = "") -> Holder | None:
    """A ``Holder`` with the process's details (no addresses yet); None when it has exited."""
    os_name = os_name or current_os()
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            name = try_(proc.name, fallback_name) or fallback_name
            create = try_(proc.create_time, None)
            exe = try_(proc.exe, "")
            cmdline = tuple(try_(proc.cmdline, ()))
            user = try_(proc.username, "")
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return Holder(pid, fallback_name, note=pocc.holder_note(os_name, pid))
    return Holder(pid, name, exe, cmdline, user, create, note=pocc.holder_note(os_name, pid),
                  start_ticks=start_ticks(pid) if create is not None else None)


def one_line(argv: Sequence[str]) -> str:
    """A command line quoted as a shell reads it, on one line even for a ``python -c`` script
    (its line breaks shown as ``\\n``): for tables and confirmations."""
    return shlex.join(argv).replace("\r", "\\r").replace("\n", "\\n")


def describe(holder: Holder) -> str:
    """One line for a confirmation: ``python3 (pid 1234, user alice): python3 -m http.server``, with
    what it is when it is a well-known program: ``ollama - Ollama (pid 812, ...``."""
    from .recognition import (
        named,  # the recognition table: when a holder is described (kill, status)
    )

    cmd = one_line(holder.cmdline) if holder.cmdline else (holder.exe or "")
    user = f", user {holder.username}" if holder.username else ""
    return f"{named(holder)} (pid {holder.pid}{user})" + (f": {cmd}" if cmd else "")
