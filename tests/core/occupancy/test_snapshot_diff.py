"""Snapshot diffs: holders appearing, changing, leaving, and our services losing their ports."""
from __future__ import annotations

from dataclasses import replace

from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Protocol,
    Snapshot,
)
from portmanager_gui.core.occupancy.snapshot_diff import EventKind, OurService, diff

ROUTER = Holder(100, "python", cmdline=("python", "router.py"), username="me", create_time=1.0,
                addresses=("127.0.0.1",))
MODEL = Holder(200, "llama-server", username="me", create_time=2.0, addresses=("127.0.0.1",))


def snap(**ports: PortInfo) -> Snapshot:
    return Snapshot(0.0, {info.port: info for info in ports.values()})


def held(port: int, *holders: Holder) -> PortInfo:
    return PortInfo(port, PortStatus.LISTENING, holders)


def kinds(events):
    return [(e.kind, e.port, e.holder.pid if e.holder else None) for e in events]


def test_nothing_changed_means_no_events():
    a = snap(r=held(3791, ROUTER), f=PortInfo(3003, PortStatus.FREE))
    assert diff(a, snap(r=held(3791, ROUTER), f=PortInfo(3003, PortStatus.FREE))) == []


def test_first_snapshot_reports_every_holder_as_appeared():
    assert kinds(diff(None, snap(r=held(3791, ROUTER)))) == [(EventKind.HOLDER_APPEARED, 3791, 100)]


def test_appeared_left_and_a_second_reuseport_holder():
    twin = replace(MODEL, pid=201, create_time=3.0)
    events = diff(snap(r=held(3791, ROUTER), m=held(8100, MODEL)),
                  snap(r=PortInfo(3791, PortStatus.FREE), m=held(8100, MODEL, twin)))
    assert kinds(events) == [(EventKind.HOLDER_LEFT, 3791, 100), (EventKind.HOLDER_APPEARED, 8100, 201)]
    assert events[0].status is PortStatus.FREE and events[0].previous_status is PortStatus.LISTENING
    assert "let it go" in events[0].summary()


def test_same_identity_with_new_details_is_a_change_and_a_restart_is_leave_plus_appear():
    execd = replace(ROUTER, cmdline=("router-v2",), addresses=("127.0.0.1", "::1"))
    (changed,) = diff(snap(r=held(3791, ROUTER)), snap(r=held(3791, execd)))
    assert changed.kind is EventKind.HOLDER_CHANGED and changed.previous == ROUTER and changed.holder == execd
    restarted = replace(ROUTER, create_time=9.0)               # same pid, reused: another process
    assert [e.kind for e in diff(snap(r=held(3791, ROUTER)), snap(r=held(3791, restarted)))] == [
        EventKind.HOLDER_LEFT, EventKind.HOLDER_APPEARED]


def test_tcp_and_udp_holders_of_one_process_are_distinct():
    udp = replace(MODEL, protocol=Protocol.UDP)
    assert kinds(diff(snap(m=held(8100, MODEL)), snap(m=held(8100, MODEL, udp)))) == [
        (EventKind.HOLDER_APPEARED, 8100, 200)]


def test_status_change_without_a_named_holder():
    (event,) = diff(snap(p=PortInfo(5000, PortStatus.FREE)),
                    snap(p=PortInfo(5000, PortStatus.HIDDEN, (), "held by a process you cannot see")))
    assert event.kind is EventKind.STATUS_CHANGED and "free -> hidden" in event.summary()


def test_our_service_losing_its_port_to_someone_else():
    ours = {3791: OurService("router", 100, 1.0)}
    intruder = Holder(300, "node", username="me", create_time=5.0)
    events = diff(snap(r=held(3791, ROUTER)), snap(r=held(3791, intruder)), ours)
    lost = [e for e in events if e.kind is EventKind.SERVICE_LOST_PORT]
    assert len(lost) == 1 and lost[0].service == "router" and lost[0].previous == ROUTER
    assert lost[0].holder == intruder and "router lost port 3791; node (pid 300) holds it" in lost[0].summary()


def test_our_service_still_there_or_never_there_is_no_loss():
    ours = {3791: OurService("router", 100), 8100: OurService("model", 999)}
    events = diff(snap(r=held(3791, ROUTER), m=held(8100, MODEL)),
                  snap(r=held(3791, replace(ROUTER, addresses=("::1",))), m=PortInfo(8100, PortStatus.FREE)), ours)
    assert EventKind.SERVICE_LOST_PORT not in [e.kind for e in events]


def test_our_service_identity_includes_create_time():
    ours = {3791: OurService("router", 100, 1.0)}
    reused = replace(ROUTER, create_time=7.0)
    events = diff(snap(r=held(3791, ROUTER)), snap(r=held(3791, reused)), ours)
    assert [e.kind for e in events][-1] is EventKind.SERVICE_LOST_PORT
