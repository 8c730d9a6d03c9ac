"""Linux fast path: NETLINK sock_diag for the sockets, /proc for their owners.

Why not /proc/net/tcp: with thousands of sockets on the machine, parsing every row in
Python each second costs tens of milliseconds. Like ``ss``, we ask the kernel
(``SOCK_DIAG_BY_FAMILY``, linux/inet_diag.h) for LISTEN TCP sockets and unconnected UDP
sockets only, with a bytecode filter on the wanted local ports, so the kernel skips the
established table and the answer is a handful of rows.

Sockets carry an inode, not a pid. ``InodeOwners`` maps inodes to ``(pid, fd)`` by reading
``/proc/*/fd`` links -- in full only when a wanted inode is unknown; otherwise each cached
link is re-read (one readlink) and only processes new since the last scan are read, which
catches a listening socket inherited by a fork. Owners we may not read (other users'
processes when not root) stay unknown: the endpoint has ``pid=None`` and its socket uid.
"""
from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Iterable

from .backend import BackendUnavailable, Endpoint
from .snapshot import Protocol

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
INET_DIAG_REQ_BYTECODE = 1
INET_DIAG_BC_JMP, INET_DIAG_BC_S_GE, INET_DIAG_BC_S_EQ = 1, 2, 11
_LEAF = 3                               # ports tested one by one at the bottom of the search
TCP_LISTEN, TCP_CLOSE = 10, 7          # unconnected UDP sockets report TCP_CLOSE
INET_DIAG_NOCOOKIE = 0xFFFFFFFF

_NLMSG = struct.Struct("=IHHII")        # len, type, flags, seq, pid
_MSG_HEAD = struct.Struct("=BBBB")      # family, state, timer, retrans
_TAIL = struct.Struct("=IIIII")         # expires, rqueue, wqueue, uid, inode
_SPORT = struct.Struct("!H")
_DIAG_MSG_LEN = 72

# (family, IPPROTO, state) for each of the four dumps a scan makes.
QUERIES = (
    (socket.AF_INET, socket.IPPROTO_TCP, TCP_LISTEN, Protocol.TCP),
    (socket.AF_INET6, socket.IPPROTO_TCP, TCP_LISTEN, Protocol.TCP),
    (socket.AF_INET, socket.IPPROTO_UDP, TCP_CLOSE, Protocol.UDP),
    (socket.AF_INET6, socket.IPPROTO_UDP, TCP_CLOSE, Protocol.UDP),
)


def port_filter(ports: Iterable[int]) -> bytes:
    """inet_diag bytecode accepting sockets whose local port is one of ``ports``.

    The kernel runs it for every listening socket, so it is a binary search (``S_GE``
    nodes) ending in a few ``S_EQ`` tests, not a chain of one test per port: ~7 steps per
    socket for 60 ports instead of 60. Rules (net/ipv4/inet_diag.c): an op's ``yes`` moves
    to the next op and its ``no`` jumps forward to an op boundary; landing exactly on the
    end accepts, landing 4 bytes past it rejects.
    """
    wanted = sorted(set(ports))
    if not wanted:
        return b""
    end = _filter_size(wanted)
    return b"".join(_emit(wanted, 0, end))


def _filter_size(ports: list[int]) -> int:
    if len(ports) <= _LEAF:
        return 12 * len(ports)
    mid = len(ports) // 2
    return 8 + _filter_size(ports[mid:]) + _filter_size(ports[:mid])


def _emit(ports: list[int], pos: int, end: int) -> list[bytes]:
    if len(ports) <= _LEAF:
        out = []
        for i, port in enumerate(ports):
            at = pos + 12 * i
            miss = 12 if i < len(ports) - 1 else end + 4 - at      # next test, or reject
            out.append(struct.pack("=BBHBBH", INET_DIAG_BC_S_EQ, 8, miss, 0, 0, port))
            out.append(struct.pack("=BBH", INET_DIAG_BC_JMP, 4, end - (at + 8)))   # accept
        return out
    mid = len(ports) // 2
    high, low = ports[mid:], ports[:mid]
    high_size = _filter_size(high)
    # sport >= ports[mid] ? high half (next) : low half (after it)
    head = struct.pack("=BBHBBH", INET_DIAG_BC_S_GE, 8, 8 + high_size, 0, 0, ports[mid])
    return [head, *_emit(high, pos + 8, end), *_emit(low, pos + 8 + high_size, end)]


