"""Who holds which port, now: the ``Snapshot`` every view and command reads.

``OccupancyScanner`` runs the backend chain chosen in ``platform.occupancy`` (the Linux
netlink fast path, psutil, or macOS's netstat and per-process fallbacks), groups the sockets
into holders (one per process and protocol, with all its local addresses), adds process
details and decides each port's status:

- listening: at least one process we can name holds it (all of them are listed);
- hidden: a socket is there, or the bind probe is refused, but no owner is visible;
- reserved: the OS refuses the bind (excluded range, privileged port);
- free: nothing holds it.

The scanner keeps caches between scans (socket inode owners on Linux, process details per
identity) so the steady state -- the same holders second after second -- is cheap, while a
new, changed or departed holder shows at the next scan. One scanner per worker thread.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..platform import current_os
from ..platform import occupancy as pocc
from ..ports.probe import Availability, probe
from . import process_info
from .backend import Backend, BackendUnavailable, Endpoint, port_set
from .snapshot import Holder, PortInfo, PortStatus, Protocol, Snapshot

if TYPE_CHECKING:
    from .owner_seed_linux import OwnerSeed

Probe = Callable[[int], Availability]


def _make_backend(name: str, owner_seed: OwnerSeed | None = None) -> Backend:
    if name == pocc.LINUX_FAST:
        from .netlink_linux import LinuxBackend
        return LinuxBackend(owner_seed=owner_seed)
    from . import psutil_backends as op
    if name == pocc.PSUTIL:
        return op.PsutilBackend()
    if name == pocc.PER_PROCESS:
        return op.PerProcessBackend()
    if name == pocc.NETSTAT:
        from .netstat_macos import NetstatBackend
        return NetstatBackend()
    return op.LsofBackend()


def _owner_name(uid: int | None) -> str:
    if uid is None:
        return ""
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


class OccupancyScanner:
    """Snapshots of a set of ports; keep one and call ``scan`` repeatedly (see module doc)."""

    def __init__(self, backend: str = "auto", os_name: str | None = None, *,
                 probe: Probe | None = None,
                 backends: dict[str, Backend] | None = None,
                 has_lsof: bool | None = None, elevated: bool | None = None,
                 owner_seed: OwnerSeed | None = None):
        # elevated: running as root, so "run with sudo" is no advice (an injected OS is not ours)
        # owner_seed: the launch's first walk of /proc (Linux: ``owner_seed_linux``), for the
        # first scan of the netlink backend
        self.elevated = (_elevated() if os_name is None else False) if elevated is None else elevated
        self.os_name = os_name or current_os()
        if has_lsof is None:
            import shutil
            has_lsof = shutil.which("lsof") is not None
        self.chain = pocc.backend_chain(self.os_name, backend, has_lsof)
        self._probe = probe or self._default_probe
        self._backends: dict[str, Backend] = dict(backends or {})
        self._dead: set[str] = set()
        self._saw_everything = False
        self._details: dict[int, tuple[object, Holder | None]] = {}
        self._lock = threading.Lock()
        self._all_endpoints: list[Endpoint] | None = None
        self._all_owners: tuple[set[int], dict[int, str]] | None = None
        self._all_infos: dict[int, PortInfo] | None = None
        self._all_by_port: dict[int, list[Endpoint]] = {}
        self._port_infos: dict[int, PortInfo] = {}
        self._port_eps: dict[int, list[Endpoint]] = {}
        self._scan_input: tuple = (None, frozenset(), (set(), {}))   # (endpoints, ports, their owners)
        self.last_backends: tuple[str, ...] = ()
        self._owner_seed = owner_seed

    @staticmethod
    def _default_probe(port: int) -> Availability:
        return probe(port)

    def close(self) -> None:
        with self._lock:
            for b in self._backends.values():
                b.close()
            self._backends.clear()

    def __enter__(self) -> "OccupancyScanner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scanning ----------------------------------------------------------------------
    def scan(self, ports: Iterable[int]) -> Snapshot:
        wanted = port_set(ports)
        with self._lock:
            self._all_infos = None       # the port scan replaces the details the all view used
            endpoints = self._endpoints(wanted) if wanted else []
            if endpoints is self._scan_input[0] and wanted == self._scan_input[1]:
                # The backend's very same answer (a big registry's steady state): same grouping.
                by_port, owners = self._port_eps, self._scan_input[2]
            else:
                by_port = {p: [] for p in wanted}
                for ep in endpoints:
                    by_port[ep.port].append(ep)
                owners = ({ep.pid for ep in endpoints if ep.pid is not None},
                          {ep.pid: ep.name for ep in endpoints if ep.pid is not None})
                self._scan_input = (endpoints, wanted, owners)
            changed = self._refresh_details(*owners)
            infos = self._reuse_infos(by_port, changed, self._port_infos, self._port_eps)
            # Only held ports are reused (a free port is probed again each scan).
            self._port_infos = {p: i for p, i in infos.items() if i.status is PortStatus.LISTENING}
            self._port_eps = by_port
        return Snapshot(time.time(), infos)

    def _reuse_infos(self, by_port: dict[int, list[Endpoint]], changed: set[int],
                     old: dict[int, PortInfo], before: dict[int, list[Endpoint]]) -> dict[int, PortInfo]:
        """``PortInfo`` per port, the previous one kept where the same endpoints (backends keep
        unchanged Endpoint objects, so this is mostly identity) have the same owners' details."""
        infos: dict[int, PortInfo] = {}
        for port, eps in by_port.items():
            info = old.get(port)
            if info is None or not eps or eps != before.get(port) or not changed.isdisjoint(ep.pid for ep in eps):
                info = self._port_info(port, eps)
            infos[port] = info
        return infos

    def scan_all(self) -> Snapshot:
        """Every listening TCP socket and bound UDP socket of the machine, one ``PortInfo``
        per port (listening, or hidden when no owner is visible); no bind probes.

        The steady state costs one socket dump: the same sockets, owners and process
        identities as last time reuse the ``PortInfo`` values built then.
        """
        with self._lock:
            endpoints = self._endpoints(None)
            if endpoints is not self._all_endpoints or self._all_owners is None:
                # Only for a new answer: 5,000 endpoints of the same dozen processes.
                self._all_owners = ({ep.pid for ep in endpoints if ep.pid is not None},
                                    {ep.pid: ep.name for ep in endpoints if ep.name})
            changed = self._refresh_details(*self._all_owners)
            if endpoints is not self._all_endpoints or changed or self._all_infos is None:
                by_port: dict[int, list[Endpoint]] = {}
                for ep in endpoints:
                    by_port.setdefault(ep.port, []).append(ep)
                infos = self._reuse_infos(by_port, changed, self._all_infos or {}, self._all_by_port)
                self._all_infos, self._all_by_port, self._all_endpoints = infos, by_port, endpoints
            infos = self._all_infos
        return Snapshot(time.time(), infos)

    def _endpoints(self, ports: frozenset[int] | None) -> list[Endpoint]:
        seen: dict[tuple, Endpoint] = {}
        used: list[str] = []
        self._saw_everything = False
        for step in self.chain:
            if step.backend in self._dead:
                continue
            try:
                backend = self._backends.get(step.backend) or _make_backend(step.backend, self._owner_seed)
                self._backends[step.backend] = backend
                got = backend.endpoints(ports)
            except BackendUnavailable:
                self._dead.add(step.backend)   # e.g. AccessDenied on macOS: do not retry every second
                continue
            used.append(step.backend)
            if step.complete and not used[:-1]:
                # One complete answer, nothing to merge: kept as the very list the backend
                # gave (the machine-wide view recognises an unchanged answer by identity).
                self._saw_everything = True
                self.last_backends = tuple(used)
                return got
            for ep in got:
                seen.setdefault((ep.port, ep.protocol, ep.address, ep.pid), ep)
            if step.complete:
                self._saw_everything = True
                break
        self.last_backends = tuple(used)
        return list(seen.values())

    def _port_info(self, port: int, eps: list[Endpoint]) -> PortInfo:
        grouped: dict[tuple[int, Protocol], set[str]] = {}
        hidden: list[Endpoint] = []
        for ep in eps:
            if ep.pid is None:
                hidden.append(ep)
                continue
            grouped.setdefault((ep.pid, ep.protocol), set()).add(ep.address)
        holders = []
        for (pid, proto), addrs in sorted(grouped.items(), key=lambda kv: (kv[0][1].value, kv[0][0])):
            base = self._details[pid][1]
            if base is None:
                continue    # exited between the socket listing and now
            holders.append(Holder(pid, base.name, base.exe, base.cmdline, base.username, base.create_time,
                                  tuple(sorted(addrs)), proto, base.note, base.start_ticks))
        hidden_text = ""
        if hidden:
            owners = sorted({_owner_name(ep.uid) for ep in hidden} - {""})
            hidden_text = pocc.hidden_note(self.os_name, ", ".join(owners), self.elevated)
        if holders:
            return PortInfo(port, PortStatus.LISTENING, tuple(holders), hidden_text)
        if hidden:
            return PortInfo(port, PortStatus.HIDDEN, (), hidden_text)
        state = self._probe(port)
        if state is Availability.IN_USE:
            return PortInfo(port, PortStatus.HIDDEN, (), pocc.busy_note(self.os_name, self._saw_everything, self.elevated))
        if state is Availability.RESERVED:
            return PortInfo(port, PortStatus.RESERVED, (), pocc.reserved_note(self.os_name))
        return PortInfo(port, PortStatus.FREE)

    def _refresh_details(self, pids: set[int], names: dict[int, str]) -> set[int]:
        """Process details per pid, re-read only when the process's identity token changed.
        Returns the pids whose details are new or re-read."""
        fresh: dict[int, tuple[object, Holder | None]] = {}
        changed: set[int] = set()
        for pid in pids:
            token = self._token(pid)
            cached = self._details.get(pid)
            if cached is not None and token is not None and cached[0] == token:
                fresh[pid] = cached
            else:
                fresh[pid] = (token, process_info.process_holder(pid, self.os_name, names.get(pid, "")))
                changed.add(pid)
        self._details = fresh
        return changed

    def _token(self, pid: int) -> object:
        fast = self._backends.get(pocc.LINUX_FAST)
        if fast is not None and pocc.LINUX_FAST not in self._dead:
            return fast.token(pid)  # type: ignore[attr-defined]
        return process_info.identity_token(pid)


def scan(ports: Iterable[int], backend: str = "auto") -> Snapshot:
    """One-shot snapshot (builds and closes a scanner; keep a scanner to scan repeatedly)."""
    with OccupancyScanner(backend) as scanner:
        return scanner.scan(ports)


__all__ = ["OccupancyScanner", "scan", "BackendUnavailable", "Endpoint"]


def _elevated() -> bool:
    """Running as root (POSIX)? Then "run with sudo" is no advice."""
    return hasattr(os, "geteuid") and os.geteuid() == 0
