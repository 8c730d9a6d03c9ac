"""Every listener of the machine as rows: who holds each port, named for what it is.

``listeners`` turns a machine-wide ``Snapshot`` (``OccupancyScanner.scan_all``) into one
``Listener`` per process, port and protocol, with the recognised label, whether it is a
system process (hidden by default in the All ports view), the container behind a published
port and the registry service the port belongs to. ``tray_others`` picks the user's own
non-system listeners outside the registry for the tray's "Other ports" menu.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..platform import occupancy as pocc
from ..ports.selection import ModelSlot
from ..registry.model import Registry, Service
from .recognition import Kind, Recognized, recognize
from .snapshot import Holder, PortInfo, Protocol, Snapshot

TRAY_OTHERS_MAX = 12


class HeldBy:
    """The holder's pid, name and user, and what it is (``holder`` and ``label`` given)."""

    __slots__ = ()
    holder: Holder | None
    label: str

    @property
    def pid(self) -> int | None:
        return self.holder.pid if self.holder else None

    @property
    def name(self) -> str:
        return self.holder.name if self.holder else ""

    @property
    def user(self) -> str:
        return self.holder.username if self.holder else ""

    @property
    def what(self) -> str:
        """The label when recognised, else the process name: ``Ollama``, ``myapp``."""
        return self.label or self.name or "?"


@dataclass(frozen=True, slots=True)     # thousands of them: no dict each for the collector to walk
class Listener(HeldBy):
    """One listening socket of the machine: port, protocol, addresses and holder."""

    port: int
    protocol: Protocol
    addresses: tuple[str, ...]
    holder: Holder | None          # None: the owner cannot be seen (another user's process)
    label: str = ""                # "llama-server (qwen2.5-7b)", "" when not recognised
    kind: Kind | None = None
    system: bool = False
    container: str = ""            # the container that publishes the port, when known
    service: str = ""              # the registry service the port belongs to
    note: str = ""
    runtime: str = ""              # the container runtime of a forwarder: "docker", "podman"

    @property
    def key(self) -> tuple[int | None, int, str]:
        return (self.pid, self.port, self.protocol.value)


def _is_system(holder: Holder | None, kind: Kind | None, os_name: str, me_user: str) -> bool:
    if holder is None:
        return True                 # not ours to see: another user's, usually the OS's
    if kind is Kind.SYSTEM:
        return True
    if kind is Kind.CONTAINER_PROXY:
        return False                # a published container port is the user's business
    if holder.pid in pocc.protected_pids(os_name) or pocc.system_path(os_name, holder.exe):
        return True
    # Run as root (a server, CI), root's own programs are the user's, not the system's.
    return pocc.system_account(os_name, holder.username) and not pocc.same_user(os_name, holder.username, me_user)


def registry_ports(reg: Registry | None, slots: Iterable[ModelSlot] = ()) -> dict[int, str]:
    """Port -> what of the registry it belongs to: a service's name, or ``pool/model`` for a
    model server's slot (``slots``: the registry's ``model_slots``, a read)."""
    if reg is None:
        return {}
    out = {slot.port: slot.unit for slot in slots}
    out.update((p, s.name) for s in reg.services.values() for p in s.ports)
    return out


def listeners(snapshot: Snapshot, os_name: str, services: Mapping[int, str] | None = None,
              container_for: Callable[[int, str], str | None] | None = None,
              me_user: str = "", cache: dict[int, tuple[PortInfo, list[Listener]]] | None = None,
              ordered: bool = True) -> tuple[Listener, ...]:
    """One row per (process, port, protocol), sorted by process then port (unless not
    ``ordered``). ``me_user``: who asks (their own processes are never system ones).
    ``cache`` (kept by the caller while ``services`` and ``container_for`` stay the same)
    keeps the rows of each port whose ``PortInfo`` is the very same value as last time."""
    services = services or {}
    seen: dict[tuple, Recognized | None] = {}
    out: list[Listener] = []
    for port, info in snapshot.ports.items():
        known = cache.get(port) if cache is not None else None
        if known is not None and known[0] is info:
            out.extend(known[1])
            continue
        rows = _port_rows(port, info, os_name, services.get(port, ""), container_for, me_user, seen)
        if cache is not None:
            cache[port] = (info, rows)
        out.extend(rows)
    if cache is not None and len(cache) > len(snapshot.ports):
        for port in cache.keys() - snapshot.ports.keys():
            del cache[port]
    if ordered:
        out.sort(key=lambda r: (r.what.lower(), r.pid or 0, r.port, r.protocol.value))
    return tuple(out)


def _port_rows(port: int, info: PortInfo, os_name: str, service: str,
               container_for: Callable[[int, str], str | None] | None, me_user: str,
               seen: dict[tuple, Recognized | None]) -> list[Listener]:
    if not info.holders:
        return [Listener(port, Protocol.TCP, (), None, system=True, service=service, note=info.note)]
    out = []
    for h in info.holders:
        ident = (h.pid, h.create_time, h.name)
        if ident not in seen:
            seen[ident] = recognize(h.name, h.exe, h.cmdline, os_name)
        rec = seen[ident]
        kind = rec.kind if rec else None
        container, runtime = "", ""
        if kind is Kind.CONTAINER_PROXY:
            runtime = "podman" if rec.label.startswith("Podman") else "docker"
            container = (container_for(port, h.protocol.value) or "") if container_for is not None else ""
        out.append(Listener(port, h.protocol, h.addresses, h, rec.text if rec else "", kind,
                            _is_system(h, kind, os_name, me_user), container, service, h.note or info.note,
                            runtime))
    return out


def tray_others(rows: Iterable[Listener], me_user: str, os_name: str, registry_ports: Iterable[int] = (),
                limit: int = TRAY_OTHERS_MAX) -> tuple[Listener, ...]:
    """The user's own non-system listeners on ports outside the registry, most recent first,
    one per port, at most ``limit`` (published container ports count as the user's)."""
    skip = set(registry_ports)
    mine = [r for r in rows if r.holder is not None and not r.system and r.port not in skip
            and (r.kind is Kind.CONTAINER_PROXY or pocc.same_user(os_name, r.user, me_user))]
    mine.sort(key=lambda r: (-(r.holder.create_time or 0.0), r.port))
    out: dict[int, Listener] = {}
    for r in mine:
        out.setdefault(r.port, r)
    return tuple(out.values())[:limit]


def service_name(listener: Listener, taken: Iterable[str]) -> str:
    """A registry name for the listener: ``ollama``, ``llama-server-2`` when that is taken."""
    base = re.sub(r"[^a-z0-9]+", "-", (listener.label.split(" (")[0] or listener.name or "service").lower())
    base = base.strip("-") or "service"
    names, name, n = set(taken), base, 2
    while name in names:
        name, n = f"{base}-{n}", n + 1
    return name


def new_service(listener: Listener, registry: Registry, name: str = "", with_command: bool = False) -> Registry:
    """The registry with a service for ``listener``'s port (and its command line, when asked)."""
    name = name or service_name(listener, registry.names())
    command = tuple(listener.holder.cmdline) if with_command and listener.holder else ()
    return registry.with_service(Service(name, (listener.port,), command=command))
