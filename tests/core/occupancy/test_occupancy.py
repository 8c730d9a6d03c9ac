"""Occupancy snapshots against real sockets: the Linux fast path and psutil must agree.

Every test that holds a port does it in a real child process on 127.0.0.1 / ::1.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import psutil
import pytest

from portmanager_gui.core.occupancy import scan as occupancy
from portmanager_gui.core.occupancy.backend import BackendUnavailable, Endpoint
from portmanager_gui.core.occupancy.scan import OccupancyScanner
from portmanager_gui.core.occupancy.snapshot import PortStatus, Protocol
from portmanager_gui.core.platform import MACOS
from portmanager_gui.core.ports.probe import Availability
from tests.helpers import free_ports, is_root, python_for_others, wait_for

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the netlink fast path is Linux-only")
BACKENDS = ["linux", "psutil"] if sys.platform.startswith("linux") else ["psutil"]


def _view(snapshot, ports):
    """What must be identical across backends: status and every holder, port by port."""
    return {p: (snapshot.info(p).status, snapshot.info(p).holders) for p in ports}


def _both(ports):
    views = []
    for name in BACKENDS:
        with OccupancyScanner(name) as scanner:
            views.append(_view(scanner.scan(ports), ports))
    return views


def _psutil_truth(ports):
    """(port, protocol, pid, address) of every holder socket, straight from psutil."""
    out = set()
    for c in psutil.net_connections("inet"):
        if not c.laddr or c.laddr.port not in ports:
            continue
        if c.type == socket.SOCK_STREAM and c.status == psutil.CONN_LISTEN:
            out.add((c.laddr.port, Protocol.TCP, c.pid, c.laddr.ip))
        elif c.type == socket.SOCK_DGRAM and not c.raddr:
            out.add((c.laddr.port, Protocol.UDP, c.pid, c.laddr.ip))
    return out


def _flatten(snapshot, ports):
    return {(p, h.protocol, h.pid, a) for p in ports for h in snapshot.holders(p) for a in h.addresses}


def test_backends_agree_on_real_state(listener):
    v4 = listener.listen("127.0.0.1")
    v6 = listener.listen("::1", port=v4.port)                 # same port, other stack, other process
    udp = listener.listen("127.0.0.1", kind="udp")
    udp6 = listener.listen("::1", kind="udp")
    lone6 = listener.listen("::1")
    client = listener.connect(v4.port)
    ports = [v4.port, udp.port, udp6.port, lone6.port, client.port]
    linux_view, *others = _both(ports)
    for other in others:
        assert other == linux_view
    holders = [h for h in linux_view[v4.port][1] if h.protocol is Protocol.TCP]
    assert {(h.pid, h.addresses, h.protocol) for h in holders} == {
        (v4.pid, ("127.0.0.1",), Protocol.TCP), (v6.pid, ("::1",), Protocol.TCP)}
    assert linux_view[udp.port] == (PortStatus.LISTENING, linux_view[udp.port][1])
    # another process (a concurrent suite) may hold TCP on the same number: ports are per protocol
    assert [h.protocol for h in linux_view[udp6.port][1] if h.pid == udp6.pid] == [Protocol.UDP]
    assert all(h.pid != client.pid for p in ports for h in linux_view[p][1])   # clients are not holders
    with OccupancyScanner() as scanner:
        snap = scanner.scan(ports)
    assert _flatten(snap, ports) == _psutil_truth(ports)


def test_holder_details_match_psutil(listener):
    child = listener.listen("127.0.0.1")
    (holder,) = occupancy.scan([child.port]).holders(child.port)
    proc = psutil.Process(child.pid)
    assert (holder.pid, holder.name, holder.exe, holder.cmdline, holder.username, holder.create_time) == (
        proc.pid, proc.name(), proc.exe(), tuple(proc.cmdline()), proc.username(), proc.create_time())
    assert holder.identity == (child.pid, proc.create_time())


def test_two_reuseport_holders_are_both_listed(listener):
    first = listener.listen("127.0.0.1", reuseport=True)
    second = listener.listen("127.0.0.1", port=first.port, reuseport=True)
    for view in _both([first.port]):
        status, holders = view[first.port]
        assert status is PortStatus.LISTENING
        assert sorted(h.pid for h in holders) == sorted([first.pid, second.pid])


@linux_only
def test_forked_child_sharing_the_socket_is_a_holder_too(listener):
    """Both processes hold the one socket (``ss -ltnp`` lists both).

    psutil on Linux keeps only the first pid of an inet inode shared by several processes
    (``_pslinux.Connections.process_inet``: ``pid, fd = inodes[inode][0]``), so its answer
    names one of the two; the fast path names both.
    """
    parent = listener.listen("127.0.0.1", fork=True)
    with OccupancyScanner("linux") as scanner:
        holders = scanner.scan([parent.port]).holders(parent.port)
    assert sorted(h.pid for h in holders) == sorted([parent.pid, parent.grandchild])
    with OccupancyScanner("psutil") as scanner:
        (one,) = scanner.scan([parent.port]).holders(parent.port)
    assert one.pid in (parent.pid, parent.grandchild)


@pytest.mark.skipif(not is_root(), reason="starting a process as another user needs root")
def test_process_of_another_user(listener):
    child = listener.listen("127.0.0.1", user="nobody")
    for view in _both([child.port]):
        (holder,) = view[child.port][1]
        assert (holder.pid, holder.username) == (child.pid, "nobody")


@pytest.mark.parametrize("backend", BACKENDS)
def test_steady_state_sees_every_change_at_the_next_scan(listener, backend):
    first = listener.listen("127.0.0.1", reuseport=True, fork="later")
    with OccupancyScanner(backend) as scanner:
        assert [h.pid for h in scanner.scan([first.port]).holders(first.port)] == [first.pid]
        if backend == "linux":       # psutil names one pid per shared socket (see above)
            grandchild = first.fork()                                   # inherits the known socket
            assert sorted(h.pid for h in scanner.scan([first.port]).holders(first.port)) == sorted(
                [first.pid, grandchild])
        second = listener.listen("127.0.0.1", port=first.port, reuseport=True)   # a new socket
        assert second.pid in {h.pid for h in scanner.scan([first.port]).holders(first.port)}
        listener.close()                                                # everyone leaves
        assert scanner.scan([first.port]).info(first.port).status is PortStatus.FREE


@linux_only
def test_linux_steady_state_reads_proc_fds_only_on_a_miss(listener):
    child = listener.listen("127.0.0.1")
    with OccupancyScanner("linux") as scanner:
        for _ in range(5):
            scanner.scan([child.port])
        backend = scanner._backends["linux"]
        assert backend.full_scans == 1
        other = listener.listen("127.0.0.1")
        assert scanner.scan([child.port, other.port]).holders(other.port)[0].pid == other.pid
        assert backend.full_scans == 2


@linux_only
def test_linux_cache_survives_scans_of_other_port_sets(listener):
    """A fork seen first by a one-port scan (a kill plan) still shows in the next registry scan."""
    shared = listener.listen("127.0.0.1", fork="later")
    other = listener.listen("127.0.0.1")
    both = [shared.port, other.port]
    with OccupancyScanner("linux") as scanner:
        scanner.scan(both)
        grandchild = shared.fork()
        assert [h.pid for h in scanner.scan([other.port]).holders(other.port)] == [other.pid]
        assert sorted(h.pid for h in scanner.scan(both).holders(shared.port)) == sorted([shared.pid, grandchild])
        assert scanner._backends["linux"].full_scans == 1


def test_free_port_and_a_client_port_are_not_listening(listener):
    child = listener.listen("127.0.0.1")
    client = listener.connect(child.port)
    free = free_ports(1)[0]
    snap = occupancy.scan([free, client.port])
    assert snap.info(free).status is PortStatus.FREE
    # The client's local port cannot be bound by a server, yet nobody listens there.
    assert snap.info(client.port).holders == ()
    assert snap.info(client.port).status is PortStatus.HIDDEN
    assert "does not listen" in snap.info(client.port).note


# -- decisions with backends and probe injected -------------------------------------------------

class FakeBackend:
    def __init__(self, name, result):
        self.name, self.result, self.calls = name, result, 0

    def endpoints(self, ports):
        self.calls += 1
        if isinstance(self.result, Exception):
            raise self.result
        return [e for e in self.result if e.port in ports]

    def close(self):
        pass


def test_macos_without_root_falls_back_and_probes_the_rest():
    me = os.getpid()
    denied = FakeBackend("psutil", BackendUnavailable("AccessDenied"))
    no_pids = FakeBackend("netstat", BackendUnavailable("this netstat prints no pid column"))
    mine = FakeBackend("per-process", [Endpoint(3000, Protocol.TCP, "127.0.0.1", me),
                                       Endpoint(3000, Protocol.TCP, "::1", me),
                                       Endpoint(3001, Protocol.TCP, "127.0.0.1", me)])
    lsof = FakeBackend("lsof", [])
    probes = {3002: Availability.IN_USE, 3003: Availability.FREE, 3004: Availability.RESERVED}
    scanner = OccupancyScanner("auto", MACOS, probe=probes.__getitem__, has_lsof=True,
                               backends={"psutil": denied, "netstat": no_pids, "per-process": mine, "lsof": lsof})
    for _ in range(2):
        snap = scanner.scan([3000, 3001, 3002, 3003, 3004])
    assert denied.calls == 1 and no_pids.calls == 1   # AccessDenied is not retried every second
    assert scanner.last_backends == ("per-process",) and lsof.calls == 0
    assert snap.holders(3000)[0].addresses == ("127.0.0.1", "::1")
    assert snap.info(3001).status is PortStatus.LISTENING
    hidden = snap.info(3002)
    assert hidden.status is PortStatus.HIDDEN and "cannot see" in hidden.note and "sudo" in hidden.note
    assert snap.info(3003).status is PortStatus.FREE
    assert snap.info(3004).status is PortStatus.RESERVED


def test_macos_without_root_sees_everything_through_netstat():
    me = os.getpid()
    denied = FakeBackend("psutil", BackendUnavailable("AccessDenied"))
    netstat = FakeBackend("netstat", [Endpoint(3000, Protocol.TCP, "127.0.0.1", me)])
    mine = FakeBackend("per-process", [])
    scanner = OccupancyScanner("auto", MACOS, probe={3001: Availability.IN_USE}.__getitem__,
                               backends={"psutil": denied, "netstat": netstat, "per-process": mine})
    snap = scanner.scan([3000, 3001])
    assert scanner.last_backends == ("netstat",) and mine.calls == 0
    assert snap.info(3000).status is PortStatus.LISTENING
    # a complete view: a taken port without a listener is a connection's end, not a hidden process
    assert "cannot see" not in snap.info(3001).note


def test_invisible_owner_is_hidden_with_its_user_and_listed_beside_visible_ones():
    me = os.getpid()
    backend = FakeBackend("linux", [Endpoint(4000, Protocol.TCP, "0.0.0.0", None, uid=0),
                                    Endpoint(4001, Protocol.TCP, "0.0.0.0", None, uid=0),
                                    Endpoint(4001, Protocol.TCP, "::", me)])
    scanner = OccupancyScanner("psutil", "linux", probe=lambda p: Availability.FREE,
                               backends={"psutil": backend})
    snap = scanner.scan([4000, 4001])
    assert snap.info(4000).status is PortStatus.HIDDEN and "root" in snap.info(4000).note
    assert snap.info(4001).status is PortStatus.LISTENING and snap.info(4001).note
    assert [h.pid for h in snap.holders(4001)] == [me]


def test_a_holder_that_exited_before_its_details_were_read_is_dropped():
    gone = psutil.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    backend = FakeBackend("psutil", [Endpoint(4002, Protocol.TCP, "127.0.0.1", gone.pid)])
    scanner = OccupancyScanner("psutil", probe=lambda p: Availability.FREE, backends={"psutil": backend})
    wait_for(lambda: not psutil.pid_exists(gone.pid), message="the child to be reaped")
    assert scanner.scan([4002]).holders(4002) == ()


def test_unknown_backend_name_is_refused():
    with pytest.raises(ValueError, match="unknown occupancy backend"):
        OccupancyScanner("nope")


_AS_OTHER_USER = r"""
import json, sys
from portmanager_gui.core.occupancy.scan import OccupancyScanner
from portmanager_gui.cli import main
port = int(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    with OccupancyScanner(name) as scanner:
        for _ in range(5):
            info = scanner.scan([port]).info(port)
        fast = scanner._backends.get("linux")
        out[name] = [info.status.value, info.note, len(info.holders), fast.full_scans if fast else None]
sys.stdout = open("/dev/null", "w")
sys.stderr = open("/dev/null", "w")
out["kill"] = main(["kill", str(port), "--yes"])
sys.__stdout__.write(json.dumps(out))
"""


@pytest.mark.skipif(not is_root(), reason="running a scan as another user needs root")
def test_a_user_who_is_not_root_sees_roots_holder_as_hidden_and_cannot_kill_it(listener, tmp_path):
    held = listener.listen("127.0.0.1")                  # a root process
    python = python_for_others()
    same = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2] == %r)" % (sys.version_info[:2],)],
                          capture_output=True, text=True, user="nobody", check=False).stdout.strip()
    if same != "True":
        pytest.skip("no interpreter of this Python version that another user may run")
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {"PYTHONPATH": os.pathsep.join([os.getcwd(), *site]), "PORTMANAGER_HOME": str(tmp_path / "nobody")}
    done = subprocess.run([python, "-c", _AS_OTHER_USER, str(held.port), *BACKENDS], capture_output=True,
                          text=True, user="nobody", env=env, cwd="/", timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    for name in BACKENDS:
        status, note, holders, _ = seen[name]
        assert (status, holders) == ("hidden", 0) and "cannot see" in note
    if "linux" in seen:
        assert "owned by root" in seen["linux"][1]
        assert seen["linux"][3] == 1        # an owner we may not see does not cost a full /proc walk per scan
    assert seen["kill"] == 3 and held.alive()
