"""A port held by Docker's forwarder is shown with the container's name, in the table and details.

The forwarder is a real loopback listener whose process name is ``docker-proxy`` (set with
``prctl``, Linux); Docker's answer is the real-format ``docker ps`` fixture pointed at it.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.interop import docker
from portmanager_gui.ui.port_table_model import COL_HOLDER
from tests.ui import desk

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="names the process with prctl")

FORWARDER = r"""
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)   # PR_SET_NAME: what psutil reports as its name
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


def _stop_from_the_tab(qtbot, parts, container: str) -> None:
    """Kill on the selected port offers the container's stop (asked first) and runs it."""
    assert parts.all_ports.kill_button.text() == f"Stop container {container}..."
    with qtbot.waitSignal(parts.controller.container_stopped, timeout=10000):
        parts.all_ports.kill_button.click()


@contextlib.contextmanager
def _forwarder(name: str):
    proc = subprocess.Popen([sys.executable, "-c", FORWARDER, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture
def forwarder():
    with _forwarder("docker-proxy") as port:
        yield port


def test_docker_proxy_holder_shows_the_container(qtbot, qapp, tmp_path, forwarder, monkeypatch):
    asked = []
    row_json = {"Names": "avatar-stack-web-1", "Ports": f"127.0.0.1:{forwarder}->80/tcp"}

    def published(runtime="docker"):
        asked.append(True)
        return docker.DockerPorts(True, "", docker.parse_ps(json.dumps(row_json)))

    monkeypatch.setattr(docker, "published_ports", published)
    registry = tmp_path / "registry.yaml"
    registry.write_text(f"version: 1\nservices:\n  web:\n    ports: [{forwarder}]\n", encoding="utf-8")
    answers = desk.Answers()
    parts = gui_app.build(qapp, gui_app.parse_args(["--registry", str(registry), "--no-tray"]),
                          core_paths.resolve().ensure(), asks=answers.asks(), desktop=answers.desktop())
    parts.scanner.set_interval(200)
    gui_app.start(parts)
    try:
        name = "docker-proxy (container avatar-stack-web-1)"
        qtbot.waitUntil(lambda: (r := desk.row(parts, "web", forwarder)) is not None and r.holder is not None
                        and r.holder.name == name, timeout=30000)
        i = parts.window.model.row_for("web", forwarder)
        assert parts.window.model.index(i, COL_HOLDER).data() == name
        assert parts.window.select_unit("web", forwarder)
        assert f"Held by <b>{name}</b>" in parts.window.details.summary.text()
        # The All ports view names the container too (its own scan asks Docker once as well).
        parts.all_scanner.set_interval(200)
        parts.window.tabs.setCurrentWidget(parts.all_ports)
        parts.window.show()
        qtbot.waitUntil(lambda: any(r.port == forwarder and r.container == "avatar-stack-web-1"
                                    for r in parts.all_ports.model.listeners()), timeout=10000)
        before = len(asked)
        assert before <= 2              # one answer per scanning thread
        scans = [0, 0]
        parts.scanner.snapshot_changed.connect(lambda _s: scans.__setitem__(0, scans[0] + 1))
        parts.all_scanner.snapshot_changed.connect(lambda _s: scans.__setitem__(1, scans[1] + 1))
        qtbot.waitUntil(lambda: min(scans) >= 3, timeout=30000)
        # The same forwarder: Docker is not asked again on each scan (not "== before": the
        # machine-wide scan also sees forwarders that other test runs on this machine start).
        assert len(asked) - before < min(scans)
        # Kill on that port offers the container's own stop (asked first), never a signal to the forwarder.
        stopped = []
        monkeypatch.setattr(docker, "stop_container", lambda name, runtime="docker":
                            stopped.append((runtime, name)) or docker.StopResult(name, True))
        assert parts.all_ports.select_port(forwarder)
        _stop_from_the_tab(qtbot, parts, "avatar-stack-web-1")
        assert stopped == [("docker", "avatar-stack-web-1")]
    finally:
        desk.close(parts)


def test_no_forwarder_no_docker_query(qtbot, qapp, tmp_path, listener, monkeypatch):
    asked = []
    monkeypatch.setattr(docker, "published_ports", lambda **_: asked.append(True) or docker.DockerPorts(False))
    child = listener.listen()
    registry = tmp_path / "registry.yaml"
    registry.write_text(f"version: 1\nservices:\n  web:\n    ports: [{child.port}]\n", encoding="utf-8")
    answers = desk.Answers()
    parts = gui_app.build(qapp, gui_app.parse_args(["--registry", str(registry), "--no-tray"]),
                          core_paths.resolve().ensure(), asks=answers.asks(), desktop=answers.desktop())
    gui_app.start(parts)
    try:
        qtbot.waitUntil(lambda: (r := desk.row(parts, "web", child.port)) is not None and r.holder is not None,
                        timeout=30000)
        assert desk.row(parts, "web", child.port).holder.name != "docker-proxy"
        assert asked == []
    finally:
        desk.close(parts)


def test_a_podman_published_port_stops_with_podman_from_the_all_ports_tab(qtbot, qapp, tmp_path, monkeypatch):
    """Podman's rootlessport holds the port; `podman ps --format json` (injected) names the container."""
    with _forwarder("rootlessport") as port:
        out = json.dumps([{"Names": ["cache"], "Ports": [{"host_ip": "127.0.0.1", "container_port": 6379,
                                                          "host_port": port, "range": 1, "protocol": "tcp"}]}])
        asked, stopped = [], []
        real = docker.published_ports

        def published(runtime="docker"):
            asked.append(runtime)
            return real(which=lambda n: f"/usr/bin/{n}", runtime=runtime,
                        run=lambda argv, timeout: docker.CommandResult(0, out if argv[0].endswith("podman") else ""))
        monkeypatch.setattr(docker, "published_ports", published)
        monkeypatch.setattr(docker, "stop_container", lambda name, runtime="docker":
                            stopped.append((runtime, name)) or docker.StopResult(name, True))
        registry = tmp_path / "registry.yaml"
        registry.write_text("version: 1\nservices:\n  other:\n    ports: [1]\n", encoding="utf-8")
        parts = desk.build(qapp, registry, desk.Answers())
        parts.window.tabs.setCurrentWidget(parts.all_ports)
        parts.window.show()
        gui_app.start(parts)
        try:
            qtbot.waitUntil(lambda: parts.all_ports.select_port(port)
                            and parts.all_ports.selected().container == "cache", timeout=15000)
            row = parts.all_ports.selected()
            assert (row.label, row.runtime, row.name) == ("Podman proxy", "podman", "rootlessport")
            assert "podman" in asked
            _stop_from_the_tab(qtbot, parts, "cache")
            assert stopped == [("podman", "cache")]
        finally:
            desk.close(parts)
