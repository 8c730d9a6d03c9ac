"""Core side of never losing track: who may signal whom (OS facts injected), a stop refused
for a process that runs as another user now, and the record written with the spawn."""
from __future__ import annotations

import errno

import psutil
import pytest

from portmanager_gui.core.platform import WINDOWS
from portmanager_gui.core.platform import process_tree as pt
from portmanager_gui.core.ports.probe import Availability, probe
from portmanager_gui.core.supervisor.marker import MARKER_ENV
from portmanager_gui.core.supervisor.records import StateStore
from portmanager_gui.core.supervisor.types import (
    LaunchTrouble,
    StartFailure,
    StopEnd,
    StopFailure,
)
from portmanager_gui.text.supervisor import (
    describe,
    event_text,
    start_error,
    start_warnings,
    stop_text,
)
from tests.supervisor_helpers import (
    fake_command,
    free_ports,
    leftovers,
    make_registry,
    service_yaml,
)


@pytest.mark.parametrize("me, owner, allowed", [
    ((0, 0), (65534, 65534), True),          # root may stop a service that dropped privileges
    ((1000, 1000), (65534, 65534), False),   # an ordinary user may not
    ((1000, 1000), (1000, 1000), True),
    ((1000, 0), (1000, 1000), True),         # a setuid-root sender: kill(2) checks euid 0
    ((1000, 1000), (0, 1000), True),         # the target's saved uid is the sender's
    ((1000, 1000), None, False),             # owner unknown (gone, or not readable): never
])
def test_who_may_signal_whom_on_posix(me, owner, allowed):
    assert pt.may_signal("linux", me, owner) is allowed
    assert pt.may_signal("darwin", me, owner) is allowed


def test_windows_compares_user_names():
    assert pt.may_signal(WINDOWS, "PC\\ann", "PC\\ann")
    assert not pt.may_signal(WINDOWS, "PC\\ann", "NT AUTHORITY\\SYSTEM")
    assert not pt.may_signal(WINDOWS, "PC\\ann", None)


def test_a_service_running_as_another_user_now_is_refused_and_its_record_kept(tmp_path, make_supervisor,
                                                                             monkeypatch):
    [p] = free_ports(1)
    events = []
    sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command(), stop_timeout=2)),
                          on_event=events.append)
    [out] = sup.start("web")
    assert out.ok, start_error(out)
    real_owner = pt._owner

    def owner(proc, os_name, sender=False):      # the OS facts: we are uid 1000, the child runs as 65534 now
        if sender:
            return (1000, 1000)
        return (65534, 65534) if proc.pid == out.pid else real_owner(proc, os_name)

    monkeypatch.setattr(pt, "_owner", owner)
    before = sup.record_for("web")
    [stop] = sup.stop("web")
    assert not stop.ok and stop.failure is StopFailure.OTHER_OWNER and stop.owner == 65534
    assert stop.end is StopEnd.REFUSED and stop.pid == out.pid and not stop.maybe
    assert f"web (pid {out.pid}) is ours but cannot be stopped: owned by uid 65534 now" in stop_text(stop)
    assert psutil.pid_exists(out.pid) and probe(p) is Availability.IN_USE
    assert sup.record_for("web") == before                     # kept as it was (not even marked stopping)
    assert events[-1].kind == "failed" and events[-1].stop == stop   # the app notifies it
    assert event_text(events[-1]) == stop_text(stop)
    monkeypatch.setattr(pt, "_owner", real_owner)
    assert sup.stop("web")[0].ok


def test_the_child_carries_the_mark_the_record_names(tmp_path, make_supervisor):
    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command())))
    [out] = sup.start("web")
    rec = sup.record_for("web")
    assert rec.marker.startswith("web:") and psutil.Process(out.pid).environ()[MARKER_ENV] == rec.marker
    [again] = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command()))).start("web")
    assert again.adopted and sup.record_for("web").marker == rec.marker   # a second start adds no new mark