def build_request(family: int, protocol: int, state: int, bytecode: bytes, seq: int) -> bytes:
    req = struct.pack("=BBBxI", family, protocol, 0, 1 << state)
    req += b"\0" * 40 + struct.pack("=II", INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE)  # sockid: any
    if bytecode:
        attr_len = 4 + len(bytecode)
        req += struct.pack("=HH", attr_len, INET_DIAG_REQ_BYTECODE) + bytecode + b"\0" * (-attr_len % 4)
    return _NLMSG.pack(_NLMSG.size + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + req


def parse_messages(data: bytes | memoryview, family: int) -> tuple[list[tuple[int, str, int, int]], bool]:
    """(port, address, uid, inode) rows of one netlink reply chunk, and whether it was the last."""
    rows: list[tuple[int, str, int, int]] = []
    offset, end = 0, len(data)
    addr_len = 4 if family == socket.AF_INET else 16
    while offset + _NLMSG.size <= end:
        length, kind, _flags, _seq, _pid = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size:
            break
        if kind == NLMSG_DONE:
            return rows, True
        if kind == NLMSG_ERROR:
            code = -struct.unpack_from("=i", data, offset + _NLMSG.size)[0]
            raise OSError(code, os.strerror(code))
        if kind == SOCK_DIAG_BY_FAMILY and length >= _NLMSG.size + _DIAG_MSG_LEN:
            body = offset + _NLMSG.size
            port = _SPORT.unpack_from(data, body + 4)[0]
            addr = socket.inet_ntop(family, bytes(data[body + 8: body + 8 + addr_len]))
            _exp, _rq, _wq, uid, inode = _TAIL.unpack_from(data, body + 52)
            rows.append((port, addr, uid, inode))
        offset += (length + 3) & ~3
    return rows, False


class NetlinkSockets:
    """A kept-open sock_diag socket answering "which sockets sit on these ports"."""

    def __init__(self) -> None:
        try:
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
        except (OSError, AttributeError) as exc:
            raise BackendUnavailable(f"netlink sock_diag unavailable: {exc}") from exc
        self._buf = bytearray(1 << 16)
        self._seq = 0
        self._filter_ports: frozenset[int] = frozenset()
        self._filter = b""
        self._use_filter = True

    def close(self) -> None:
        self._sock.close()

    def sockets(self, ports: frozenset[int]) -> list[tuple[Protocol, int, str, int, int]]:
        """(protocol, port, address, uid, inode) for every LISTEN TCP / unconnected UDP socket."""
        if ports != self._filter_ports:
            self._filter_ports, self._filter = ports, port_filter(ports)
        out: list[tuple[Protocol, int, str, int, int]] = []
        for family, proto, state, kind in QUERIES:
            try:
                rows = self._dump(family, proto, state)
            except OSError as exc:
                if proto != socket.IPPROTO_UDP:
                    raise BackendUnavailable(f"sock_diag dump failed: {exc}") from exc
                # No udp_diag module in this kernel: the UDP tables are small, read them.
                rows = proc_net_rows(self.proc_net(family), state, ports)
            # The kernel filter is an optimisation: the port test is repeated here.
            out.extend((kind, p, a, u, i) for p, a, u, i in rows if p in ports)
        return out

    @staticmethod
    def proc_net(family: int) -> str:
        return "/proc/net/udp" if family == socket.AF_INET else "/proc/net/udp6"

    def _dump(self, family: int, proto: int, state: int) -> list[tuple[int, str, int, int]]:
        bytecode = self._filter if self._use_filter else b""
        try:
            return self._request(family, proto, state, bytecode)
        except OSError as exc:
            if not bytecode or exc.errno != errno.EINVAL:
                raise
            self._use_filter = False   # an old kernel without INET_DIAG_BC_S_EQ: filter here
            return self._request(family, proto, state, b"")

    def _request(self, family: int, proto: int, state: int, bytecode: bytes) -> list[tuple[int, str, int, int]]:
        self._seq += 1
        self._sock.sendto(build_request(family, proto, state, bytecode, self._seq), (0, 0))
        rows: list[tuple[int, str, int, int]] = []
        view = memoryview(self._buf)
        while True:
            n = self._sock.recv_into(self._buf)
            chunk, done = parse_messages(view[:n], family)
            rows.extend(chunk)
            if done or n == 0:
                return rows


def proc_net_rows(path: str, state: int, ports: frozenset[int]) -> list[tuple[int, str, int, int]]:
    """(port, address, uid, inode) rows of /proc/net/{udp,udp6,tcp,tcp6} in ``state`` on ``ports``."""
    rows = []
    try:
        with open(path, encoding="ascii") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return rows
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or int(fields[3], 16) != state:
            continue
        addr_hex, _, port_hex = fields[1].partition(":")
        port = int(port_hex, 16)
        if port in ports:
            rows.append((port, _proc_net_address(addr_hex), int(fields[7]), int(fields[9])))
    return rows


def _proc_net_address(text: str) -> str:
    """/proc/net writes each 32-bit word of the address in host (little-endian) order."""
    raw = bytes.fromhex(text)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words)


