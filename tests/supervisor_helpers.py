"""Helpers for supervisor tests: registries with ephemeral ports, a fake clock, a supervisor
factory that stops everything afterwards, and a check that no test leaves a process behind.

``tests/fake_service.py`` is the configurable service the registries start.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.registry.load import load
from portmanager_gui.core.registry.model import Registry
from portmanager_gui.core.supervisor.supervisor import Supervisor
from tests.helpers import free_ports, wait_for  # noqa: F401 (free_ports: re-exported for the supervisor tests)

FAKE = Path(__file__).with_name("fake_service.py")
MARKERS = (str(FAKE), "portmanager_gui.demo", "portmanager_gui")


def flow(items: list[str]) -> str:
    """A YAML flow list; JSON strings are valid YAML scalars, so every quote is kept."""
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def fake_command(*extra: str) -> list[str]:
    return ["{python}", str(FAKE), "--host", "{host}", "--port", "{port}", *extra]


def service_yaml(name: str, ports: list[int], command: list[str] | None, *, health: str | None = "/health",
                 description: str = "Model Router (web UI at /, API at /api)", **fields: object) -> str:
    lines = [f"  {name}:", f"    description: {description}", f"    ports: [{', '.join(map(str, ports))}]"]
    if command is not None:
        lines.append(f"    command: {flow(command)}")
    if health:
        lines.append(f"    health: {health}")
    lines += [f"    {k}: {v}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def write_registry(directory: Path, services: str, groups: str = "", start_port: int | None = None) -> Path:
    """A registry file: ``services`` and ``groups`` are YAML blocks (indented by two)."""
    start = start_port or free_ports(1)[0]
    text = f"version: 1\nstart_port: {start}\nservices:\n{services}models:\n  size: 1\n  members: []\n"
    if groups:
        text += f"groups:\n{groups}"
    path = directory / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def make_registry(directory: Path, services: str, groups: str = "", start_port: int | None = None) -> Registry:
    return load(write_registry(directory, services, groups, start_port))


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def leftovers(home: Path) -> list[psutil.Process]:
    """Processes started for this test (by its PORTMANAGER_HOME) that are still alive."""
    out = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or ())
            if proc.info["status"] == psutil.STATUS_ZOMBIE or not any(m in cmd for m in MARKERS):
                continue
            if proc.environ().get("PORTMANAGER_HOME") == str(home):
                out.append(proc)
        except (psutil.Error, OSError):
            continue
    return out


@pytest.fixture
def no_leftovers(pm_home: Path) -> Iterator[Path]:
    """Fail the test if any process it started is still alive afterwards (and kill those)."""
    yield pm_home
    left = leftovers(pm_home)
    for proc in left:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=5)
    assert not left, f"processes left behind: {[(p.pid, p.info['cmdline']) for p in left]}"


@pytest.fixture
def make_supervisor(no_leftovers: Path) -> Iterator:
    """``make_supervisor(registry, **kw)``: a Supervisor on the test's home; all stopped afterwards."""
    made: list[Supervisor] = []

    def make(registry: Registry, **kwargs: object) -> Supervisor:
        sup = Supervisor(registry, core_paths.resolve().ensure(), **kwargs)
        made.append(sup)
        return sup

    yield make
    for sup in made:
        sup.stop_all()
        sup.close()


class LineReader:
    """Reads a child's stdout lines on a thread, so a test can wait for one with a timeout."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, text: str, timeout: float = 30.0) -> list[str]:
        """Lines up to and including the first containing ``text``."""
        def seen() -> bool:
            while not self._queue.empty():
                line = self._queue.get()
                if line is None:
                    raise AssertionError(f"output ended before {text!r}; got:\n" + "\n".join(self.lines))
                self.lines.append(line)
            return any(text in ln for ln in self.lines)
        wait_for(seen, timeout, message=f"{text!r} in the output")
        return list(self.lines)

    def rest(self, timeout: float = 30.0) -> list[str]:
        self._thread.join(timeout)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return list(self.lines)


def cli_argv(registry: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "portmanager_gui", "--registry", str(registry), *args]


__all__ = ["FAKE", "free_ports", "flow", "fake_command", "service_yaml", "write_registry", "make_registry",
           "FakeClock", "leftovers", "no_leftovers", "make_supervisor", "LineReader", "cli_argv"]
