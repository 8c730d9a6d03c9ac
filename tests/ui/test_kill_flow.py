"""Killing a port holder from the tray: plan, confirmation (answered by the test), kill."""
from __future__ import annotations

import sys

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core.port_rows import RowState
from tests.helpers import free_ports
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


def test_a_kill_from_the_app_of_a_service_up_runs_is_a_stop_not_a_crash(qapp, qtbot, tmp_path, make_supervisor):
    """`portmanager up` (restart: always) must not start again what the app's kill stopped."""
    from portmanager_gui.core.registry.load import load
    from tests.helpers import wait_for
    from tests.supervisor_helpers import FakeClock

    ports = free_ports(1)
    registry = desk.router_registry(tmp_path / "registry.yaml", ports, extra="    restart: always\n")
    clock, events = FakeClock(), []
    up = make_supervisor(load(registry), clock=clock, on_event=events.append)
    [started] = up.start("router")
    assert started.ok, started
    parts = desk.build(qapp, registry, desk.Answers(kill=True))
    try:
        gui_app.start(parts)
        with qtbot.waitSignal(parts.controller.killed, timeout=60000):
            parts.controller.plan_kill(ports[0])
        wait_for(lambda: (up.poll(), [e for e in events if e.kind == "stopped"])[1], message="the kill noticed")
        clock.advance(60)
        up.poll()
        assert up.pending_restarts() == {} and not [e for e in events if e.kind in ("crashed", "restarting")]
    finally:
        desk.close(parts)
