"""``portmanager up/start/stop/restart/logs`` as a user runs them: real commands, real children."""
from __future__ import annotations

import signal
import subprocess
import threading

import psutil
import pytest

from portmanager_gui.cli.supervisor_cmds import follow
from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.ports.probe import Availability, probe
from portmanager_gui.core.supervisor.records import StateStore
from tests.helpers import has_ended, wait_for
from tests.supervisor_helpers import (
    LineReader,
    cli_argv,
    fake_command,
    flow,
    free_ports,
    service_yaml,
    write_registry,
)

ROUTER_EXTRA = dict(banner="MODEL ROUTER API SERVER", endpoints="{Web Interface: /, API Base: /api}", stop_timeout=2)


def _registry(tmp_path, p, q, with_models=True):
    groups = ""
    if with_models:
        start = free_ports(1)[0]
        groups = (f"  large-models:\n    start_port: {start}\n    size: 2\n    members: [model1]\n"
                  f"    command: {flow(['{python}', '-m', 'portmanager_gui.demo', 'model', '--model', '{model}', '--host', '{host}', '--port', '{port}'])}\n")
    cmd = ["{python}", "-m", "portmanager_gui.demo", "router", "--host", "{host}", "--port", "{port}"]
    return write_registry(tmp_path, service_yaml("router", [p, q], cmd, health="/api/health", **ROUTER_EXTRA), groups)


