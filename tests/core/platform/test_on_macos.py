"""macOS only, against the real OS (CI runs them on macos-14 and macos-15-intel): who holds a port
without root, and the plists we write checked by Apple's own ``plutil -lint``. The same
decisions are checked anywhere with the facts injected (test_netstat_macos.py,
test_autostart.py, tests/packaging/test_spec.py)."""
from __future__ import annotations

import os
import plistlib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from portmanager_gui.core import app_names
from portmanager_gui.core.occupancy.netstat_macos import NetstatBackend
from portmanager_gui.core.occupancy.scan import OccupancyScanner
from portmanager_gui.core.occupancy.snapshot import PortStatus
from portmanager_gui.core.platform import MACOS, autostart
from tests.helpers import free_ports

pytestmark = pytest.mark.skipif(sys.platform != "darwin", reason="macOS only: netstat -anv, plutil, launchd")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def listener():
    port = free_ports(1)[0]
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen()
    yield port
    sock.close()


@pytest.mark.skipif(sys.platform == "darwin" and os.geteuid() == 0, reason="checks the path without root")
def test_netstat_names_the_owner_of_a_real_listener_without_root(listener):
    got = NetstatBackend().endpoints(frozenset({listener}))
    assert [(e.address, e.pid) for e in got] == [("127.0.0.1", os.getpid())]


@pytest.mark.skipif(sys.platform == "darwin" and os.geteuid() == 0, reason="checks the path without root")
def test_the_automatic_chain_without_root_sees_a_real_listener(listener):
    with OccupancyScanner("auto", MACOS) as scanner:
        snap = scanner.scan([listener])
        assert scanner.last_backends == ("netstat",)          # psutil's table needs root here
    info = snap.info(listener)
    assert info.status is PortStatus.LISTENING and info.holders[0].pid == os.getpid()


def _lint(path: Path) -> None:
    done = subprocess.run(["plutil", "-lint", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_launch_agent_passes_plutil(tmp_path):
    entry = autostart.autostart_entry(MACOS, ["/Applications/PortManager.app/Contents/MacOS/PortManager"],
                                      tmp_path, {})
    autostart.enable(entry)
    _lint(Path(entry.location))
    assert plistlib.loads(Path(entry.location).read_bytes())["Label"] == app_names.BUNDLE_ID


def test_the_info_plist_passes_plutil(tmp_path):
    sys.path.insert(0, str(REPO / "packaging"))
    try:
        import spec_helpers
    finally:
        sys.path.remove(str(REPO / "packaging"))
    plist = spec_helpers.info_plist(app_names.VERSION, app_names.BUNDLE_ID, app_names.DISPLAY_NAME,
                                    spec_helpers.macos_minimum([Path(sys.executable)]))
    path = tmp_path / "Info.plist"
    path.write_bytes(plistlib.dumps(plist))
    _lint(path)


def test_osascript_takes_the_notification_script_and_its_arguments():
    from portmanager_gui.core.platform.notify import osascript_argv

    argv = osascript_argv("Port Manager test", 'Port 3791 is in use by "node" (pid 1); a test notification')
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
