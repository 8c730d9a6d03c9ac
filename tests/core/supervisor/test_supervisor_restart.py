"""Restart policy: growing backoff, give-up after N failures in a window (injected clock)."""
from __future__ import annotations

import psutil

from portmanager_gui.core.supervisor.restart_policy import RestartPolicy
from portmanager_gui.core.supervisor.types import LaunchTrouble
from portmanager_gui.text.supervisor import event_text, start_error
from tests.helpers import has_ended, wait_for
from tests.supervisor_helpers import (
    FakeClock,
    fake_command,
    free_ports,
    make_registry,
    service_yaml,
)


def test_no_policy_never_restarts():
    policy = RestartPolicy("no", FakeClock())
    assert not policy.on_exit(1).restart and not policy.on_exit(1).gave_up


def test_on_failure_ignores_a_clean_exit_and_always_does_not():
    assert not RestartPolicy("on-failure", FakeClock()).on_exit(0).restart
    assert RestartPolicy("on-failure", FakeClock()).on_exit(2).restart
    assert RestartPolicy("on-failure", FakeClock()).on_exit(None).restart
    assert RestartPolicy("always", FakeClock()).on_exit(0).restart


def test_backoff_grows_is_capped_then_gives_up():
    clock = FakeClock()
    policy = RestartPolicy("always", clock, base_delay=1, factor=2, max_delay=5, max_failures=6, window=1000)
    delays = []
    while (d := policy.on_exit(1)).restart:
        delays.append(d.delay)
        clock.advance(d.delay)
    assert delays == [1, 2, 4, 5, 5] and d.gave_up and d.failures == 6


def test_failures_outside_the_window_are_forgotten():
    clock = FakeClock()
    policy = RestartPolicy("on-failure", clock, max_failures=3, window=60)
    for _ in range(10):
        d = policy.on_exit(1)
        assert d.restart and d.failures == 1
        clock.advance(61)


def test_a_crash_loop_backs_off_then_gives_up(tmp_path, make_supervisor):
    [p] = free_ports(1)
    reg = make_registry(tmp_path, service_yaml("router", [p], fake_command("--exit", "3"), restart="on-failure"))
    clock = FakeClock()
    events = []
    sup = make_supervisor(reg, clock=clock, on_event=events.append)
    [out] = sup.start("router")
    assert not out.ok
    delays = []
    for _ in range(10):
        pending = sup.pending_restarts()
        if not pending:
            break
        due = pending["router"]
        delays.append(due - clock())
        sup.poll()
        assert sup.pending_restarts() == pending  # not due yet: nothing happens
        clock.advance(due - clock())
        sup.poll()
    assert delays == [1, 2, 4, 8]
    kinds = [e.kind for e in events]
    assert kinds.count("failed") == 5 and kinds[-1] == "gave_up"
    last_failed = [e for e in events if e.kind == "failed"][-1]
    assert any("exiting with 3" in line for line in last_failed.start.log_tail)  # the log tail
    assert "exiting with 3" in event_text(last_failed)
    assert events[-1].failures == 5 and events[-1].window > 0
    assert "failed 5 times" in event_text(events[-1]) and "portmanager logs router" in event_text(events[-1])
    assert sup.records() == []


def test_a_crash_after_start_is_reported_and_restarted(tmp_path, make_supervisor):
    [p] = free_ports(1)
    reg = make_registry(tmp_path, service_yaml("router", [p], fake_command(), restart="always"))
    clock = FakeClock()
    events = []
    sup = make_supervisor(reg, clock=clock, on_event=events.append)
    [first] = sup.start("router")
    assert first.ok
    psutil.Process(first.pid).kill()
    wait_for(lambda: (sup.poll(), [e for e in events if e.kind == "crashed"])[1], message="the crash event")
    crashed = [e for e in events if e.kind == "crashed"][0]
    assert crashed.returncode == -9 and any(f"listening on {p}" in line for line in crashed.log_tail)
    assert event_text(crashed).startswith(f"router exited with code -9; last lines of {crashed.log_path}:\n")
    assert f"listening on {p}" in event_text(crashed)
    assert sup.pending_restarts() == {"router": clock() + 1}
    clock.advance(1)
    sup.poll()
    rec = sup.record_for("router")
    assert rec is not None and rec.alive and rec.pid != first.pid and rec.port == p
    [stopped] = sup.stop("router")
    assert stopped.ok and sup.pending_restarts() == {}


def _watched(tmp_path, make_supervisor):
    """A router with ``restart: always`` that `portmanager up` (``up``) started and watches."""
    [p] = free_ports(1)
    reg = make_registry(tmp_path, service_yaml("router", [p], fake_command(), restart="always"))
    clock, events = FakeClock(), []
    up = make_supervisor(reg, clock=clock, on_event=events.append)
    [first] = up.start("router")
    assert first.ok
    return reg, p, clock, events, up, first


def _stopped_not_restarted(up, clock, events) -> None:
    wait_for(lambda: (up.poll(), [e for e in events if e.kind == "stopped"])[1], message="the stop noticed")
    clock.advance(60)
    up.poll()
    assert up.pending_restarts() == {} and not [e for e in events if e.kind in ("crashed", "restarting")]
    assert up.record_for("router") is None                               # forgotten: it was stopped on purpose


def test_an_explicit_stop_from_another_command_is_not_undone_by_restart_always(tmp_path, make_supervisor):
    reg, _, clock, events, up, first = _watched(tmp_path, make_supervisor)
    [stopped] = make_supervisor(reg).stop("router")                      # `portmanager stop router`
    assert stopped.ok and has_ended(first.pid)
    _stopped_not_restarted(up, clock, events)


def test_a_kill_of_our_own_service_from_another_command_is_not_undone_by_restart_always(tmp_path, make_supervisor):
    """`portmanager kill PORT` said "Port N is free now" and `up` started the service again 1 s later."""
    import subprocess

    from tests.supervisor_helpers import cli_argv

    reg, p, clock, events, up, _ = _watched(tmp_path, make_supervisor)
    killed = subprocess.run(cli_argv(reg.path, "kill", str(p), "--yes"), capture_output=True, text=True, timeout=60)
    assert killed.returncode == 0 and f"Port {p} is free now" in killed.stdout, killed.stdout + killed.stderr
    _stopped_not_restarted(up, clock, events)


def test_two_starts_of_one_service_at_once_launch_one_copy(tmp_path, make_supervisor):
    import threading

    [p, q] = free_ports(2)
    reg = make_registry(tmp_path, service_yaml("router", [p, q], fake_command()))
    sups = [make_supervisor(reg), make_supervisor(reg)]
    results: list = [None, None]
    go = threading.Barrier(2)

    def start(i):
        go.wait()
        results[i] = sups[i].start("router")[0]

    threads = [threading.Thread(target=start, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None and r.ok for r in results), results
    assert sum(1 for r in results if r.adopted) == 1          # the second found the first running
    assert {r.port for r in results} == {p} and results[0].pid == results[1].pid


def test_a_missing_working_folder_is_named_as_such(tmp_path, make_supervisor):
    [p] = free_ports(1)
    reg = make_registry(tmp_path, service_yaml("router", [p], fake_command(), cwd=str(tmp_path / "nowhere")))
    [out] = make_supervisor(reg).start("router")
    assert not out.ok and out.problem.trouble is LaunchTrouble.NO_CWD and out.problem.path == str(tmp_path / "nowhere")
    assert start_error(out).startswith(f"router: its working folder (cwd) {tmp_path / 'nowhere'} does not exist")
    assert "on PATH" not in start_error(out)
