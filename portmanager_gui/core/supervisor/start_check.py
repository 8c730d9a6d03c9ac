"""Is a just-started service really running? The rule, checked until a deadline:

its port is LISTENING by the child or one of its descendants, by nothing else, and its
health path (if any) answers 2xx. Another holder on the port -- one that got there first
and made our child fail, or one sharing it through SO_REUSEPORT -- means we lost the race
for that port; so does "address in use" in the child's log after it exited.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

import psutil

from ..occupancy.snapshot import Holder, PortInfo, PortStatus, Snapshot
from ..platform import current_os
from ..platform.process_tree import group_members, has_process_groups
from . import health, logfiles
from .types import CheckSaw, LaunchProblem

# What servers print when the port is taken: Python/Linux, macOS, Windows, llama-server.
ADDRESS_IN_USE = re.compile(
    r"address already in use|EADDRINUSE|\[Errno (98|48)\]|WinError 10048|10048|"
    r"only one usage of each socket address|couldn't bind HTTP server socket", re.I)


HIDDEN_GRACE = 1.0   # how long an unseen holder of the port must last to count as another process


class Scanner(Protocol):
    def scan(self, ports: Iterable[int]) -> Snapshot: ...


def default_scanner() -> Scanner:
    from ..occupancy.scan import (
        OccupancyScanner,  # local: keeps this module light to import
    )

    return OccupancyScanner(backend="auto")


class Verdict(str, Enum):
    RUNNING = "running"
    LOST_RACE = "lost race"      # another process holds (or shares) the port
    EXITED = "exited"            # the child ended before it was running
    TIMEOUT = "timeout"          # not listening / not healthy within the start timeout


@dataclass(frozen=True)
class Verification:
    """Whether a launched unit came up on its port, and if not, what was seen."""

    verdict: Verdict
    foreign: tuple[Holder, ...] = ()
    returncode: int | None = None
    check: CheckSaw | None = None          # TIMEOUT: what was seen last
    health: health.HealthAnswer | None = None   # NO_ANSWER: the last answer of ``health_url``
    health_url: str = ""
    problem: LaunchProblem | None = None   # EXITED before it could run (or be tracked)
    hidden_holder: bool = False


def tree_pids(root: int, os_name: str | None = None) -> set[int]:
    """The child, its descendants and (POSIX) the rest of its process group."""
    pids = {root}
    try:
        pids.update(p.pid for p in psutil.Process(root).children(recursive=True))
    except psutil.Error:
        pass
    if has_process_groups(os_name or current_os()):
        pids.update(group_members(root))
    return pids


def foreign_holders(info: PortInfo, ours: Callable[[], set[int]]) -> tuple[tuple[Holder, ...], bool]:
    """Holders of the port that are not in our tree, and whether an unseen one holds it."""
    hidden = info.status is PortStatus.HIDDEN or any(h.pid is None for h in info.holders)
    if not info.holders:
        return (), hidden
    tree = ours()
    return tuple(h for h in info.holders if h.pid not in tree), hidden


def wait_until_running(*, poll: Callable[[], int | None], root_pid: int, port: int, scanner: Scanner,
                       health_url: str | None, timeout: float, log_path: Path, log_offset: int,
                       interval: float = 0.1, now: Callable[[], float] = time.monotonic,
                       cancel: threading.Event | None = None,
                       ours: Callable[[], set[int]] | None = None) -> Verification:
    """Watch the child until it is running on ``port`` or clearly is not.

    ``ours``: every pid of the unit (default: the child's tree and group); ``poll`` may keep
    answering None after the child exited when its daemon lives on.
    """
    ours = ours or (lambda: tree_pids(root_pid))
    deadline = now() + timeout
    cancel = cancel or threading.Event()
    last: tuple[CheckSaw, health.HealthAnswer | None] = (CheckSaw.NOT_LISTENING, None)
    hidden_since: float | None = None
    while True:
        rc = poll()
        if rc is not None:
            text = logfiles.read_from(log_path, log_offset)
            verdict = Verdict.LOST_RACE if ADDRESS_IN_USE.search(text) else Verdict.EXITED
            info = scanner.scan([port]).info(port) if verdict is Verdict.LOST_RACE else PortInfo(port, PortStatus.FREE)
            return Verification(verdict, info.holders, rc, hidden_holder=info.status is PortStatus.HIDDEN)
        info = scanner.scan([port]).info(port)
        foreign, hidden = foreign_holders(info, ours)
        if foreign:
            return Verification(Verdict.LOST_RACE, foreign, hidden_holder=hidden)
        if hidden:
            # Our own child between bind() and listen(), or listening before its socket's owner
            # could be read, looks like an unseen holder for a moment: only a lasting one counts.
            hidden_since = now() if hidden_since is None else hidden_since
            if now() - hidden_since >= HIDDEN_GRACE or now() >= deadline:
                return Verification(Verdict.LOST_RACE, foreign, hidden_holder=hidden)
            cancel.wait(interval)
            continue
        hidden_since = None
        if info.holders:
            if health_url is None:
                return Verification(Verdict.RUNNING)
            answer = health.check(health_url, timeout=2.0)
            if answer.ok:
                return Verification(Verdict.RUNNING)
            last = (CheckSaw.NO_ANSWER, answer)
        if cancel.is_set():
            return Verification(Verdict.TIMEOUT, check=CheckSaw.CANCELLED)
        if now() >= deadline:
            return Verification(Verdict.TIMEOUT, check=last[0], health=last[1],
                                health_url=health_url if last[1] is not None else "")
        cancel.wait(interval)