def _socket_link(inode: int) -> str:
    return f"socket:[{inode}]"


class InodeOwners:
    """Socket inode -> pids holding it, kept across scans (see the module docstring)."""

    def __init__(self, proc: str = "/proc"):
        self.proc = proc
        self._owners: dict[int, dict[int, int]] = {}    # inode -> {pid: fd}
        self._unseen: set[int] = set()                 # inodes no readable process holds
        self._pids: set[int] = set()
        self.full_scans = 0

    def resolve(self, inodes: set[int]) -> dict[int, tuple[int, ...]]:
        """Pids holding each inode (empty tuple: the owner cannot be seen)."""
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
        return {i: tuple(sorted(self._owners.get(i, {}))) for i in inodes}

    def _list_pids(self) -> set[int]:
        return {int(n) for n in os.listdir(self.proc) if n.isdigit()}

    def _holds(self, pid: int, fd: int, inode: int) -> bool:
        try:
            return os.readlink(f"{self.proc}/{pid}/fd/{fd}") == _socket_link(inode)
        except OSError:
            return False

    def _scan(self, pids: Iterable[int], inodes: set[int]) -> dict[int, dict[int, int]]:
        wanted = {_socket_link(i): i for i in inodes}
        found: dict[int, dict[int, int]] = {}
        for pid in pids:
            base = f"{self.proc}/{pid}/fd/"
            try:
                fds = os.listdir(base)
            except OSError:
                continue     # gone, or another user's process we may not read
            for fd in fds:
                try:
                    link = os.readlink(base + fd)
                except OSError:
                    continue
                inode = wanted.get(link)
                if inode is not None:
                    found.setdefault(inode, {}).setdefault(pid, int(fd))
        return found


class LinuxBackend:
    """Endpoints from sock_diag + /proc; see the module docstring."""

    name = "linux"

    def __init__(self, proc: str = "/proc"):
        self._net = NetlinkSockets()
        self._owners = InodeOwners(proc)

    def close(self) -> None:
        self._net.close()

    @property
    def full_scans(self) -> int:
        return self._owners.full_scans

    def endpoints(self, ports: frozenset[int]) -> list[Endpoint]:
        rows = self._net.sockets(ports)
        owners = self._owners.resolve({r[4] for r in rows})
        out: list[Endpoint] = []
        for kind, port, addr, uid, inode in rows:
            pids = owners.get(inode) or (None,)
            out.extend(Endpoint(port, kind, addr, pid, uid) for pid in pids)
        return out

    def token(self, pid: int) -> tuple[bytes, bytes] | None:
        """(start time, command line) from /proc: changes when the pid is reused or execs."""
        return stat_token(pid, self._owners.proc)


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
