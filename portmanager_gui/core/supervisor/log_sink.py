"""Where a started child's output goes: a pipe to a log relay of ours (``log_relay``), or --
when no relay can be started -- the log file itself.

The relay is started before the child, in a session of its own and without the child's
mark, so stopping the service never stops it; it ends at end of file.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from ..platform.commands import python_for_children
from ..platform.process_tree import spawn_kwargs, wait_ended
from ..resources import is_frozen
from . import logfiles
from .marker import MARKER_ENV

RELAY_MODULE = "portmanager_gui.core.supervisor.log_relay"
RELAY_SETTLE = 2.0      # how long to wait for the relay to write a child's last lines
RELAY_END_WAIT = 5.0    # after a stop: the relay ends once the last holder of the pipe is gone


def relay_argv(path: Path, os_name: str, max_bytes: int, backups: int) -> list[str]:
    python = python_for_children(os_name, is_frozen(), sys.executable)
    return [python, "-m", RELAY_MODULE, str(path), "--max-bytes", str(max_bytes), "--backups", str(backups)]


@dataclass
class LogSink:
    """Where a started child's output goes."""

    output: IO[bytes]                     # what the child gets as stdout and stderr
    relay: subprocess.Popen | None = None

    @classmethod
    def start(cls, direct: IO[bytes], path: Path, os_name: str) -> "LogSink":
        """The child's output through a new relay to ``path``; ``direct`` (the file, opened for
        our own lines) is closed then, or kept for the child when no relay can be started."""
        env = {k: v for k, v in os.environ.items() if k != MARKER_ENV}
        try:
            relay = subprocess.Popen(relay_argv(path, os_name, logfiles.MAX_BYTES, logfiles.BACKUPS),
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     close_fds=True, bufsize=0, env=env, **spawn_kwargs(os_name))
        except OSError:
            return cls(direct)            # the child writes the file itself (rotated by copytruncate)
        direct.close()
        assert relay.stdin is not None
        return cls(relay.stdin, relay)    # type: ignore[arg-type]

    def handed_over(self) -> None:
        """The child holds its own copy of the output now (or none was started)."""
        self.output.close()

    def settle(self) -> None:
        """The child ended: let the relay write its last lines (it ends when nobody holds the pipe)."""
        settle(self.relay)


def settle(relay: subprocess.Popen | None, timeout: float = RELAY_SETTLE) -> None:
    """Wait (at most ``timeout``) for ``relay`` to end and collect its exit status."""
    if relay is not None:
        try:
            relay.wait(timeout)
        except subprocess.TimeoutExpired:
            pass   # a descendant still holds the pipe: the relay keeps going


def wait_relay_ended(pid: int | None, create_time: float | None) -> None:
    """After a stop: wait (a little) for the relay of that start to write the last lines and end."""
    if not pid:
        return
    try:
        proc = psutil.Process(pid)
        if create_time is not None and abs(proc.create_time() - create_time) > 0.01:
            return   # that pid is someone else's now
        wait_ended([proc], RELAY_END_WAIT)
    except psutil.Error:
        pass
