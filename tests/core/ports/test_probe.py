"""The bind probe against real sockets held by real child processes."""
from __future__ import annotations

import socket
import sys

import pytest

from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform.sockets import (
    IN_USE,
    OTHER,
    RESERVED,
    UNAVAILABLE,
    classify_bind_error,
    dual_stack_probe,
    probe_addresses,
    probe_options,
)
from portmanager_gui.core.ports.probe import Availability, probe
from tests.helpers import free_ports


@pytest.fixture
def held(listener):
    return listener.listen


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_an_ipv4_listener_makes_the_port_in_use(held, host):
    child = held(host)
    assert probe(child.port) is Availability.IN_USE
    child.stop()
    assert probe(child.port) is Availability.FREE


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback on this machine")
@pytest.mark.parametrize("host", ["::1", "::"])
def test_an_ipv6_only_listener_is_seen_too(held, host):
    # IPv4 and IPv6 are separate stacks: a probe of 0.0.0.0 alone would call this free.
    child = held(host)
    assert probe(child.port) is Availability.IN_USE


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("reuseaddr", [False, True])
def test_a_socket_bound_but_not_listening_yet(host, reuseaddr):
    """A server between bind() and listen(): its port is taken unless both sides set
    SO_REUSEADDR (then the server's own bind would succeed as well).

    The port is one below the ephemeral range, free on every address: a port the OS picks for
    ``bind((host, 0))`` may be another program's client port on the other stack, which the
    probe rightly reports in use (seen with a few thousand loopback connections open)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if family == socket.AF_INET6 and not _has_ipv6():
        pytest.skip("no IPv6 loopback on this machine")
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        if reuseaddr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = free_ports(1)[0]
        sock.bind((host, port))
        assert probe(port) is (Availability.FREE if reuseaddr else Availability.IN_USE)
        sock.listen()
        assert probe(port) is Availability.IN_USE


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is a loopback address on Linux only")
def test_a_listener_on_another_loopback_address_takes_the_port(held):
    assert probe(held("127.0.0.2").port) is Availability.IN_USE


def test_linux_probes_only_the_wildcards_which_are_refused_whenever_a_loopback_bind_is():
    # the dual-stack :: first (it answers for IPv4 too), 0.0.0.0 where there is no IPv6
    assert probe_addresses(LINUX) == ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0"))
    assert dual_stack_probe(LINUX) and not dual_stack_probe(MACOS) and not dual_stack_probe(WINDOWS)
    assert {a for _, a in probe_addresses(MACOS)} == {a for _, a in probe_addresses(WINDOWS)} \
        == {"127.0.0.1", "0.0.0.0", "::1", "::"}


def test_a_udp_socket_does_not_take_a_tcp_port(held):
    child = held(kind="udp")
    assert probe(child.port) is Availability.FREE


def test_time_wait_leftovers_do_not_count(held):
    import psutil

    child = held(reuseaddr=True, accept=True)  # as real servers do
    client = socket.create_connection(("127.0.0.1", child.port))
    child.wait_accepted()
    child.stop()          # the server side closes first, so *its* port goes to TIME_WAIT
    client.close()
    leftovers = [c for c in psutil.net_connections("tcp")
                 if c.laddr and c.laddr.port == child.port and c.status != psutil.CONN_LISTEN]
    assert leftovers, "expected a TIME_WAIT/FIN_WAIT leftover on the server port"
    assert probe(child.port) is Availability.FREE


def test_the_three_model_router_scenarios_on_real_ports(held):
    from portmanager_gui.core.ports.selection import select_port
    from portmanager_gui.core.registry.model import Service

    preferred, fallback = held(), held()
    port_a, port_b = preferred.port, fallback.port
    svc = Service("router", (port_a, port_b))
    assert select_port(svc).port is None          # scenario 3: both taken
    fallback.stop()
    sel = select_port(svc)
    assert (sel.port, sel.fallback) == (port_b, True)  # scenario 2
    preferred.stop()
    assert select_port(svc).port == port_a         # scenario 1


def test_decision_tables_per_os():
    assert probe_options(WINDOWS) == ("SO_EXCLUSIVEADDRUSE",)
    assert probe_options(LINUX) == probe_options(MACOS) == ("SO_REUSEADDR",)
    assert classify_bind_error(WINDOWS, 10048) == IN_USE
    assert classify_bind_error(WINDOWS, 10013) == RESERVED      # WSAEACCES: excluded range
    assert classify_bind_error(LINUX, 98) == IN_USE
    assert classify_bind_error(MACOS, 48) == IN_USE
    assert classify_bind_error(LINUX, 13) == RESERVED
    assert classify_bind_error(MACOS, 49) == UNAVAILABLE
    assert classify_bind_error(LINUX, 12345) == OTHER


def test_a_permission_error_is_reserved_not_in_use(monkeypatch):
    import errno

    class Refusing(socket.socket):
        def bind(self, addr):
            raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socket, "socket", Refusing)
    assert probe(80, os_name=LINUX) is Availability.RESERVED


class _Counting(socket.socket):
    made: list[int] = []

    def __init__(self, family=-1, *args, **kwargs):
        if family == socket.AF_INET6 and _Counting.no_ipv6:
            raise OSError(97, "Address family not supported by protocol")
        super().__init__(family, *args, **kwargs)
        _Counting.made.append(family)


@pytest.mark.skipif(sys.platform != "linux" or not _has_ipv6(), reason="Linux's dual-stack bind")
def test_linux_probes_a_free_port_with_one_dual_stack_socket(monkeypatch, held):
    """One bind of :: without IPV6_V6ONLY meets every IPv4 and IPv6 holder (the cases above):
    a 1,000-service registry's 2,000 free ports cost 2,000 sockets, not 4,000."""
    monkeypatch.setattr(_Counting, "made", [])
    monkeypatch.setattr(_Counting, "no_ipv6", False, raising=False)
    monkeypatch.setattr(socket, "socket", _Counting)
    port = held("127.0.0.1").port
    assert probe(port) is Availability.IN_USE       # an IPv4 holder, seen by the IPv6 socket
    assert _Counting.made == [socket.AF_INET6]
    _Counting.made.clear()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    _Counting.made.clear()
    assert probe(port) is Availability.FREE
    assert _Counting.made == [socket.AF_INET6]


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's probe order")
def test_without_ipv6_the_ipv4_wildcard_is_probed(monkeypatch, held):
    monkeypatch.setattr(_Counting, "made", [])
    monkeypatch.setattr(_Counting, "no_ipv6", True, raising=False)
    child = held("127.0.0.1")
    monkeypatch.setattr(socket, "socket", _Counting)
    assert probe(child.port) is Availability.IN_USE
    assert _Counting.made == [socket.AF_INET]
