"""What an occupancy backend reports, before processes are described.

A backend (the Linux netlink path, psutil, per-process psutil, ``lsof``) only says which
sockets sit on the wanted ports and which pid owns each -- or that the owner cannot be
seen. ``occupancy`` turns those raw endpoints into ``Holder`` values, adds process details
and decides each port's status, the same way for every backend.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from .snapshot import Protocol


@dataclass(frozen=True)
class Endpoint:
    """One listening TCP socket or one bound (unconnected) UDP socket on a wanted port."""

    port: int
    protocol: Protocol
    address: str                 # local address as inet_ntop writes it: "127.0.0.1", "::1", "::"
    pid: int | None              # None: the socket exists but its owner is not visible to us
    uid: int | None = None       # socket owner's uid when the backend knows it (Linux netlink)
    name: str = ""               # process name when the backend knows it (lsof)


class BackendUnavailable(RuntimeError):
    """This backend cannot answer here (no permission, no tool): try the next one."""


class Backend(TypingProtocol):
    name: str

    def endpoints(self, ports: frozenset[int] | None) -> list[Endpoint]:
        """Every holder socket on ``ports`` (None: on any port, the machine-wide view);
        raise ``BackendUnavailable`` to fall back."""
        ...

    def close(self) -> None:
        ...


def port_set(ports: Iterable[int]) -> frozenset[int]:
    return frozenset(int(p) for p in ports if 0 < int(p) <= 65535)
