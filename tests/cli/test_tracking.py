"""Never losing track of our own services: a daemon that left its group, a service that
dropped privileges after binding, and one we may no longer signal (issue 12, item 3)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psutil
import pytest

from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.ports.probe import Availability, probe
from portmanager_gui.core.supervisor.marker import MARKER_ENV
from portmanager_gui.core.supervisor.records import StateStore
from tests.helpers import has_ended, wait_for
from tests.supervisor_helpers import (
    cli_argv,
    fake_command,
    free_ports,
    service_yaml,
    write_registry,
)

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
POSIX = hasattr(os, "fork")


def _run(registry, *args, timeout=60, **kwargs):
    return subprocess.run(cli_argv(registry, *args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


def _store() -> StateStore:
    return StateStore(core_paths.resolve().services_state_file)


def _holders(port: int) -> list[psutil.Process]:
    out = []
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            out.append(psutil.Process(conn.pid))
    return out


def _started(folder: Path, name: str, *extra: str) -> tuple[Path, int, psutil.Process]:
    """``portmanager start`` of a fake service: its registry, its port and the process holding it."""
    [p] = free_ports(1)
    registry = write_registry(folder, service_yaml(name, [p], fake_command(*extra), stop_timeout=2))
    started = _run(registry, "start", name)
    assert started.returncode == 0, started.stderr
    [holder] = _holders(p)
    return registry, p, holder


def _status_label(registry, name: str, port: int) -> list[str]:
    status = _run(registry, "status", name)
    row = next(line for line in status.stdout.splitlines() if line.startswith(name) and str(port) in line)
    return row.split()


@pytest.mark.skipif(not POSIX, reason="fork/setsid are POSIX")
def test_a_daemonizing_service_is_ours_in_status_and_stop_stops_it(tmp_path, no_leftovers):
    registry, p, daemon = _started(tmp_path, "web", "--daemonize")
    rec = _store().get("web")
    assert rec is not None and rec.alive and not rec.leader_alive and daemon.pid in rec.marked
    assert daemon.environ()[MARKER_ENV] == rec.marker
    assert os.getpgid(daemon.pid) != rec.pid                      # it left the group we made
    label = _status_label(registry, "web", p)
    assert label[3] == "ours" and label[4] == str(daemon.pid), label
    stopped = _run(registry, "stop", "web")
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped web (pid {daemon.pid}); port {p} is free" in stopped.stdout
    assert has_ended(daemon.pid) and probe(p) is Availability.FREE and _store().records() == []


@pytest.mark.skipif(not ROOT, reason="only root can start a service that drops privileges (CI runs as root)")
def test_a_service_that_dropped_privileges_is_stopped_by_root(tmp_path, no_leftovers):
    registry, p, holder = _started(tmp_path, "cache", "--drop-to", "nobody")
    assert holder.uids().real == 65534 or holder.username() == "nobody"
    label = _status_label(registry, "cache", p)
    assert label[3] == "ours", label
    stopped = _run(registry, "stop", "cache")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert f"port {p} is free" in stopped.stdout and has_ended(holder.pid) and _store().records() == []


@pytest.fixture
def shared_home(monkeypatch):
    """A home and registry another user can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="pm-shared-"))
    folder.chmod(0o777)
    monkeypatch.setenv("PORTMANAGER_HOME", str(folder / "home"))
    yield folder
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("PORTMANAGER_HOME") == str(folder / "home"):
                proc.kill()
        except psutil.Error:
            continue
    shutil.rmtree(folder, ignore_errors=True)


def _open_up(folder: Path) -> None:
    for here, dirs, files in os.walk(folder):
        os.chmod(here, 0o777)
        for name in files:
            os.chmod(os.path.join(here, name), 0o666)


# The interpreter may live where only root can read (a pyenv under /root): it starts as root,
# loads what the command needs, then becomes the other user -- as `su user -c portmanager` would.
AS_USER = """
import os, sys
import portmanager_gui.cli, portmanager_gui.cli.context, portmanager_gui.cli.supervisor_cmds
import portmanager_gui.core.supervisor.supervisor, portmanager_gui.core.supervisor.marker
import portmanager_gui.core.occupancy.scan, portmanager_gui.core.registry.load, json, encodings.idna
uid = int(sys.argv[1])
os.setgroups([]); os.setgid(uid); os.setuid(uid)
sys.exit(portmanager_gui.cli.main(sys.argv[2:]))
"""


def _as_user(uid: int, registry: Path, *args: str):
    argv = [cli_argv(registry)[0], "-c", AS_USER, str(uid), "--registry", str(registry), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not ROOT, reason="needs root to start a service as one user and stop it as another")
def test_a_service_owned_by_another_user_now_is_ours_but_refused_with_exit_3_and_kept(shared_home):
    registry, p, holder = _started(shared_home, "cache", "--drop-to", "nobody")
    before = _store().path.read_bytes()
    _open_up(shared_home)
    as_daemon = _as_user(1, registry, "stop", "cache")                # uid 1: daemon
    assert as_daemon.returncode == 3, as_daemon.stdout + as_daemon.stderr
    assert f"cache (pid {holder.pid}) is ours but cannot be stopped: owned by uid 65534 now" in as_daemon.stderr
    assert holder.is_running() and probe(p) is Availability.IN_USE
    assert _store().path.read_bytes() == before                       # record kept, untouched
    stopped = _run(registry, "stop", "cache")                           # root may: it is ours
    assert stopped.returncode == 0, stopped.stderr
    wait_for(lambda: has_ended(holder.pid), message="the service to end")