def _failing_writes(monkeypatch, fail_on: int):
    """The ``fail_on``-th write of the state record (1 = the first) fails with ENOSPC."""
    real = StateStore._write_raw
    count = [0]

    def write(self, units):
        count[0] += 1
        if count[0] == fail_on:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, units)

    monkeypatch.setattr(StateStore, "_write_raw", write)


@pytest.mark.parametrize("fail_on, stopped", [(1, False), (2, True)])
def test_a_state_record_that_cannot_be_written_leaves_nothing_running(tmp_path, make_supervisor, monkeypatch,
                                                                     pm_home, fail_on, stopped):
    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command(), restart="always")))
    _failing_writes(monkeypatch, fail_on)    # 1: the record written before the spawn; 2: the pid after it
    [out] = sup.start("web")
    assert not out.ok and out.failure is StartFailure.STATE
    problem = out.problem
    assert problem.trouble is LaunchTrouble.STATE_NOT_WRITTEN and problem.path == str(sup._store.path)
    assert problem.strerror == "No space left on device" and problem.stopped_again is stopped
    error = start_error(out)
    assert str(sup._store.path) in error and "No space left on device" in error
    assert "free disk space" in error and ("stopped again" if stopped else "was not started") in error
    assert (out.pid is not None) is stopped
    assert not leftovers(pm_home) and probe(p) is Availability.FREE
    assert sup.pending_restarts() == {}       # not the service's fault: no restart


def test_a_log_that_cannot_be_written_is_a_clear_failure_and_leaves_nothing_running(tmp_path, make_supervisor,
                                                                                    pm_home):
    """A full disk or a read-only log folder made `portmanager start` a traceback."""
    from portmanager_gui.core.supervisor import logfiles

    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command(), restart="always")))
    log = logfiles.log_path(sup._paths, "web")
    (log / "in the way").mkdir(parents=True)                 # a folder where the log file goes
    [out] = sup.start("web")
    assert not out.ok and out.failure is StartFailure.STATE and out.pid is None
    assert out.problem.trouble is LaunchTrouble.LOG_NOT_WRITTEN and out.problem.path == str(log)
    assert not out.problem.stopped_again and out.problem.strerror
    assert start_error(out).startswith(f"web was not started. Its log file {log} could not be written (")
    assert "free disk space" in start_error(out)
    assert not leftovers(pm_home) and probe(p) is Availability.FREE and sup.record_for("web") is None
    assert sup.pending_restarts() == {}


def test_a_daemon_of_ours_holding_a_port_is_shown_as_ours_not_as_a_holder_to_kill():
    from portmanager_gui.core.port_rows import Managed, RowState, build_rows
    from tests.ui.factories import holder, registry, slots, snapshot

    rows = {r.key: r for r in build_rows(registry(), slots(), snapshot({3791: holder(5150)}),
                                         [Managed("router", 4242, 3791, marked=(5150,))])}
    assert rows[("router", 3791)].state is RowState.OURS and rows[("router", 3791)].ours


def test_concurrent_starts_sharing_ports_through_so_reuseport_each_get_a_free_one(tmp_path, make_supervisor):
    import threading

    for _ in range(5):      # the old code lost this race only sometimes: five chances, fresh ports each
        [p, q] = free_ports(2)
        services = "".join(service_yaml(n, [p, q], fake_command("--reuseport"), stop_timeout=2) for n in ("a", "b"))
        reg = make_registry(tmp_path, services)
        sups = {name: make_supervisor(reg) for name in ("a", "b")}
        results: dict = {}
        go = threading.Barrier(2)

        def start(name, sups=sups, results=results, go=go):
            go.wait()
            results[name] = sups[name].start(name)[0]

        threads = [threading.Thread(target=start, args=(name,)) for name in sups]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert all(results[n].ok for n in sups), {n: start_error(results[n]) for n in results}
        assert {results["a"].port, results["b"].port} == {p, q}
        assert all(sups[n].stop(n)[0].ok for n in sups)


