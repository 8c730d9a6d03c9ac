"""macOS without root: every TCP and UDP socket with its owner's pid, from one ``netstat -anv``.

``psutil.net_connections`` needs root on macOS (it walks every process), asking each process
(``Process.net_connections``) or ``lsof`` only shows our own processes. ``netstat -anv``
reads the kernel's socket lists (the ``net.inet.*.pcblist_n`` sysctls), which need no
privilege, and ``-v`` adds the pid of the process that last used each socket -- for a
listening socket, its owner, whoever that is. One process per scan, both protocols.

The ``-v`` columns changed between releases (``pid epid`` before macOS 14; ``process:pid``
from macOS 14), so the pid column is found by its header, counted from the right: the
columns right of ``(state)`` are present on every row (UDP rows have no state), and a
process name with spaces only widens the left side of ``process:pid``.
"""
from __future__ import annotations

import shutil

from ..platform.commands import run_command
from .backend import BackendUnavailable, Endpoint
from .snapshot import Protocol

NETSTAT_ARGV = ("netstat", "-anv")


def _pid_column(header: str) -> int | None:
    """Position of the pid column counted from the right (1 = last), from the header line."""
    tokens = header.split()
    for i, tok in enumerate(tokens):
        if tok == "pid" or tok.endswith(":pid"):
            return len(tokens) - i
    return None


def _address(local: str, proto: str) -> tuple[str, int] | None:
    host, _, port = local.rpartition(".")
    if not port.isdigit():
        return None
    if host == "*":
        host = "0.0.0.0" if proto.endswith("4") else "::"       # tcp46/udp46: the IPv6 wildcard, dual stack
    return host.split("%")[0], int(port)                         # fe80::1%lo0 -> fe80::1


def _pid(token: str) -> int | None:
    value = token.rpartition(":")[2]
    return int(value) if value.isdigit() and int(value) > 0 else None


def parse_netstat(text: str, ports: frozenset[int]) -> list[Endpoint]:
    """Holders on ``ports`` in ``netstat -anv`` output: TCP in LISTEN, UDP without a peer.

    Raises ``BackendUnavailable`` when the Internet table has no pid column (an older or
    unknown netstat): then it cannot name owners, and the next backend is asked.
    """
    out: list[Endpoint] = []
    from_right: int | None = None
    in_inet = False
    for line in text.splitlines():
        if line.startswith(("Active", "Registered")):
            in_inet, from_right = line.startswith("Active Internet"), None
            continue
        if not in_inet:
            continue
        if line.startswith("Proto"):
            from_right = _pid_column(line)
            if from_right is None:
                raise BackendUnavailable("this netstat prints no pid column (netstat -anv)")
            continue
        tokens = line.split()
        if from_right is None or len(tokens) < max(5, from_right) or not tokens[0].startswith(("tcp", "udp")):
            continue
        proto, local, foreign = tokens[0], tokens[3], tokens[4]
        kind = Protocol.TCP if proto.startswith("tcp") else Protocol.UDP
        if kind is Protocol.TCP and (len(tokens) < 6 or tokens[5] != "LISTEN"):
            continue
        if kind is Protocol.UDP and foreign != "*.*":
            continue
        where = _address(local, proto)
        if where is None or where[1] not in ports:
            continue
        out.append(Endpoint(where[1], kind, where[0], _pid(tokens[-from_right])))
    return out


class NetstatBackend:
    """``netstat -anv`` as a process (argv list, no shell), once per scan."""

    name = "netstat"

    def __init__(self, netstat: str | None = None):
        self._netstat = netstat or shutil.which("netstat") or "/usr/sbin/netstat"

    def close(self) -> None:
        return None

    def endpoints(self, ports: frozenset[int]) -> list[Endpoint]:
        done = run_command([self._netstat, *NETSTAT_ARGV[1:]], 10)
        if done.returncode != 0:
            raise BackendUnavailable(f"netstat failed: {done.stderr.strip() or 'it did not answer within 10 s'}")
        return parse_netstat(done.stdout, ports)
