"""Backend internals: the inet_diag port filter, netlink parsing, psutil filtering, lsof output."""
from __future__ import annotations

import random
import socket
import struct
import sys
from types import SimpleNamespace

import psutil
import pytest

from portmanager_gui.core.occupancy import netlink_linux as ol
from portmanager_gui.core.occupancy.psutil_backends import (
    holder_endpoint,
    lsof_argv,
    parse_lsof,
)
from portmanager_gui.core.occupancy.snapshot import Protocol

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="netlink is Linux-only")
_OP = struct.Struct("=BBH")


def kernel_run(bc: bytes, port: int) -> bool:
    """inet_diag_bc_run (net/ipv4/inet_diag.c) for the ops we emit."""
    pos = 0
    while len(bc) - pos > 0:
        code, yes, no = _OP.unpack_from(bc, pos)
        operand = _OP.unpack_from(bc, pos + 4)[2] if code != ol.INET_DIAG_BC_JMP else None
        ok = {ol.INET_DIAG_BC_JMP: False, ol.INET_DIAG_BC_S_EQ: port == operand,
              ol.INET_DIAG_BC_S_GE: operand is not None and port >= operand}[code]
        pos += yes if ok else no
    return pos == len(bc)


def kernel_audit(bc: bytes) -> bool:
    """inet_diag_bc_audit + valid_cc: what the kernel checks before accepting a filter."""
    def valid_cc(length: int, cc: int) -> bool:
        pos = 0
        while length >= 0:
            if cc > length:
                return False
            if cc == length:
                return True
            yes = _OP.unpack_from(bc, pos)[1]
            if yes < 4 or yes & 3:
                return False
            length -= yes
            pos += yes
        return False

    pos, length = 0, len(bc)
    while length > 0:
        code, yes, no = _OP.unpack_from(bc, pos)
        min_len = 4 if code == ol.INET_DIAG_BC_JMP else 8
        if length < min_len:
            return False
        if no < min_len or no > length + 4 or no & 3:
            return False
        if no < length and not valid_cc(len(bc), length - no):
            return False
        if yes < min_len or yes > length + 4 or yes & 3:
            return False
        pos += yes
        length -= yes
    return length == 0


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 60, 300])
def test_port_filter_accepts_exactly_the_wanted_ports(count):
    rng = random.Random(count)
    ports = sorted(rng.sample(range(1, 65536), count))
    bc = ol.port_filter(ports)
    assert kernel_audit(bc)
    probes = set(ports) | {p + 1 for p in ports} | {p - 1 for p in ports} | {1, 65535, 3000, 30001}
    for port in probes:
        assert kernel_run(bc, port) == (port in ports), port


def test_port_filter_is_a_search_not_a_chain():
    ports = list(range(3000, 3060))
    steps = []
    bc = ol.port_filter(ports)
    pos = 0
    while len(bc) - pos > 0:   # count ops run for a socket on a port that is not wanted
        code, yes, no = _OP.unpack_from(bc, pos)
        operand = _OP.unpack_from(bc, pos + 4)[2]
        ok = code == ol.INET_DIAG_BC_S_GE and 9999 >= operand
        steps.append(code)
        pos += yes if ok else no
    assert len(steps) <= 10


def test_parse_messages_reads_port_address_uid_inode_and_errors():
    body = struct.pack("=BBBB", socket.AF_INET6, 10, 0, 0) + struct.pack("!HH", 8100, 0)
    body += socket.inet_pton(socket.AF_INET6, "::1") + b"\0" * 16 + struct.pack("=I", 0) + b"\0" * 8
    body += struct.pack("=IIIII", 0, 0, 0, 1000, 424242)
    msg = struct.pack("=IHHII", 16 + len(body), ol.SOCK_DIAG_BY_FAMILY, 2, 1, 0) + body
    done = struct.pack("=IHHII", 20, ol.NLMSG_DONE, 2, 1, 0) + b"\0" * 4
    rows, finished = ol.parse_messages(msg + done, socket.AF_INET6)
    assert rows == [(8100, "::1", 1000, 424242)] and finished
    err = struct.pack("=IHHII", 36, ol.NLMSG_ERROR, 0, 1, 0) + struct.pack("=i", -22) + b"\0" * 16
    with pytest.raises(OSError) as info:
        ol.parse_messages(err, socket.AF_INET)
    assert info.value.errno == 22