def test_a_port_claimed_by_another_start_is_skipped_and_named_so(tmp_path, pm_home):
    from portmanager_gui.core.ports.probe import probe as real_probe
    from portmanager_gui.core.supervisor.port_claims import PortClaims
    from portmanager_gui.core.supervisor.start_plan import StartPlanner
    from portmanager_gui.core.supervisor.unit_spec import specs

    [p, q] = free_ports(2)
    reg = make_registry(tmp_path, service_yaml("a", [p, q], fake_command()))
    other, mine = PortClaims(tmp_path / "locks", "linux"), PortClaims(tmp_path / "locks", "linux")
    assert other.claim(p)
    planner = StartPlanner(reg, StateStore(tmp_path / "s.json"), _NoHolders(), real_probe, lambda rec: None)
    plan = planner.plan(specs(reg, ["a"])[0], set(), mine)
    assert plan.port == q and plan.skipped[0].starting and describe(plan.skipped[0]) == "another Port Manager start, about to launch on it"
    assert not other.claim(q)          # the chosen port stays claimed until the launch is over
    mine.release_all()
    other.release_all()
    assert other.claim(q)
    other.release_all()


class _NoHolders:
    def scan(self, ports):
        from portmanager_gui.core.occupancy.snapshot import Snapshot

        return Snapshot(0.0)


class _LateOwner:
    """A real scanner that, the first times it sees a listener, cannot tell whose it is yet
    (a socket bound but not listening, or one whose owner was not read yet)."""

    def __init__(self, times: int):
        from portmanager_gui.core.occupancy.scan import OccupancyScanner

        self.real, self.left = OccupancyScanner(), times

    def scan(self, ports):
        from portmanager_gui.core.occupancy.snapshot import (
            PortInfo,
            PortStatus,
            Snapshot,
        )

        snap = self.real.scan(ports)
        if self.left and any(info.holders for info in snap.ports.values()):
            self.left -= 1
            return Snapshot(snap.taken_at, {p: PortInfo(p, PortStatus.HIDDEN) if i.holders else i
                                            for p, i in snap.ports.items()})
        return snap

    def close(self):
        self.real.close()


def test_our_own_child_seen_as_an_unseen_holder_for_a_moment_is_not_a_lost_race(tmp_path, make_supervisor):
    [p, q] = free_ports(2)
    scanner = _LateOwner(times=2)
    try:
        sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p, q], fake_command(), health=None)),
                              scanner=scanner)
        [out] = sup.start("web")
        assert out.ok and out.port == p and start_warnings(out) == (), out
    finally:
        sup.stop_all()
        scanner.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="a daemon's fork/setsid are POSIX")
def test_a_daemon_whose_mark_cannot_be_read_is_not_forgotten_while_it_holds_the_port(tmp_path, make_supervisor,
                                                                                     monkeypatch):
    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command("--daemonize"),
                                                               stop_timeout=2)))
    [out] = sup.start("web")
    assert out.ok, start_error(out)
    real_environ, real_owner = psutil.Process.environ, pt._owner

    def denied(self):           # the OS facts of an ordinary user: another user's environment is closed
        raise psutil.AccessDenied(self.pid)

    monkeypatch.setattr(psutil.Process, "environ", denied)
    monkeypatch.setattr(pt, "_owner", lambda proc, os_name, sender=False: (1000, 1000) if sender else (65534, 65534))
    [stop] = sup.stop("web")
    assert not stop.ok and stop.failure is StopFailure.OTHER_OWNER and stop.owner == 65534, stop
    assert stop.maybe and stop.pid == out.pid and stop.port == p
    assert f"port {p} is held by pid {out.pid}, owned by uid 65534" in stop_text(stop)
    assert sup.record_for("web") is not None and probe(p) is Availability.IN_USE     # kept, nothing signalled
    monkeypatch.setattr(psutil.Process, "environ", real_environ)
    monkeypatch.setattr(pt, "_owner", real_owner)
    assert sup.stop("web")[0].ok and probe(p) is Availability.FREE
