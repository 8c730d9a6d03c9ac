"""Supervisor with real processes: verified starts, visible fallbacks, adoption, stop of whole trees."""
from __future__ import annotations

import json
import subprocess
import sys

import psutil
import pytest

from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.ports.probe import Availability, probe
from portmanager_gui.core.registry.model import UnknownName
from portmanager_gui.core.supervisor import logfiles
from portmanager_gui.core.supervisor.records import running_port
from portmanager_gui.core.supervisor.types import (
    Adoption,
    CheckSaw,
    LaunchTrouble,
    StartFailure,
    StopEnd,
)
from portmanager_gui.text.supervisor import (
    event_text,
    start_error,
    start_warnings,
    stop_text,
)
from tests.helpers import has_ended, wait_for
from tests.supervisor_helpers import (
    FAKE,
    fake_command,
    free_ports,
    make_registry,
    service_yaml,
)


def _router(tmp_path, ports, *extra, **fields):
    return make_registry(tmp_path, service_yaml("router", ports, fake_command(*extra), stop_timeout=2, **fields))


def test_start_on_preferred_port_is_recorded_and_stop_frees_it(tmp_path, make_supervisor, monkeypatch):
    monkeypatch.setenv("LLAMA_ARG_PORT", "9")
    p, q = free_ports(2)
    events = []
    sup = make_supervisor(_router(tmp_path, [p, q]), on_event=events.append)
    [out] = sup.start("router")
    assert out.ok and out.port == p and out.preferred == p and not start_warnings(out) and out.tried == (p,)
    rec = sup.record_for("router")
    assert rec is not None and rec.alive and rec.pid == out.pid and rec.port == p
    assert running_port(core_paths.resolve(), "router") == p
    log = "\n".join(sup.log_tail("router"))
    assert f"PORT={p} LLAMA_ARG_PORT=None" in log  # PORT set, the llama-server variable removed
    assert [e.kind for e in events] == ["starting", "started"]

    [stopped] = sup.stop("router")
    assert stopped.ok and stopped.pid == out.pid and stopped.end is StopEnd.STOPPED and stopped.free
    assert stop_text(stopped) == f"stopped router (pid {out.pid}); port {p} is free"
    assert probe(p) is Availability.FREE
    assert has_ended(out.pid) and sup.records() == []
    assert running_port(core_paths.resolve(), "router") is None


def test_fallback_warning_names_the_holder_of_the_preferred_port(tmp_path, make_supervisor, listener):
    p, q = free_ports(2)
    holder = listener.listen(port=p)
    name = psutil.Process(holder.pid).name()
    events = []
    sup = make_supervisor(_router(tmp_path, [p, q]), on_event=events.append)
    [out] = sup.start("router")
    assert out.ok and out.port == q and out.preferred == p
    assert start_warnings(out) == (f"Port {p} is in use, using fallback port {q} ({p} is held by {name}, pid {holder.pid})",)
    [skipped] = out.fallback_from
    assert (skipped.port, skipped.holder.pid, skipped.holder.name) == (p, holder.pid, name)
    assert out.title == "Model Router"
    fallback = [e for e in events if e.kind == "fallback"]
    assert [event_text(e) for e in fallback] == [
        f"Port {p} is in use by {name} (pid {holder.pid}); Model Router started on fallback port {q}"]
    assert running_port(core_paths.resolve(), "router") == q  # url/env follow the port really used


