"""How to probe a port on each OS without being fooled.

- POSIX: ``SO_REUSEADDR`` on the probe so a TIME_WAIT leftover does not count as taken;
  Linux and BSD still refuse the bind while anything *listens* there. (On Linux a leftover
  only yields to a socket with SO_REUSEADDR if the old one had it too -- servers set it, so
  the probe answers what a restarting server will meet.) Each of 127.0.0.1,
  0.0.0.0, ::1 and :: is probed, IPv6 with ``IPV6_V6ONLY`` (the stacks are separate).
- Windows: ``SO_EXCLUSIVEADDRUSE`` and never ``SO_REUSEADDR`` (which would let the probe
  steal a port another process bound; see "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE").
  WSAEACCES (10013) means the port is in an excluded range or reserved: not "in use".
  The wildcard of each family is probed before its loopback: an exclusive bind to a
  *specific* address is refused with WSAEACCES when another socket holds the wildcard with
  SO_EXCLUSIVEADDRUSE, while an exclusive *wildcard* bind gets WSAEADDRINUSE against every
  holder (the table in "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"). So WSAEACCES from the
  wildcard probe means "reserved", and the loopback probe only runs when nothing holds the
  wildcard.
"""
from __future__ import annotations

import errno
import socket

from . import LINUX, MACOS, WINDOWS

IN_USE, RESERVED, UNAVAILABLE, OTHER = "in_use", "reserved", "unavailable", "other"

# errno values per OS (Linux/macOS from <errno.h>, Windows from WinSock2 WSAE* codes).
_CODES = {
    LINUX: {98: IN_USE, 13: RESERVED, 1: RESERVED, 99: UNAVAILABLE, 97: UNAVAILABLE},
    MACOS: {48: IN_USE, 13: RESERVED, 1: RESERVED, 49: UNAVAILABLE, 47: UNAVAILABLE},
    WINDOWS: {10048: IN_USE, 10013: RESERVED, 10049: UNAVAILABLE, 10047: UNAVAILABLE},
}

PROBE_ADDRESSES = (
    (socket.AF_INET, "127.0.0.1"),
    (socket.AF_INET, "0.0.0.0"),
    (socket.AF_INET6, "::1"),
    (socket.AF_INET6, "::"),
)


def probe_addresses(os_name: str) -> tuple[tuple[int, str], ...]:
    """The addresses to probe, in order (Windows: each wildcard first, see the module docstring)."""
    if os_name == WINDOWS:
        return ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET, "127.0.0.1"),
                (socket.AF_INET6, "::"), (socket.AF_INET6, "::1"))
    return PROBE_ADDRESSES


def classify_bind_error(os_name: str, code: int | None) -> str:
    """What a failed probe bind means: in_use, reserved, unavailable (skip) or other."""
    return _CODES.get(os_name, _CODES[LINUX]).get(code or 0, OTHER)


def probe_options(os_name: str) -> tuple[str, ...]:
    """Socket options to set on a probe socket, by name (see the module docstring)."""
    return ("SO_EXCLUSIVEADDRUSE",) if os_name == WINDOWS else ("SO_REUSEADDR",)


def error_code(exc: OSError, os_name: str) -> int | None:
    if os_name == WINDOWS:
        return getattr(exc, "winerror", None) or exc.errno
    return exc.errno


def apply_probe_options(sock: socket.socket, os_name: str) -> None:
    for name in probe_options(os_name):
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, name), 1)
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)


__all__ = ["classify_bind_error", "probe_options", "probe_addresses", "apply_probe_options", "error_code",
           "PROBE_ADDRESSES", "IN_USE", "RESERVED", "UNAVAILABLE", "OTHER", "errno"]
