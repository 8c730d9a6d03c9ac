"""The whole desktop app built by ``app.build`` on a test registry, with answers injected."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from portmanager_gui import app as gui_app
from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.port_rows import PortRow
from portmanager_gui.core.settings import Settings
from portmanager_gui.ui.dialogs import AllTakenChoice
from portmanager_gui.ui.presenter import Asks, Desktop

DEMO_ROUTER = '["{python}", "-m", "portmanager_gui.demo", "router", "--host", "{host}", "--port", "{port}"]'


def router_registry(path: Path, ports: list[int], extra: str = "") -> Path:
    path.write_text(f"""version: 1
services:
  router:
    description: Model Router
    ports: [{', '.join(map(str, ports))}]
    command: {DEMO_ROUTER}
    health: /api/health
    start_timeout: 30
{extra}""", encoding="utf-8")
    return path


@dataclass
class Answers:
    """What the injected questions were asked and what they answer."""

    kill: bool = True
    all_taken: AllTakenChoice = AllTakenChoice.CANCEL
    asked: list = field(default_factory=list)
    opened: list = field(default_factory=list)

    def asks(self) -> Asks:
        def kill(_parent, question):
            self.asked.append(question)
            return self.kill

        def all_taken(_parent, question):
            self.asked.append(question)
            return self.all_taken

        return Asks(confirm=lambda t, x: True, kill=kill, all_taken=all_taken, settings=lambda _p, s: None)

    def desktop(self) -> Desktop:
        return Desktop(open_url=self.opened.append, copy=self.opened.append)


def build(qapp, registry: Path, answers: Answers, exit_app=None) -> gui_app.Parts:
    """``exit_app``: what a finished quit calls (default: record nothing, never leave pytest's loop)."""
    paths = core_paths.resolve().ensure()
    args = gui_app.parse_args(["--registry", str(registry)])
    parts = gui_app.build(qapp, args, paths, asks=answers.asks(), desktop=answers.desktop(),
                          exit_app=exit_app or (lambda _code: None))
    parts.presenter.settings = Settings(refresh_s=0.5)
    parts.scanner.set_interval(500)
    return parts


def close(parts: gui_app.Parts) -> None:
    parts.controller.wait_idle(60000)
    if parts.store.registry is not None:
        parts.controller.supervisor()
        for sup in parts.controller.supervisors():    # retired ones too: nothing the test started survives
            sup.stop_all()
    gui_app.shutdown(parts)
    parts.store.wait_saved()
    QCoreApplication.processEvents()             # queued "stopped"/"saved" reach a live window first
    gui_app.dispose(parts)                       # on this thread, never left to the collector


def row(parts: gui_app.Parts, unit: str, port: int) -> PortRow | None:
    return next((r for r in parts.presenter.rows if r.unit == unit and r.port == port), None)
