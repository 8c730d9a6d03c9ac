"""Portable occupancy backends: psutil's system-wide table, per-process psutil, and lsof.

``PsutilBackend`` is complete wherever ``psutil.net_connections`` works (Linux, Windows,
macOS as root). On macOS without root it raises AccessDenied; ``PerProcessBackend`` then
asks each process we may inspect, and ``LsofBackend`` adds what ``lsof`` can list. Those two
are partial: ``occupancy`` uses the bind probe for the rest (see ``platform.occupancy``).
"""
from __future__ import annotations

import shutil
import socket
from collections.abc import Iterable

import psutil

from ..platform.commands import run_command
from .backend import BackendUnavailable, Endpoint
from .snapshot import Protocol

_TYPES = {socket.SOCK_STREAM: Protocol.TCP, socket.SOCK_DGRAM: Protocol.UDP}


def holder_endpoint(conn, ports: frozenset[int] | None, pid: int | None) -> Endpoint | None:
    """An ``Endpoint`` for a psutil connection that *holds* a wanted port (any port when
    ``ports`` is None), else None.

    Holders are TCP sockets in LISTEN and UDP sockets with no remote address; a client
    connected to the port, or the server side of an accepted connection, is not one.
    """
    if not conn.laddr or (ports is not None and conn.laddr.port not in ports):
        return None
    kind = _TYPES.get(conn.type)
    if kind is Protocol.TCP and conn.status != psutil.CONN_LISTEN:
        return None
    if kind is Protocol.UDP and conn.raddr:
        return None
    if kind is None:
        return None
    return Endpoint(conn.laddr.port, kind, conn.laddr.ip, pid)


class PsutilBackend:
    """``psutil.net_connections('inet')``: one system-wide table."""

    name = "psutil"

    def close(self) -> None:
        return None

    def endpoints(self, ports: frozenset[int] | None) -> list[Endpoint]:
        try:
            conns = psutil.net_connections(kind="inet")
        except psutil.AccessDenied as exc:
            raise BackendUnavailable("psutil.net_connections needs root here") from exc
        out = []
        for conn in conns:
            ep = holder_endpoint(conn, ports, conn.pid)
            if ep is not None:
                out.append(ep)
        return out


class PerProcessBackend:
    """Each process we may inspect, one by one (macOS without root: our own processes)."""

    name = "per-process"

    def close(self) -> None:
        return None

    def endpoints(self, ports: frozenset[int] | None) -> list[Endpoint]:
        out = []
        for proc in psutil.process_iter():
            try:
                conns = proc.net_connections(kind="inet")
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            for conn in conns:
                ep = holder_endpoint(conn, ports, proc.pid)
                if ep is not None:
                    out.append(ep)
        return out


def lsof_argv(ports: Iterable[int] | None, protocol: Protocol) -> list[str]:
    """``lsof -nP -iTCP:3000,3001 -sTCP:LISTEN -Fpctn`` (or UDP): machine-readable fields.
    ``ports`` None: every port (``-iTCP``)."""
    spec = ":" + ",".join(str(p) for p in sorted(ports)) if ports is not None else ""
    if protocol is Protocol.TCP:
        return ["lsof", "-nP", f"-iTCP{spec}", "-sTCP:LISTEN", "-Fpctn"]
    return ["lsof", "-nP", f"-iUDP{spec}", "-Fpctn"]


def parse_lsof(text: str, protocol: Protocol, ports: frozenset[int] | None) -> list[Endpoint]:
    """Parse ``-F pctn`` output: ``p<pid>``, ``c<command>``, then per socket ``t<IPv4|IPv6>``
    and ``n<addr>:<port>`` (``*`` is the wildcard of that family)."""
    out: list[Endpoint] = []
    pid: int | None = None
    name, family = "", "IPv4"
    for line in text.splitlines():
        tag, value = line[:1], line[1:]
        if tag == "p":
            pid, name = (int(value) if value.isdigit() else None), ""
        elif tag == "c":
            name = value
        elif tag == "t":
            family = value
        elif tag == "n" and pid is not None:
            if "->" in value:
                continue   # a connected socket (UDP with a peer): not a holder
            host, _, port_text = value.rpartition(":")
            if not port_text.isdigit() or (ports is not None and int(port_text) not in ports):
                continue
            host = host.strip("[]")
            if host == "*":
                host = "::" if family == "IPv6" else "0.0.0.0"
            out.append(Endpoint(int(port_text), protocol, host, pid, name=name))
    return out


class LsofBackend:
    """``lsof`` as a process (argv list, no shell)."""

    name = "lsof"

    def __init__(self, lsof: str | None = None):
        self._lsof = lsof or shutil.which("lsof")

    def close(self) -> None:
        return None

    def endpoints(self, ports: frozenset[int] | None) -> list[Endpoint]:
        if not self._lsof:
            raise BackendUnavailable("lsof is not installed")
        out: list[Endpoint] = []
        for protocol in (Protocol.TCP, Protocol.UDP):
            argv = lsof_argv(ports, protocol)
            argv[0] = self._lsof
            done = run_command(argv, 10)
            # lsof exits 1 when nothing matches: not an error.
            if done.returncode is None or done.returncode == 127:
                raise BackendUnavailable(f"lsof failed: {done.stderr or 'it did not answer within 10 s'}")
            out.extend(parse_lsof(done.stdout, protocol, ports))
        return out