def _run(registry, *args, timeout=60):
    return subprocess.run(cli_argv(registry, *args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _store():
    return StateStore(core_paths.resolve().services_state_file)


def _up(registry, *names):
    # stderr joins stdout: a failed start's reason shows up in the lines a test waits on
    proc = subprocess.Popen(cli_argv(registry, "up", *names), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True)
    return proc, LineReader(proc)


def _finish(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_up_shows_the_fallback_and_banner_and_a_signal_stops_everything(tmp_path, no_leftovers, listener, sig):
    p, q = free_ports(2)
    holder = listener.listen(port=p)
    name = psutil.Process(holder.pid).name()
    proc, out = _up(_registry(tmp_path, p, q))
    try:
        lines = out.until("press Ctrl-C")
        assert f" Port {p} is in use, using fallback port {q} ({p} is held by {name}, pid {holder.pid})" in lines
        i = lines.index("MODEL ROUTER API SERVER")
        assert lines[i - 1] == lines[i + 1] == "=" * 60
        assert f"✨ Server running on port {q}" in lines or f"Server running on port {q}" in lines
        assert f"  - API Base: http://127.0.0.1:{q}/api" in lines
        assert any(ln.startswith("large-models/model1: running on port ") for ln in lines)
        records = {r.unit: r for r in _store().records()}
        assert set(records) == {"router", "large-models/model1"} and all(r.alive for r in records.values())
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0
        assert f"stopped router (pid {records['router'].pid}); port {q} is free" in out.rest()
        assert all(has_ended(r.pid) for r in records.values())
        assert probe(q) is Availability.FREE and _store().records() == []
    finally:
        _finish(proc)


def test_up_with_every_port_taken_prints_the_block_exits_1_and_starts_nothing(tmp_path, no_leftovers, listener):
    p, q = free_ports(2)
    listener.listen(port=p)
    listener.listen(port=q)
    result = _run(_registry(tmp_path, p, q), "up")
    assert result.returncode == 1
    assert "ERROR: All preferred ports are in use!" in result.stderr
    assert f"Tried ports: {p}, {q}" in result.stderr
    assert "large-models/model1 was not started because router could not start" in result.stderr
    assert _store().records() == [] and not (core_paths.resolve().log_dir / "router.log").exists()


def test_children_of_a_killed_supervisor_stay_ours_and_stop_ends_them(tmp_path, no_leftovers):
    p, q = free_ports(2)
    registry = _registry(tmp_path, p, q)
    proc, out = _up(registry)
    try:
        out.until("press Ctrl-C")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        records = {r.unit: r for r in _store().records()}
        assert set(records) == {"router", "large-models/model1"}
        assert all(r.alive and r.owner_pid == proc.pid for r in records.values())
        status = _run(registry, "status", "router")
        row = next(line for line in status.stdout.splitlines() if line.startswith("router") and str(p) in line)
        assert row.split()[:5] == ["router", "preferred", str(p), "ours", str(records["router"].pid)], row
        result = _run(registry, "stop", "router", "large-models")
        assert result.returncode == 0, result.stderr
        assert f"stopped router (pid {records['router'].pid}); port {p} is free" in result.stdout
        assert has_ended(records["router"].pid) and probe(p) is Availability.FREE
        assert _store().records() == []
    finally:
        _finish(proc)


def test_start_logs_restart_stop_from_separate_commands(tmp_path, no_leftovers):
    [p] = free_ports(1)
    registry = write_registry(tmp_path, service_yaml("web", [p], fake_command(), stop_timeout=2))
    started = _run(registry, "start", "web")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith(f"web: running on port {p}, pid ")
    first = _store().get("web")
    assert first is not None and first.alive                      # outlived the command that started it

    logs = _run(registry, "logs", "web", "-n", "5")
    assert logs.returncode == 0 and f"listening on {p}" in logs.stdout

    again = _run(registry, "start", "web")
    assert again.returncode == 0 and f"web is already running on port {p} (pid {first.pid})" in again.stdout

    restarted = _run(registry, "restart", "web")
    assert restarted.returncode == 0, restarted.stderr
    second = _store().get("web")
    assert second is not None and second.pid != first.pid and has_ended(first.pid)

    stopped = _run(registry, "stop", "web")
    assert stopped.returncode == 0 and f"port {p} is free" in stopped.stdout
    assert _run(registry, "stop", "web").stdout.strip() == "web is not running"


def test_bad_names_and_missing_arguments_are_bad_input(tmp_path, no_leftovers):
    [p] = free_ports(1)
    registry = write_registry(tmp_path, service_yaml("web", [p], fake_command()))
    for args in (("start", "nope"), ("stop",), ("logs", "nope"), ("up", "nope")):
        result = _run(registry, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("portmanager: ")
    assert _run(registry, "logs", "web").returncode == 1     # no log yet: says where it will be


def test_follow_prints_appended_lines_and_survives_truncation(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("old\n")
    got: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(log, got.append, stop, 0.01, log.stat().st_size))
    thread.start()
    try:
        with open(log, "a") as fh:
            fh.write("new 1\n")
        wait_for(lambda: "new 1\n" in "".join(got), message="the appended line")
        log.write_text("")                    # rotated by copytruncate
        with open(log, "a") as fh:
            fh.write("new 2\n")
        wait_for(lambda: "new 2\n" in "".join(got), message="the line after truncation")
    finally:
        stop.set()
        thread.join(10)
    assert "old" not in "".join(got)


def test_a_damaged_state_record_is_reported_and_kept(tmp_path, no_leftovers):
    [p, q] = free_ports(2)
    registry = _registry(tmp_path, p, q, with_models=False)
    state_file = core_paths.resolve().ensure().services_state_file
    state_file.write_text('{"units": {"router": {"pid": 12')            # cut short
    r = _run(registry, "stop", "router")
    assert r.returncode == 1 and "services.json, line 1, column 32: is cut short or not JSON" in r.stderr
    assert "no service it started was found running" in r.stderr and "portmanager status --all" in r.stderr
    assert state_file.read_text() == '{"units": {"router": {"pid": 12'     # a read never writes


def test_a_damaged_state_record_is_kept_aside_before_it_is_replaced(tmp_path):
    from portmanager_gui.core.supervisor.records import ManagedRecord

    store = StateStore(tmp_path / "services.json")
    store.path.write_text("not json")
    assert store.damage().path == store.path
    store.put(ManagedRecord("router", 1, 1.0, 41000, ("x",), 0.0, ""))
    assert store.damaged_copy.read_text() == "not json" and store.damage() is None


def test_start_and_status_tell_a_damaged_state_record_before_replacing_it(tmp_path, no_leftovers):
    [p] = free_ports(1)
    registry = write_registry(tmp_path, service_yaml("web", [p], fake_command(), stop_timeout=2))
    state_file = core_paths.resolve().ensure().services_state_file
    state_file.write_text("[1, 2")
    status = _run(registry, "status", "web")
    assert "services.json, line 1, column 6: is cut short" in status.stderr and state_file.read_text() == "[1, 2"
    started = _run(registry, "start", "web")
    assert started.returncode == 0, started.stderr
    assert "services.json, line 1, column 6: is cut short" in started.stderr
    assert "services.json.damaged" in started.stderr
    assert (state_file.parent / "services.json.damaged").read_text() == "[1, 2"
    assert _run(registry, "stop", "web").returncode == 0
