"""Safe kill with real processes: exactly the port's listeners, identity re-checked, escalation."""
from __future__ import annotations

import os
import sys
from dataclasses import replace

import psutil
import pytest

from portmanager_gui.core.kill.policy import KillPlan, Reason, kill, plan_kill
from portmanager_gui.core.occupancy.backend import Endpoint
from portmanager_gui.core.occupancy.process_info import describe, process_holder
from portmanager_gui.core.occupancy.scan import OccupancyScanner
from portmanager_gui.core.occupancy.snapshot import Holder, PortStatus, Protocol
from portmanager_gui.core.platform.start_ticks import start_ticks
from portmanager_gui.core.ports.probe import Availability
from portmanager_gui.text.kill import refusal_text
from tests.helpers import free_port_pair, free_ports, is_root, wait_for

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals (Windows has no SIGTERM to ignore)")


@pytest.fixture
def scanner():
    with OccupancyScanner() as s:
        yield s


def gone(child) -> bool:
    return child.proc.poll() is not None


def test_plan_lists_the_listener_with_name_user_and_cmdline(listener, scanner):
    child = listener.listen("127.0.0.1")
    plan = plan_kill(child.port, scanner)
    assert plan.can_kill and plan.refused == () and [h.pid for h in plan.targets] == [child.pid]
    (target,) = plan.targets
    assert target.username == psutil.Process().username()
    assert target.create_time == psutil.Process(child.pid).create_time()
    text = describe(target)
    assert f"(pid {child.pid}, user {target.username})" in text and "-c" in text
    assert plan.verdicts() == ((target, None),)


def test_holder_ignoring_sigterm_is_forced_after_the_timeout(listener, scanner):
    # What happens, not how fast: the holder outlived SIGTERM, so it needed SIGKILL, and the
    # port is free when kill() returns (how long that takes is not a test's business).
    child = listener.listen("127.0.0.1", ignore_term=True)
    plan = plan_kill(child.port, scanner)
    result = kill(plan, timeout=1.0, scanner=scanner)
    assert [h.pid for h in result.killed] == [child.pid] and [h.pid for h in result.forced] == [child.pid]
    assert result.port_free and result.still_holding == ()
    wait_for(lambda: gone(child), timeout=2, message="the holder to be reaped")


def test_reused_pid_is_refused_and_the_live_process_survives(listener, scanner):
    child = listener.listen("127.0.0.1")
    (confirmed,) = plan_kill(child.port, scanner).targets
    # Between the confirmation and the kill, the pid went to another process (another create time).
    impostor = replace(confirmed, create_time=confirmed.create_time - 1.0,
                       start_ticks=None if confirmed.start_ticks is None else confirmed.start_ticks - 100)
    result = kill([impostor], port=child.port, scanner=scanner)
    assert result.killed == () and [r.reason for r in result.refused] == [Reason.PID_REUSED]
    assert result.refused[0].port == child.port and result.refused[0].now_name
    assert refusal_text(result.refused[0]) == (f"port {child.port}: pid {child.pid} now belongs to another process "
                                               f"({result.refused[0].now_name}); nothing was signalled")
    assert not gone(child) and result.status is PortStatus.LISTENING
    assert [h.pid for h in result.still_holding] == [child.pid]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="exact start ticks come from /proc")
def test_a_pid_reused_within_the_same_second_is_refused(listener, scanner):
    child = listener.listen("127.0.0.1")
    (confirmed,) = plan_kill(child.port, scanner).targets
    assert confirmed.start_ticks == start_ticks(child.pid)
    # Same create time to the second, but the kernel says it started 50 ticks later.
    impostor = replace(confirmed, start_ticks=confirmed.start_ticks - 50)
    result = kill([impostor], port=child.port, scanner=scanner)
    assert result.killed == () and [r.reason for r in result.refused] == [Reason.PID_REUSED]
    assert not gone(child)


def test_a_connected_client_survives_and_is_never_a_target(listener, scanner):
    server = listener.listen("127.0.0.1")
    client = listener.connect(server.port)
    plan = plan_kill(server.port, scanner)
    assert [h.pid for h in plan.targets] == [server.pid]
    result = kill(plan, timeout=5, scanner=scanner)
    assert result.port_free and [h.pid for h in result.killed] == [server.pid]
    assert not gone(client)
    # Asked to kill the client as if it held the port: refused, it does not listen there.
    as_holder = process_holder(client.pid)
    refused = kill([as_holder], port=server.port, scanner=scanner)
    assert [r.reason for r in refused.refused] == [Reason.NOT_HOLDING] and not gone(client)


