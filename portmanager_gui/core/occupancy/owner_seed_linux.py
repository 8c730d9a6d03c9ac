"""Linux: the first walk of /proc, in a helper process started before the app's imports.

Sockets carry inodes, not pids: the first scan reads the fd links of every process
(``InodeOwners``) -- on a busy machine ~9,000 links, 20-25 ms, and the whole of it lies on
the way to the first painted snapshot. The walk needs nothing the app imports, so ``start``
runs it in a child Python (``-I -S``: no site, no user paths; ``owner_walk_linux``) at launch, on another core
while the app imports its modules (~100 ms). The first scan then takes the answer as if an
earlier scan of its own had made it (``InodeOwners`` with a seed): each owner is checked with
one readlink, processes newer than the walk are read whole, and a socket the helper did not
see (opened since) costs the usual full walk. Nothing is trusted that a scan would not trust.

A thread would not do: the walk takes the GIL back after each of its ~10,000 system calls,
and the imports hold it -- measured, the walk on a thread beside the imports took 125 ms
instead of 21, and the imports 10 ms longer. A fork would copy the importing parent's pages
on every write; a fresh interpreter costs the parent one ``posix_spawn``.

The helper's answer is ``marshal`` data from the same interpreter (our own child, never a
file). Whatever goes wrong -- no Python to run, a frozen app, a slow machine, a garbled
answer -- the scan walks /proc itself, as it did without a seed.
"""
from __future__ import annotations

import marshal
import os
import select
import signal
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..resources import is_frozen

FORMAT = 3                 # changes with the shape of the answer
F_SETPIPE_SZ = 1031        # linux/fcntl.h: the whole answer fits the pipe, the helper exits at once
TAKE_TIMEOUT_S = 2.0       # the helper answers in ~70 ms; past this the scan walks /proc itself
_ROOT = Path(__file__).resolve().parents[3]      # the folder that holds portmanager_gui
_CODE = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from portmanager_gui.core.occupancy.owner_walk_linux import main; main(); "
         "import os; os._exit(0)")          # answered: no interpreter teardown to wait for


class Seed:
    """What the helper saw: the processes it walked, the listening sockets (netlink, before the
    walk), sorted, and their owners among those processes as three parallel columns sorted by
    inode (inode, pid, fd). Columns of machine integers, searched by bisection: a scan asks
    for a few sockets of thousands, and ~15,000 Python ints made once would stay in the
    allocator's arenas for the life of the app (~1 MB of RSS)."""

    __slots__ = ("pids", "_listening", "_inodes", "_pids", "_fds")

    def __init__(self, pids: set[int], listening: Sequence[int], inodes: Sequence[int],
                 owner_pids: Sequence[int], fds: Sequence[int]):
        self.pids = pids
        self._listening, self._inodes, self._pids, self._fds = listening, inodes, owner_pids, fds

    def listening(self, inodes: Iterable[int]) -> set[int]:
        """Those of ``inodes`` that were listening sockets when the helper looked."""
        column = self._listening
        return {i for i in inodes if (at := bisect_left(column, i)) < len(column) and column[at] == i}

    def owners(self, inodes: Iterable[int]) -> dict[int, dict[int, int]]:
        """inode -> {pid: fd} of those of ``inodes`` the helper found an owner for."""
        out: dict[int, dict[int, int]] = {}
        column = self._inodes
        for inode in inodes:
            at = bisect_left(column, inode)
            while at < len(column) and column[at] == inode:
                out.setdefault(inode, {})[self._pids[at]] = self._fds[at]
                at += 1
        return out


class OwnerSeed:
    """The running helper; ``take`` its answer once (on a scan's worker thread: it waits)."""

    def __init__(self, pid: int, fd: int):
        self.pid, self._fd = pid, fd
        self._done = False
        self._lock = threading.Lock()     # ``discard`` on the GUI thread, ``take`` on a worker

    def take(self, timeout: float = TAKE_TIMEOUT_S) -> Seed | None:
        """The helper's answer, or None (it failed, garbled it or took longer than ``timeout``:
        then it is killed). The helper is reaped either way; a second call returns None."""
        with self._lock:
            if self._done:
                return None
            self._done = True
            return self._read(timeout)

    def _read(self, timeout: float) -> Seed | None:
        data = bytearray()
        deadline = time.monotonic() + timeout
        answered = False
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._fd], [], [], left)[0]:
                    return None
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    answered = True
                    break
                data += chunk
        except OSError:
            return None
        finally:
            self._end(kill=not answered)
        return parse(bytes(data))

    def discard(self) -> None:
        """Not needed after all (no scan took it): stop and reap the helper."""
        with self._lock:
            if not self._done:
                self._done = True
                self._end(kill=True)

    def _end(self, kill: bool) -> None:
        """Close our end and reap the helper; ``kill`` it first if it still runs (it timed out,
        or is no longer wanted). One that answered is exiting: waited for."""
        os.close(self._fd)
        try:
            if kill and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                # Still running, and not reaped: its pid cannot have gone to another process.
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def parse(data: bytes) -> Seed | None:
    """The helper's ``marshal`` answer as a ``Seed``; None unless it has the expected shape."""
    try:
        fmt, pids, *columns = marshal.loads(data)
        listening, inodes, owner_pids, fds = (memoryview(c).cast("q") for c in columns)
    except (EOFError, ValueError, TypeError):
        return None
    if fmt != FORMAT or not isinstance(pids, list) or not len(inodes) == len(owner_pids) == len(fds):
        return None
    return Seed(set(pids), listening, inodes, owner_pids, fds)


def start(argv: Sequence[str] | None = None) -> OwnerSeed | None:
    """Start the helper (Linux, a plain Python); None where it cannot run -- the first scan
    then walks /proc itself. ``argv`` replaces the helper's command (tests)."""
    if argv is None:
        if not sys.platform.startswith("linux") or is_frozen() or not sys.executable:
            return None         # a frozen app's executable is the app, not a Python
        argv = [sys.executable, "-I", "-S", "-c", _CODE, str(_ROOT)]
    read_fd, write_fd = os.pipe()
    try:
        with open(os.devnull, "wb") as null:
            pid = os.posix_spawn(argv[0], list(argv), dict(os.environ), file_actions=[
                (os.POSIX_SPAWN_DUP2, write_fd, 1), (os.POSIX_SPAWN_DUP2, null.fileno(), 2),
                (os.POSIX_SPAWN_CLOSE, read_fd)])
    except OSError:
        os.close(read_fd)
        return None
    finally:
        os.close(write_fd)
    return OwnerSeed(pid, read_fd)
