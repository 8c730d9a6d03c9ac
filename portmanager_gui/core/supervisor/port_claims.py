"""Ports a start is about to launch on, claimed across Port Manager processes.

Two starts at once (two commands, a command and the app) whose services share ports
would both probe the same port free, both launch on it and -- when the services bind with
SO_REUSEPORT, so both binds succeed -- both see the other as a foreign holder, both move on
to the next port, meet there again and give up while every port is free again. A claim
closes that window: from the moment a port is chosen until its service is verified (it
then visibly holds the port) or has failed, a lock file per port in the state folder says
"being started"; another start treats a claimed port as taken and moves on.

The start locks live here too: one per unit, held from planning until the unit is verified,
so a second start of the same unit waits and then finds it running.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..paths import Paths
from ..platform.file_lock import locked, try_lock, unlock
from . import logfiles

START_LOCK_WAIT = 300.0   # another start of the same unit may verify for its whole start_timeout


def lock_folder(paths: Paths) -> Path:
    return paths.state_dir / "locks"


@contextmanager
def start_locks(paths: Paths, units: Iterable[str]) -> Iterator[None]:
    """Hold the start lock of each unit (raises ``LockTimeout`` after ``START_LOCK_WAIT``)."""
    with ExitStack() as held:
        for unit in sorted(units):   # one order everywhere: no deadlock between two starts
            path = lock_folder(paths) / (logfiles.log_path(paths, unit).stem + ".lock")
            held.enter_context(locked(path, timeout=START_LOCK_WAIT))
        yield


@contextmanager
def port_claims(paths: Paths, os_name: str) -> Iterator["PortClaims"]:
    """Claims for one start, all released when it is over."""
    claims = PortClaims(lock_folder(paths), os_name)
    try:
        yield claims
    finally:
        claims.release_all()


class PortClaims:
    def __init__(self, folder: Path, os_name: str):
        self._folder = folder
        self._os = os_name
        self._held: dict[int, int] = {}     # port -> descriptor holding its lock
        self._lock = threading.Lock()

    def claim(self, port: int) -> bool:
        """Claim ``port`` for this start; False when another start has claimed it."""
        with self._lock:
            if port in self._held:
                return True
            fd = try_lock(self._folder / f"port-{port}.lock", self._os)
            if fd is None:
                return False
            self._held[port] = fd
            return True

    def release(self, port: int | None) -> None:
        with self._lock:
            fd = self._held.pop(port, None) if port is not None else None
        if fd is not None:
            unlock(fd, self._os)

    def release_all(self) -> None:
        with self._lock:
            ports = list(self._held)
        for port in ports:
            self.release(port)