def test_kill_of_a_port_never_touches_a_port_it_prefixes(listener, scanner):
    short, long = free_port_pair()
    a = listener.listen("127.0.0.1", port=short)
    b = listener.listen("127.0.0.1", port=long)
    plan = plan_kill(short, scanner)
    assert [h.pid for h in plan.targets] == [a.pid]
    assert kill(plan, scanner=scanner).port_free
    assert not gone(b) and scanner.scan([long]).holders(long)[0].pid == b.pid


def test_two_reuseport_holders_are_both_planned_and_killed(listener, scanner):
    first = listener.listen("127.0.0.1", reuseport=True)
    second = listener.listen("127.0.0.1", port=first.port, reuseport=True)
    plan = plan_kill(first.port, scanner)
    assert sorted(h.pid for h in plan.targets) == sorted([first.pid, second.pid])
    result = kill(plan, scanner=scanner)
    assert result.port_free and len(result.killed) == 2


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs the Linux fast path to see both sharers")
def test_children_of_the_holder_that_hold_the_port_go_too(listener, scanner):
    parent = listener.listen("127.0.0.1", fork=True)
    (parent_holder,) = [h for h in plan_kill(parent.port, scanner).targets if h.pid == parent.pid]
    result = kill([parent_holder], port=parent.port, scanner=scanner)
    assert sorted(h.pid for h in result.killed) == sorted([parent.pid, parent.grandchild])
    assert result.port_free


def test_port_manager_itself_is_refused(scanner):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        plan = plan_kill(port, scanner)
        assert not plan.can_kill and [r.reason for r in plan.refused] == [Reason.SELF]
        result = kill(plan, scanner=scanner)
        assert result.killed == () and result.status is PortStatus.LISTENING
    finally:
        s.close()


@pytest.mark.skipif(not is_root(), reason="starting a process as another user needs root")
def test_a_process_of_another_user_is_refused_and_survives(listener, scanner):
    child = listener.listen("127.0.0.1", user="nobody")
    plan = plan_kill(child.port, scanner)
    assert plan.targets == () and [r.reason for r in plan.refused] == [Reason.OTHER_USER]
    assert plan.refused[0].holder.username == "nobody"
    assert "belongs to user nobody" in refusal_text(plan.refused[0])
    assert kill(plan, scanner=scanner).killed == () and not gone(child)
    # Even handed over directly, the rules are applied again at kill time.
    assert kill([plan.refused[0].holder], port=child.port, scanner=scanner).killed == ()
    assert not gone(child)


class HiddenBackend:
    name = "psutil"

    def endpoints(self, ports):
        return [Endpoint(p, Protocol.TCP, "0.0.0.0", None, uid=0) for p in ports]

    def close(self):
        pass


def test_an_owner_we_cannot_see_is_refused():
    hidden = OccupancyScanner("psutil", probe=lambda p: Availability.FREE, backends={"psutil": HiddenBackend()})
    plan = plan_kill(4444, hidden)
    assert plan.status is PortStatus.HIDDEN and not plan.can_kill
    assert [r.reason for r in plan.refused] == [Reason.UNKNOWN_OWNER] and plan.refused[0].holder is None


def test_free_port_plan_and_bad_calls(scanner):
    port = free_ports(1)[0]
    plan = plan_kill(port, scanner)
    assert plan == KillPlan(port, PortStatus.FREE) and plan.free and not plan.can_kill
    with pytest.raises(ValueError, match="port="):
        kill([Holder(123)])


def test_a_holder_whose_window_was_asked_to_close_is_waited_for_not_terminated(listener, scanner):
    # Windows' WM_CLOSE stands in here: the "asked" program is not signalled at once; it gets
    # the timeout, and is killed after it if it did not close.
    child = listener.listen("127.0.0.1")
    asked: list[list[int]] = []
    result = kill(plan_kill(child.port, scanner), timeout=1.0, scanner=scanner,
                  ask_close=lambda pids: asked.append(pids) or set(pids))
    assert asked == [[child.pid]]
    assert [h.pid for h in result.forced] == [child.pid], "it was terminated instead of being given the grace"
    assert result.port_free


def test_a_holder_that_closes_on_the_request_is_not_forced(listener, scanner):
    child = listener.listen("127.0.0.1", ignore_term=False)

    def close_it(pids):            # the program's window handles WM_CLOSE and it exits cleanly
        for pid in pids:
            psutil.Process(pid).terminate()
        return set(pids)
    result = kill(plan_kill(child.port, scanner), timeout=30.0, scanner=scanner, ask_close=close_it)
    assert [h.pid for h in result.killed] == [child.pid] and result.forced == ()
    assert result.port_free


def test_force_asks_no_window(listener, scanner):
    child = listener.listen("127.0.0.1")
    result = kill(plan_kill(child.port, scanner), timeout=5.0, force=True, scanner=scanner,
                  ask_close=lambda pids: pytest.fail("--force must not wait for a window"))
    assert [h.pid for h in result.killed] == [child.pid] and result.port_free
