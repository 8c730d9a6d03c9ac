"""Logs stay bounded however a service was started: the log relay rotates on every write,
never follows a symlink and ends with the service's output."""
from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from portmanager_gui.core.supervisor import logfiles
from portmanager_gui.core.supervisor.log_sink import RELAY_MODULE
from tests.helpers import wait_for
from tests.supervisor_helpers import (
    fake_command,
    free_ports,
    make_registry,
    service_yaml,
)


def _sizes(log):
    names = [log] + sorted(log.parent.glob(log.name + ".*"))
    return {p.name: p.stat().st_size for p in names if p.exists()}


def test_the_relay_rotates_before_each_file_passes_its_limit_and_ends_at_eof(tmp_path):
    log = tmp_path / "web.log"
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    log.symlink_to(target)                         # planted: never written through
    relay = subprocess.Popen([sys.executable, "-m", RELAY_MODULE, str(log), "--max-bytes", "100000",
                              "--backups", "2"], stdin=subprocess.PIPE)
    line = b"y" * 999 + b"\n"
    for _ in range(1000):                           # 1 MB
        relay.stdin.write(line)
    relay.stdin.close()
    assert relay.wait(30) == 0                      # end of file: the relay ends by itself
    sizes = _sizes(log)
    assert set(sizes) == {"web.log", "web.log.1", "web.log.2"}, sizes
    assert all(size <= 100000 for size in sizes.values()) and not log.is_symlink()
    assert target.read_text() == "keep me"
    assert log.read_bytes().endswith(line)


def test_a_service_started_with_start_keeps_its_log_bounded_and_its_relay_ends_with_it(tmp_path, make_supervisor,
                                                                                       monkeypatch):
    monkeypatch.setattr(logfiles, "MAX_BYTES", 1024 * 1024)
    [p] = free_ports(1)
    sup = make_supervisor(make_registry(tmp_path, service_yaml("web", [p], fake_command("--flood", "30"),
                                                               stop_timeout=2)))
    [out] = sup.start("web")                         # like `portmanager start`: nobody polls afterwards
    assert out.ok, out.error
    log = sup.log_path("web")
    wait_for(lambda: f"listening on {p}" in "\n".join(sup.log_tail("web", 3)), message="the flood logged")
    sizes = _sizes(log)
    assert set(sizes) == {"web.log", "web.log.1", "web.log.2", "web.log.3"}, sizes
    assert all(size <= 1024 * 1024 for size in sizes.values()), sizes     # 30 MB written, at most 4 MB kept
    rec = sup.record_for("web")
    relay = psutil.Process(rec.relay_pid)
    assert RELAY_MODULE in " ".join(relay.cmdline()) and relay.pid not in rec.marked
    assert sup.stop("web")[0].ok
    wait_for(lambda: not relay.is_running() or relay.status() == psutil.STATUS_ZOMBIE, message="the relay to end")


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_planted_at_a_log_path_never_hangs_a_start_nor_a_tail(tmp_path):
    """Opening a FIFO for writing waits for a reader forever: `portmanager start` hung there."""
    import os

    from portmanager_gui.core import paths as core_paths
    from tests.supervisor_helpers import cli_argv, write_registry

    [p] = free_ports(1)
    registry = write_registry(tmp_path, service_yaml("web", [p], fake_command(), stop_timeout=2))
    paths = core_paths.resolve().ensure()
    log = logfiles.log_path(paths, "web")
    os.mkfifo(log)
    code = f"from portmanager_gui.core.supervisor import logfiles; print(logfiles.tail({str(log)!r}))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout == "[]\n"
    try:
        started = subprocess.run(cli_argv(registry, "start", "web"), capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        wait_for(lambda: b"listening on" in log.read_bytes(), 30, message="the service's output in a real log")
    finally:
        subprocess.run(cli_argv(registry, "stop", "web"), capture_output=True, timeout=120)
