"""Linux: which processes hold a socket, from /proc (the socket lists carry inodes, not pids).

``InodeOwners`` maps socket inodes to ``(pid, fd)`` by reading ``/proc/*/fd`` links, kept
across scans. ``resolve`` (a few wanted sockets) re-reads each cached link -- one readlink
-- and walks every process only when a wanted inode is unknown; ``resolve_all`` (thousands
of sockets: the machine-wide view, big registries) trusts a cached owner while its process
lives and reads only processes new since the last scan, which catches a listening socket
inherited by a fork. Owners we may not read (other users' processes when not root) stay
unknown. ``stat_token`` tells a process apart from a later one with the same pid.

The first walk can come from a helper process started at launch (``owner_seed_linux``): the
owners it found seed the cache as if a scan had made them, and the first call checks them
like any cached owner.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .owner_seed_linux import OwnerSeed


def _socket_link(inode: int) -> str:
    return f"socket:[{inode}]"


class InodeOwners:
    """Socket inode -> pids holding it, kept across scans (see the module docstring)."""

    def __init__(self, proc: str = "/proc", seed: OwnerSeed | None = None):
        self.proc = proc
        self._seed = seed                              # taken by the first resolve / resolve_all
        self._owners: dict[int, dict[int, int]] = {}    # inode -> {pid: fd}
        self._unseen: set[int] = set()                 # inodes no readable process holds
        self._pids: set[int] = set()                   # processes at the last resolve()
        self._names: set[str] = set()                  # /proc entries at the last resolve_all()
        self._owner_pids: tuple[object, set[int]] = (None, set())   # (owners, their pids)
        self._last_inodes: set[int] | None = None
        self.full_scans = 0
        self.version = 0          # changes whenever the owners known to resolve_all change

    def resolve(self, inodes: set[int]) -> dict[int, tuple[int, ...]]:
        """Pids holding each inode (empty tuple: the owner cannot be seen)."""
        self._take_seed(inodes)
        pids = self._list_pids()
        new_pids = pids - self._pids
        self._pids = pids
        # Inodes learned by scans of other port sets stay tracked (a one-port kill plan
        # between two registry scans must not cost the next one a full walk).
        tracked = inodes | set(self._owners) | self._unseen
        fresh: dict[int, dict[int, int]] = {}
        missing = False
        for inode in inodes:
            cached = self._owners.get(inode)
            if cached is None:
                missing = missing or inode not in self._unseen
                continue
            fresh[inode] = {pid: fd for pid, fd in cached.items() if self._holds(pid, fd, inode)}
            if not fresh[inode]:
                missing = True     # every known holder let go: someone else may hold it now
        if missing:
            found = self._scan(pids, tracked)
            self._unseen = {i for i in tracked - set(found) if i in inodes or i in self._unseen}
            self._owners = found
            self.full_scans += 1
        else:
            # A process new since the last scan may have inherited a known socket (fork).
            found = self._scan(new_pids, tracked) if new_pids and tracked else {}
            owners = {i: o for i, o in self._owners.items() if i not in inodes and not pids.isdisjoint(o)}
            owners.update({i: o for i, o in fresh.items() if o})
            for inode, holders in found.items():
                owners.setdefault(inode, {}).update(holders)
            self._owners = owners
            self._unseen -= set(found)
        self.version += 1
        return {i: tuple(sorted(self._owners.get(i, {}))) for i in inodes}

    def resolve_all(self, inodes: set[int]) -> dict[int, dict[int, int]]:
        """Owners of every listening socket of the machine: inode -> {pid: fd}.

        Thousands of inodes: checking each cached fd link every scan would cost more than
        the dump. A cached owner counts while its process lives (the socket's inode is
        unique while it exists); new processes are read whole (new or inherited sockets),
        the others only while a socket has no known owner, and only until it has one.
        """
        self._take_seed(inodes)
        names = set(os.listdir(self.proc))          # compared as text: no int() per process
        new_pids = {int(n) for n in names - self._names if n.isdigit()}
        self._names = names
        owners = self._owners
        if self._owner_pids[0] is not owners:
            self._owner_pids = (owners, {pid for holders in owners.values() for pid in holders})
        dead = {pid for pid in self._owner_pids[1] if str(pid) not in names}
        if dead:
            owners = {i: {p: fd for p, fd in h.items() if p not in dead} for i, h in owners.items()}
            owners = {i: h for i, h in owners.items() if h}
        if new_pids:
            # A new process holds new sockets, or inherited known ones (fork): read it whole.
            found = self._scan(new_pids, inodes)
            if found:
                owners = dict(owners)
                for inode, holders in found.items():
                    owners[inode] = {**owners.get(inode, {}), **holders}
        if inodes is not self._last_inodes or owners is not self._owners:
            # Otherwise nothing is unknown: the last call found an owner for every socket
            # or put it in _unseen, and no owner has gone since.
            self._last_inodes = inodes
            self._unseen &= inodes
            unknown = inodes - owners.keys() - self._unseen
            if unknown:
                # The other processes, newest first, only until every unknown socket has an owner.
                pids = {int(n) for n in names if n.isdigit()} - new_pids
                found = self._scan(sorted(pids, reverse=True), unknown, stop_when_found=True)
                owners = {i: h for i, h in owners.items() if i in inodes}
                owners.update(found)
                self._unseen |= unknown - found.keys()
                self.full_scans += 1
        if owners is not self._owners:
            self._owners = owners
            self.version += 1
        return owners

    def _take_seed(self, inodes: set[int]) -> None:
        """Before the first walk: the helper's answer, as if this object had walked then.

        Only the wanted sockets that existed when it looked count (one opened since is
        unknown: a walk); of those, the ones it found no owner for are held by processes we
        may not read, as a walk of ours would have concluded."""
        seed_handle, self._seed = self._seed, None
        seed = seed_handle.take() if seed_handle is not None else None
        if seed is None:
            return
        known = seed.listening(inodes)
        self._owners = seed.owners(known)
        self._unseen = known - self._owners.keys()
        self._pids = seed.pids
        self._names = {str(pid) for pid in seed.pids}

    def _list_pids(self) -> set[int]:
        return list_pids(self.proc)

    def _holds(self, pid: int, fd: int, inode: int) -> bool:
        try:
            return os.readlink(f"{self.proc}/{pid}/fd/{fd}") == _socket_link(inode)
        except OSError:
            return False

    def _scan(self, pids: Iterable[int], inodes: set[int], stop_when_found: bool = False
              ) -> dict[int, dict[int, int]]:
        return scan_owners(pids, inodes, self.proc, stop_when_found)


def list_pids(proc: str = "/proc") -> set[int]:
    return {int(n) for n in os.listdir(proc) if n.isdigit()}


def scan_owners(pids: Iterable[int], inodes: set[int], proc: str = "/proc", stop_when_found: bool = False
                ) -> dict[int, dict[int, int]]:
    """inode -> {pid: fd} for the sockets ``inodes`` among the open files of ``pids``."""
    wanted = {_socket_link(i): i for i in inodes}
    found: dict[int, dict[int, int]] = {}
    for pid in pids:
        if stop_when_found and len(found) == len(wanted):
            break
        # Each link is read relative to the open fd folder: the kernel then resolves one
        # name per link, not the whole /proc/PID/fd/N path (a cold walk of a loaded
        # machine's ~18,000 links: about 1.6x faster; it is most of the first scan).
        try:
            folder = os.open(f"{proc}/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue     # gone, or another user's process we may not read
        try:
            fds = os.listdir(folder)
            for fd in fds:
                try:
                    link = os.readlink(fd, dir_fd=folder)
                except OSError:
                    continue
                inode = wanted.get(link)
                if inode is not None:
                    found.setdefault(inode, {}).setdefault(pid, int(fd))
        except OSError:
            continue     # ended while we read it
        finally:
            os.close(folder)
    return found


def stat_token(pid: int, proc: str = "/proc") -> tuple[bytes, bytes] | None:
    try:
        stat = _read(f"{proc}/{pid}/stat")
        cmdline = _read(f"{proc}/{pid}/cmdline")
    except OSError:
        return None
    # Field 22 (starttime); fields count from after the ")" that closes the command name.
    return stat[stat.rfind(b")") + 2:].split()[19], cmdline


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 1 << 16)
    finally:
        os.close(fd)