def test_all_ports_taken_prints_the_error_block_and_starts_nothing(tmp_path, make_supervisor, listener):
    p, q, other = free_ports(3)
    listener.listen(port=p)
    listener.listen(port=q)
    services = (service_yaml("router", [p, q], fake_command()) +
                service_yaml("other", [other], fake_command(), description="Other"))
    events = []
    sup = make_supervisor(make_registry(tmp_path, services), on_event=events.append)
    outcomes = sup.start_many(["other", "router"])
    assert [o.ok for o in outcomes] == [False, False]
    router = outcomes[1]
    assert router.failure is StartFailure.ALL_TAKEN and router.tried == (p, q)
    assert [s.port for s in router.fallback_from] == [p, q]
    assert "ERROR: All preferred ports are in use!" in start_error(router)
    assert f"Tried ports: {p}, {q}" in start_error(router)
    assert "Please free up one of these ports and try again." in start_error(router)
    assert outcomes[0].failure is StartFailure.BLOCKED and outcomes[0].blocked_by == ("router",)
    assert start_error(outcomes[0]) == "other was not started because router could not start (see above)"
    assert sup.records() == [] and not sup.log_path("other").exists() and not sup.log_path("router").exists()
    assert [e.kind for e in events] == ["failed"]


@pytest.mark.skipif(not hasattr(__import__("socket"), "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
def test_a_process_sharing_the_port_through_so_reuseport_is_a_conflict(tmp_path, make_supervisor, listener):
    p, q = free_ports(2)
    sharer = listener.listen(port=p, reuseport=True)
    # The bind probe would see the sharer; say "free" to model it arriving after the probe.
    sup = make_supervisor(_router(tmp_path, [p, q], "--reuseport"), probe=lambda port: Availability.FREE)
    [out] = sup.start("router")
    assert out.ok and out.port == q, out
    assert out.fallback_from[0].port == p and out.fallback_from[0].holder.pid == sharer.pid
    assert f"pid {sharer.pid}" in start_warnings(out)[0]
    assert {c.pid for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == p
            and c.status == psutil.CONN_LISTEN} == {sharer.pid}  # our copy on p was stopped


def test_only_port_shared_through_so_reuseport_is_not_running(tmp_path, make_supervisor, listener):
    [p] = free_ports(1)
    sharer = listener.listen(port=p, reuseport=True)
    sup = make_supervisor(_router(tmp_path, [p], "--reuseport"), probe=lambda port: Availability.FREE)
    [out] = sup.start("router")
    assert not out.ok and out.failure is StartFailure.ALL_TAKEN and out.fallback_from[0].holder.pid == sharer.pid
    assert "ERROR: All preferred ports are in use!" in start_error(out)
    assert f"pid {sharer.pid}" in start_error(out) and sup.records() == []


def test_losing_the_race_for_the_chosen_port_moves_on_to_the_fallback(tmp_path, make_supervisor, listener):
    p, q = free_ports(2)
    holder = listener.listen(port=p)
    # The probe said "free"; then the holder got there first (seen, or "address in use").
    sup = make_supervisor(_router(tmp_path, [p, q]), probe=lambda port: Availability.FREE)
    [out] = sup.start("router")
    assert out.ok and out.port == q
    assert out.fallback_from[-1].port == p and out.fallback_from[-1].holder.pid == holder.pid
    assert f"{p} is held by" in start_warnings(out)[0] and f"pid {holder.pid}" in start_warnings(out)[0]


class _Hiding:
    """A real scanner that does not see the given pids: only the child's log can tell."""

    def __init__(self, hide: set[int]):
        from portmanager_gui.core.occupancy.scan import OccupancyScanner
        self.real, self.hide = OccupancyScanner(), hide

    def scan(self, ports):
        from portmanager_gui.core.occupancy.snapshot import (
            PortInfo,
            PortStatus,
            Snapshot,
        )
        snap = self.real.scan(ports)
        infos = {}
        for port, info in snap.ports.items():
            holders = tuple(h for h in info.holders if h.pid not in self.hide)
            infos[port] = PortInfo(port, PortStatus.LISTENING if holders else PortStatus.FREE, holders)
        return Snapshot(snap.taken_at, infos)

    def close(self):
        self.real.close()


def test_address_in_use_in_the_log_is_a_lost_race(tmp_path, make_supervisor, listener):
    p, q = free_ports(2)
    holder = listener.listen(port=p)
    scanner = _Hiding({holder.pid})
    try:
        sup = make_supervisor(_router(tmp_path, [p, q]), scanner=scanner, probe=lambda port: Availability.FREE)
        [out] = sup.start("router")
        assert out.ok and out.port == q, start_error(out)
        assert out.fallback_from[-1].holder is None
        assert start_warnings(out) == (f"Port {p} is in use, using fallback port {q} ({p} is held by a process "
                                "Port Manager cannot see)",)
        assert "Address already in use" in "\n".join(sup.log_tail("router", 200))
    finally:
        sup.stop_all()
        scanner.close()


def test_stop_ends_a_grandchild_that_ignores_sigterm_and_frees_the_port(tmp_path, make_supervisor):
    [p] = free_ports(1)
    reg = make_registry(tmp_path, service_yaml("router", [p], fake_command("--grandchild"), stop_timeout=1))
    sup = make_supervisor(reg)
    [out] = sup.start("router")
    assert out.ok, start_error(out)
    grandchildren = psutil.Process(out.pid).children(recursive=True)
    assert grandchildren
    [stopped] = sup.stop("router")
    assert stopped.ok, stop_text(stopped)
    assert stopped.forced and "(it ignored the request to stop and was killed)" in stop_text(stopped)
    assert not any(psutil.pid_exists(g.pid) and g.status() != psutil.STATUS_ZOMBIE for g in grandchildren)
    assert probe(p) is Availability.FREE


def test_fifty_megabytes_of_output_do_not_block_the_child(tmp_path, make_supervisor):
    [p] = free_ports(1)
    sup = make_supervisor(_router(tmp_path, [p], "--flood", "50"))
    [out] = sup.start("router")
    assert out.ok, start_error(out)
    log = sup.log_path("router")
    wait_for(lambda: f"listening on {p}" in "\n".join(sup.log_tail("router", 3)), message="the last line logged")
    sizes = [f.stat().st_size for f in (log, *(log.with_name(f"{log.name}.{i}") for i in (1, 2, 3)))]
    assert all(size <= logfiles.MAX_BYTES for size in sizes) and sum(sizes) > 3 * logfiles.MAX_BYTES - 4 * 65536


def test_shell_metacharacters_in_arguments_stay_plain_text(tmp_path, make_supervisor):
    [p] = free_ports(1)
    x, y = tmp_path / "x", tmp_path / "y"
    evil = [f"; touch {x}", f"$(touch {y})", f"&& touch {x}", f"| touch {y}"]
    sup = make_supervisor(_router(tmp_path, [p], "--echo", *evil))
    [out] = sup.start("router")
    assert out.ok, start_error(out)
    assert not x.exists() and not y.exists()
    wait_for(lambda: repr(evil)[1:-1] in "\n".join(sup.log_tail("router")), message="the arguments, verbatim")


def test_a_copy_started_by_hand_is_adopted_not_started_twice(tmp_path, make_supervisor):
    [p] = free_ports(1)
    by_hand = subprocess.Popen([sys.executable, str(FAKE), "--port", str(p)],
                               stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: probe(p) is Availability.IN_USE, message=f"the hand-started copy on {p}")
        sup = make_supervisor(_router(tmp_path, [p]))
        [out] = sup.start("router")
        assert out.ok and out.adopted and out.pid == by_hand.pid and out.port == p
        assert out.adoption is Adoption.FOREIGN
        assert start_warnings(out) == (f"router already answers on port {p} (pid {by_hand.pid}); "
                                       "adopted it instead of starting a second copy",)
        [again] = sup.start("router")
        assert again.ok and again.adopted and again.pid == by_hand.pid
        [stopped] = sup.stop("router")
        assert stopped.ok
        assert by_hand.wait(timeout=10) is not None
    finally:
        if by_hand.poll() is None:
            by_hand.kill()
        by_hand.wait(timeout=10)


def test_already_running_start_is_not_a_second_copy(tmp_path, make_supervisor):
    [p] = free_ports(1)
    sup = make_supervisor(_router(tmp_path, [p]))
    [first] = sup.start("router")
    [second] = sup.start("router")
    assert first.ok and second.ok and second.adopted and second.pid == first.pid
    assert second.adoption is Adoption.OURS
    assert start_warnings(second) == (f"router is already running on port {first.port} (pid {first.pid})",)


def test_a_crash_while_starting_reports_the_log_tail(tmp_path, make_supervisor):
    [p] = free_ports(1)
    sup = make_supervisor(_router(tmp_path, [p], "--exit", "3"))
    [out] = sup.start("router")
    assert not out.ok and out.failure is StartFailure.EXITED and out.returncode == 3 and out.launch_port == p
    assert any("exiting with 3" in line for line in out.log_tail) and out.log_path == str(sup.log_path("router"))
    assert start_error(out).startswith(f"router exited with code 3 before it was running on port {p}\n"
                                       f"Last lines of {out.log_path}:\n  ")
    assert "exiting with 3" in start_error(out)
    assert sup.records() == []


def test_a_service_that_never_listens_times_out_and_is_stopped(tmp_path, make_supervisor):
    [p] = free_ports(1)
    cmd = ["{python}", "-c", "import threading; print('busy', flush=True); threading.Event().wait()"]
    sup = make_supervisor(make_registry(tmp_path, service_yaml("router", [p], cmd, start_timeout=1)))
    [out] = sup.start("router")
    assert not out.ok and out.failure is StartFailure.TIMEOUT and out.start_timeout == 1
    assert out.check is CheckSaw.NOT_LISTENING and out.launch_port == p
    assert start_error(out).startswith(f"router was not running on port {p} after 1 s (its port never started "
                                       "listening); it was stopped. Raise start_timeout if it needs longer")
    assert out.pid is not None and has_ended(out.pid)


def test_group_members_start_on_their_allocated_ports(tmp_path, make_supervisor):
    start = free_ports(1)[0]
    groups = (f"  large-models:\n    start_port: {start}\n    size: 2\n    members: [model1, model2]\n"
              f"    command: {fake_command_yaml()}\n")
    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("router", [p], None), groups))
    assert sup.units("large-models") == ["large-models/model1", "large-models/model2"]
    assert sup.units("model2") == ["large-models/model2"]
    allocations = core_paths.resolve().allocations_file
    assert not allocations.exists()                    # naming units is a read
    outcomes = sup.start("large-models")
    assert json.loads(allocations.read_text())["large-models"] == {"model1": start, "model2": start + 1}
    assert [(o.ok, o.unit, o.port) for o in outcomes] == [
        (True, "large-models/model1", start), (True, "large-models/model2", start + 1)]
    assert {r.unit for r in sup.records()} == {"large-models/model1", "large-models/model2"}
    assert all(o.ok for o in sup.stop("large-models")) and sup.records() == []


