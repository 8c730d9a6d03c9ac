"""Killing a port holder from the tray: plan, confirmation (answered by the test), kill."""
from __future__ import annotations

import sys

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core.port_rows import RowState
from tests.ui import desk


@pytest.fixture
def held(qapp, tmp_path, listener):
    child = listener.listen()
    path = tmp_path / "registry.yaml"
    path.write_text(f"version: 1\nservices:\n  web:\n    ports: [{child.port}]\n", encoding="utf-8")
    made = []

    def make(answers):
        parts = desk.build(qapp, path, answers)
        made.append(parts)
        gui_app.start(parts)
        return parts

    yield child, make
    for parts in made:
        desk.close(parts)


def _kill_from_tray(qtbot, parts, child):
    qtbot.waitUntil(lambda: (r := desk.row(parts, "web", child.port)) is not None and r.state is RowState.FOREIGN,
                    timeout=30000)
    parts.tray.rebuild()                                          # what aboutToShow does
    entry = next(a for a in parts.tray.menu.actions() if a.text().startswith("Kill "))
    assert entry.text() == f"Kill python (pid {child.pid}) on :{child.port}..." or \
        entry.text().endswith(f"(pid {child.pid}) on :{child.port}...")
    entry.trigger()


def test_kill_confirmed_frees_the_port(qtbot, held):
    child, make = held
    answers = desk.Answers(kill=True)
    parts = make(answers)
    _kill_from_tray(qtbot, parts, child)
    qtbot.waitUntil(lambda: child.proc.poll() is not None, timeout=40000)
    qtbot.waitUntil(lambda: desk.row(parts, "web", child.port).state is RowState.FREE, timeout=30000)
    question = answers.asked[0]
    assert question.can_kill
    assert f"(pid {child.pid})" in question.text and f"port {child.port} (registered to web)" in question.text
    assert "user " in question.details and "-c" in question.details        # user and command line shown
    assert f"(pid {child.pid}, user " in question.text and sys.executable in question.text


def test_kill_declined_leaves_it_running(qtbot, held):
    child, make = held
    answers = desk.Answers(kill=False)
    parts = make(answers)
    _kill_from_tray(qtbot, parts, child)
    qtbot.waitUntil(lambda: bool(answers.asked), timeout=30000)
    parts.controller.wait_idle(10000)
    assert child.alive()
    assert desk.row(parts, "web", child.port).state is RowState.FOREIGN