@linux_only
def test_kernel_filter_returns_what_an_unfiltered_dump_has_on_those_ports(listener):
    held = [listener.listen("127.0.0.1").port for _ in range(3)]
    net = ol.NetlinkSockets()
    try:
        unfiltered = net._request(socket.AF_INET, socket.IPPROTO_TCP, ol.TCP_LISTEN, b"")
        filtered = net._request(socket.AF_INET, socket.IPPROTO_TCP, ol.TCP_LISTEN, ol.port_filter(held[:2]))
        assert sorted(filtered) == sorted(r for r in unfiltered if r[0] in held[:2])
        assert {r[0] for r in filtered} == set(held[:2])
        net.sockets(frozenset(held))
        assert net._use_filter            # this kernel took our bytecode
    finally:
        net.close()


def _conn(kind, laddr, raddr=(), status=psutil.CONN_NONE):
    addr = SimpleNamespace(ip=laddr[0], port=laddr[1]) if laddr else ()
    peer = SimpleNamespace(ip=raddr[0], port=raddr[1]) if raddr else ()
    return SimpleNamespace(type=kind, laddr=addr, raddr=peer, status=status)


def test_psutil_holders_are_listeners_and_unconnected_udp_only():
    ports = frozenset({3000})
    tcp, udp = socket.SOCK_STREAM, socket.SOCK_DGRAM
    assert holder_endpoint(_conn(tcp, ("::1", 3000), status=psutil.CONN_LISTEN), ports, 7).address == "::1"
    assert holder_endpoint(_conn(tcp, ("127.0.0.1", 3000), ("127.0.0.1", 5), psutil.CONN_ESTABLISHED),
                           ports, 7) is None      # the server end of an accepted connection
    assert holder_endpoint(_conn(tcp, ("127.0.0.1", 30001), status=psutil.CONN_LISTEN), ports, 7) is None
    assert holder_endpoint(_conn(udp, ("127.0.0.1", 3000)), ports, 7).protocol is Protocol.UDP
    assert holder_endpoint(_conn(udp, ("127.0.0.1", 3000), ("127.0.0.1", 53)), ports, 7) is None


def test_lsof_output_is_parsed_by_family_and_port():
    text = ("p501\ncllama-server\ntIPv4\nn127.0.0.1:8100\ntIPv6\nn*:8100\n"
            "p777\ncnode\ntIPv6\nn[::1]:3000\ntIPv4\nn127.0.0.1:3000->127.0.0.1:5000\ntIPv4\nn*:9999\n")
    eps = parse_lsof(text, Protocol.TCP, frozenset({8100, 3000}))
    assert [(e.pid, e.name, e.address, e.port) for e in eps] == [
        (501, "llama-server", "127.0.0.1", 8100), (501, "llama-server", "::", 8100), (777, "node", "::1", 3000)]
    assert lsof_argv([3001, 3000], Protocol.TCP) == ["lsof", "-nP", "-iTCP:3000,3001", "-sTCP:LISTEN", "-Fpctn"]
    assert lsof_argv([53], Protocol.UDP)[2] == "-iUDP:53"


@linux_only
def test_proc_net_fallback_reads_the_same_udp_sockets_as_netlink(listener):
    v4 = listener.listen("127.0.0.1", kind="udp")
    v6 = listener.listen("::1", kind="udp")
    ports = frozenset({v4.port, v6.port})
    net = ol.NetlinkSockets()
    try:
        for family, path in ((socket.AF_INET, "/proc/net/udp"), (socket.AF_INET6, "/proc/net/udp6")):
            from_netlink = net._request(family, socket.IPPROTO_UDP, ol.TCP_CLOSE, ol.port_filter(ports))
            assert sorted(ol.proc_net_rows(path, ol.TCP_CLOSE, ports)) == sorted(from_netlink) != []
    finally:
        net.close()