def fake_command_yaml() -> str:
    from tests.supervisor_helpers import flow
    return flow(fake_command())


def test_unknown_names_and_missing_commands(tmp_path, make_supervisor):
    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("router", [p], None)))
    with pytest.raises(UnknownName):
        sup.units("nope")
    [out] = sup.start("router")
    assert not out.ok and out.failure is StartFailure.NO_COMMAND and "has no command" in start_error(out)
    [stopped] = sup.stop("router")
    assert stopped.ok and stopped.end is StopEnd.NOT_RUNNING and stop_text(stopped) == "router is not running"


def test_a_missing_command_says_which_folders_were_searched(tmp_path, make_supervisor):
    [p] = free_ports(1)
    reg = make_registry(tmp_path, service_yaml("router", [p], ["no-such-server-xyz", "--port", "{port}"]))
    [out] = make_supervisor(reg).start("router")
    assert not out.ok
    assert out.failure is StartFailure.EXITED and out.problem.trouble is LaunchTrouble.NOT_FOUND
    assert out.problem.path == "no-such-server-xyz" and "/usr/local/bin" in out.problem.searched
    assert start_error(out).startswith("Cannot start router: command 'no-such-server-xyz' was not found. Searched: ")
    assert "/usr/local/bin" in start_error(out)
    assert probe(p) is Availability.FREE
