"""macOS's ``netstat -anv`` read without root: every holder with its pid, in both column
layouts (``pid epid`` up to macOS 13, ``process:pid`` from macOS 14). The real command
against a real listener runs in ``tests/core/platform/test_on_macos.py``."""
from __future__ import annotations

import pytest

from portmanager_gui.core.occupancy.backend import BackendUnavailable, Endpoint
from portmanager_gui.core.occupancy.netstat_macos import NetstatBackend, parse_netstat
from portmanager_gui.core.occupancy.snapshot import Protocol

TCP, UDP = Protocol.TCP, Protocol.UDP

MACOS_13 = """\
Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)     rhiwat shiwat    pid   epid  state    options
tcp4       0      0  127.0.0.1.3791         *.*                    LISTEN      131072 131072   4242      0 0x0100 0x00000106
tcp46      0      0  *.5000                 *.*                    LISTEN      131072 131072    611      0 0x0100 0x00000006
tcp4       0      0  127.0.0.1.3791         127.0.0.1.50000        ESTABLISHED 408300 146988   4242      0 0x0102 0x00000104
tcp4       0      0  127.0.0.1.50000        127.0.0.1.3791         ESTABLISHED 408300 146988   5555      0 0x0102 0x00000104
tcp6       0      0  fe80::1%lo0.3003       *.*                    LISTEN      131072 131072   4300      0 0x0100 0x00000106
udp4       0      0  *.3791                 *.*                                196724   9216    300      0 0x0000 0x00000000
udp4       0      0  127.0.0.1.3003         127.0.0.1.53                       196724   9216    301      0 0x0000 0x00000000
Active Multipath Internet connections
Proto/ID  Flags      Local Address          Foreign Address        (state)
Active LOCAL (UNIX) domain sockets
Address          Type   Recv-Q Send-Q            Inode             Conn             Refs          Nextref Addr
4f1eb4c58685585f stream      0      0                0 4f1eb4c5868572ef                0                0 /var/run/mDNSResponder
"""

MACOS_14 = """\
Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)      rxbytes      txbytes  rhiwat  shiwat    process:pid   state   options   gencnt    flags   flags1 usscnt rtncnt fltrs
tcp6       0      0  ::1.3791               *.*                    LISTEN             0            0  131072  131072  Python:4242    00100 00000006 0000000000001f2b 00000000 00000800      1      0 000001
tcp4       0      0  *.7000                 *.*                    LISTEN             0            0  131072  131072  ControlCenter:611 00100 00000006 0000000000000a10 00000000 00000800 1 0 000001
tcp4       0      0  10.0.0.2.3791          1.2.3.4.443            ESTABLISHED     1200          900  131072  131072  curl:77        00102 00000104 0000000000000a11 00000000 00000800      1      0 000001
udp4       0      0  *.3791                 *.*                                       0            0  786896    9216  Google Chrome H:900 00000 00000000 0000000000000b02 00000000 00000800 1 0 000001
"""


def test_macos_13_layout():
    got = parse_netstat(MACOS_13, frozenset({3791, 5000, 3003}))
    assert got == [Endpoint(3791, TCP, "127.0.0.1", 4242), Endpoint(5000, TCP, "::", 611),
                   Endpoint(3003, TCP, "fe80::1", 4300), Endpoint(3791, UDP, "0.0.0.0", 300)]


def test_macos_14_layout_with_process_names_even_with_spaces():
    got = parse_netstat(MACOS_14, frozenset({3791, 7000}))
    assert got == [Endpoint(3791, TCP, "::1", 4242), Endpoint(7000, TCP, "0.0.0.0", 611),
                   Endpoint(3791, UDP, "0.0.0.0", 900)]


def test_only_wanted_ports_and_only_holders():
    # connections (either end) and a UDP socket with a peer hold nothing
    assert parse_netstat(MACOS_13, frozenset({50000})) == []
    assert parse_netstat(MACOS_13, frozenset({3003})) == [Endpoint(3003, TCP, "fe80::1", 4300)]


def test_a_pid_of_zero_is_an_owner_we_cannot_name():
    text = MACOS_13.replace("   4242      0 0x0100", "      0      0 0x0100", 1)
    assert parse_netstat(text, frozenset({3791}))[0].pid is None


def test_a_netstat_without_pids_hands_over_to_the_next_backend():
    text = ("Active Internet connections (including servers)\n"
            "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)\n"
            "tcp4       0      0  127.0.0.1.3791         *.*                    LISTEN\n")
    with pytest.raises(BackendUnavailable):
        parse_netstat(text, frozenset({3791}))


def test_the_backend_runs_one_netstat_per_scan(monkeypatch):
    from portmanager_gui.core.occupancy import netstat_macos
    from portmanager_gui.core.platform.commands import CommandResult

    calls = []
    monkeypatch.setattr(netstat_macos, "run_command",
                        lambda argv, timeout: calls.append(argv) or CommandResult(0, MACOS_14, ""))
    backend = NetstatBackend("/usr/sbin/netstat")
    assert backend.endpoints(frozenset({3791}))[0] == Endpoint(3791, TCP, "::1", 4242)
    assert calls == [["/usr/sbin/netstat", "-anv"]]             # TCP and UDP from one process
    monkeypatch.setattr(netstat_macos, "run_command", lambda argv, timeout: CommandResult(None))
    with pytest.raises(BackendUnavailable):
        backend.endpoints(frozenset({3791}))
