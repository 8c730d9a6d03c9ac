"""Values describing who holds which port at one moment.

``occupancy`` produces them, the CLI prints them, the GUI renders them, the supervisor
checks starts against them. They are frozen so they can cross threads safely.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType


class PortStatus(str, Enum):
    FREE = "free"
    LISTENING = "listening"        # held by one or more processes we can name
    RESERVED = "reserved"          # the OS refuses the bind (WSAEACCES / EACCES, excluded range)
    HIDDEN = "hidden"              # something holds it, but we cannot see which process


class Protocol(str, Enum):
    TCP = "tcp"
    UDP = "udp"


@dataclass(frozen=True)
class Holder:
    """A process listening on (TCP) or bound to (UDP) a port."""

    pid: int
    name: str = ""
    exe: str = ""
    cmdline: tuple[str, ...] = ()
    username: str = ""
    create_time: float | None = None
    addresses: tuple[str, ...] = ()          # local addresses, e.g. ("127.0.0.1", "::1")
    protocol: Protocol = Protocol.TCP
    note: str = ""                           # e.g. why PID 4 on Windows cannot be killed
    start_ticks: int | None = None           # exact start where the OS gives it (core.kill.identity)

    @property
    def identity(self) -> tuple[int, float | None]:
        """pid + create time: a pid alone can be reused by an unrelated process."""
        return (self.pid, self.create_time)

    def describe(self) -> str:
        return f"{self.name or '?'} (pid {self.pid})"


@dataclass(frozen=True)
class PortInfo:
    """One port in a snapshot: its status and who holds it."""

    port: int
    status: PortStatus
    holders: tuple[Holder, ...] = ()
    note: str = ""

    @property
    def taken(self) -> bool:
        return self.status is not PortStatus.FREE


@dataclass(frozen=True)
class Snapshot:
    """Who held each scanned port at ``taken_at`` (one scan)."""

    taken_at: float
    ports: Mapping[int, PortInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", MappingProxyType(dict(self.ports)))

    def info(self, port: int) -> PortInfo:
        return self.ports.get(port) or PortInfo(port, PortStatus.FREE)

    def holders(self, port: int) -> tuple[Holder, ...]:
        return self.info(port).holders
