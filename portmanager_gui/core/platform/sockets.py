"""How to probe a port on each OS without being fooled.

- POSIX: ``SO_REUSEADDR`` on the probe so a TIME_WAIT leftover does not count as taken;
  Linux and BSD still refuse the bind while anything *listens* there. (On Linux a leftover
  only yields to a socket with SO_REUSEADDR if the old one had it too -- servers set it, so
  the probe answers what a restarting server will meet.) IPv6 is probed with ``IPV6_V6ONLY``
  (the stacks are separate).
- Linux probes the wildcards only: its bind conflict check matches a wildcard against every
  address of the family and applies the same listen / SO_REUSEADDR rule to both, so a
  wildcard bind is refused whenever a bind to 127.0.0.1 (or ::1, or any other address) would
  be -- listening, bound but not listening yet, with or without SO_REUSEADDR -- and EACCES
  does not depend on the address. And one socket does for both families: ``::`` bound
  *without* ``IPV6_V6ONLY`` (dual-stack) is checked against every IPv4 socket of the port as
  well, by the same rule; only where there is no IPv6 (no AF_INET6 socket, or ``::`` not
  available) is 0.0.0.0 probed. One socket per free port (a 1,000-service registry probes
  2,000 free ports per scan; four sockets each before).
- macOS (BSD) also probes 127.0.0.1 and ::1: with SO_REUSEADDR a wildcard bind succeeds
  beside a socket bound to a specific address.
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
    """The addresses to probe, in order (Windows: each wildcard first; Linux: the wildcards
    only; see the module docstring)."""
    if os_name == WINDOWS:
        return ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET, "127.0.0.1"),
                (socket.AF_INET6, "::"), (socket.AF_INET6, "::1"))
    if os_name == LINUX:
        return ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0"))
    return PROBE_ADDRESSES


def dual_stack_probe(os_name: str) -> bool:
    """Whether the IPv6 wildcard is probed dual-stack: its free answer is then the answer for
    both families (see the module docstring)."""
    return os_name == LINUX


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


def apply_probe_options(sock: socket.socket, os_name: str, family: int | None = None,
                        dual_stack: bool = False) -> None:
    """``family``: the socket's, when the caller knows it (``sock.family`` builds an enum);
    ``dual_stack``: an IPv6 socket that also meets IPv4 (see ``dual_stack_probe``)."""
    for name in probe_options(os_name):
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, name), 1)
    if (sock.family if family is None else family) == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual_stack else 1)


__all__ = ["classify_bind_error", "probe_options", "probe_addresses", "dual_stack_probe", "apply_probe_options", "error_code",
           "PROBE_ADDRESSES", "IN_USE", "RESERVED", "UNAVAILABLE", "OTHER", "errno"]
