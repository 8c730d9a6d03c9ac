"""The bind probe: can a server bind this TCP port right now?

A port is taken when anything listens on it on 127.0.0.1, 0.0.0.0, ::1 or ::; a TIME_WAIT
leftover does not make it taken; an OS refusal (EACCES / WSAEACCES) is "reserved", not
"in use". The OS-specific details are in ``platform.sockets``.
"""
from __future__ import annotations

import socket
from enum import Enum

from ..platform import current_os
from ..platform import sockets as ps


class Availability(str, Enum):
    FREE = "free"
    IN_USE = "in use"
    RESERVED = "reserved"


def probe(port: int, os_name: str | None = None,
          addresses: tuple[tuple[int, str], ...] | None = None) -> Availability:
    """Try to bind ``port`` on each address in turn; the first refusal decides. Where the OS's
    IPv6 wildcard answers for both families (Linux), its successful bind is the answer."""
    os_name = os_name or current_os()
    dual = addresses is None and ps.dual_stack_probe(os_name)
    for family, addr in addresses or ps.probe_addresses(os_name):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 stack on this machine
        try:
            ps.apply_probe_options(sock, os_name, family, dual)
            sock.bind((addr, port))
            if dual and family == socket.AF_INET6:
                return Availability.FREE
        except OSError as exc:
            kind = ps.classify_bind_error(os_name, ps.error_code(exc, os_name))
            if kind == ps.IN_USE:
                return Availability.IN_USE
            if kind == ps.RESERVED:
                return Availability.RESERVED
            if kind == ps.OTHER:
                raise
        finally:
            sock.close()
    return Availability.FREE


def is_free(port: int) -> bool:
    return probe(port) is Availability.FREE
