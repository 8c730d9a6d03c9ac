"""A real foreign process on the router's preferred port: the start falls back, visibly."""
from __future__ import annotations

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core.port_rows import RowState
from portmanager_gui.text.rows import row_note
from portmanager_gui.ui.dialogs import AllTakenChoice
from portmanager_gui.ui.port_table_model import COL_STATE
from tests.supervisor_helpers import free_ports
from tests.ui import desk


@pytest.fixture
def parts_for(qapp, tmp_path):
    made = []

    def make(ports, answers):
        parts = desk.build(qapp, desk.router_registry(tmp_path / "registry.yaml", ports), answers)
        made.append(parts)
        gui_app.start(parts)
        return parts

    yield make
    for parts in made:
        desk.close(parts)


def test_start_on_fallback_is_visible_everywhere(qtbot, listener, parts_for):
    foreign = listener.listen()                     # stands in for whatever holds 3791
    answers = desk.Answers()
    parts = parts_for([foreign.port, *free_ports(2)], answers)      # a fallback taken meanwhile: the next
    notes = []
    parts.presenter.notified.connect(lambda title, text: notes.append(text))
    qtbot.waitUntil(lambda: (r := desk.row(parts, "router", foreign.port)) and r.state is RowState.FOREIGN,
                    timeout=30000)

    with qtbot.waitSignal(parts.controller.started, timeout=60000) as started:
        parts.presenter.start("router")
    [out] = started.args[1]
    assert out.ok and out.fallback_from, out
    fallback = out.port
    qtbot.waitUntil(lambda: desk.row(parts, "router", fallback).state is RowState.FALLBACK, timeout=40000)
    assert row_note(desk.row(parts, "router", fallback)).startswith(f"Port {foreign.port} is in use by ")
    qtbot.waitUntil(lambda: bool(notes), timeout=40000)       # the supervisor's own sentence

    expected = f"Port {foreign.port} is in use by "
    row = desk.row(parts, "router", fallback)
    assert row_note(row).startswith(expected)
    assert row_note(row).endswith(f"; Model Router started on fallback port {fallback}")
    assert f"(pid {foreign.pid})" in row_note(row)
    i = parts.window.model.row_for("router", fallback)
    assert parts.window.model.index(i, COL_STATE).data() == "on fallback"
    assert row_note(row) in parts.window.model.index(i, COL_STATE).data(3)       # the row's tooltip
    assert row_note(row) in parts.tray.icon.toolTip()
    assert parts.tray.state.value == "fallback"
    assert any(n == row_note(row) for n in notes)

    parts.controller.stop("router")
    qtbot.waitUntil(lambda: desk.row(parts, "router", fallback).state is RowState.FREE, timeout=40000)
    assert parts.tray.state.value == "ok"


def test_all_ports_taken_asks_with_the_holders(qtbot, listener, parts_for):
    a, b = listener.listen(), listener.listen()
    answers = desk.Answers(all_taken=AllTakenChoice.EDIT_PORTS)
    parts = parts_for([a.port, b.port], answers)
    qtbot.waitUntil(lambda: parts.presenter.snapshot is not None
                    and bool(parts.presenter.snapshot.info(b.port).holders), timeout=30000)
    parts.presenter.start("router")
    qtbot.waitUntil(lambda: bool(answers.asked), timeout=40000)
    question = answers.asked[0]
    assert [p for p, _ in question.tried] == [a.port, b.port]
    assert f"pid {a.pid}" in question.tried[0][1] and f"pid {b.pid}" in question.tried[1][1]
    assert f"Tried ports: {a.port}, {b.port}" in question.text
    assert parts.window.tabs.currentWidget() is parts.window.services      # "Edit ports" opened the editor
    assert parts.window.services.current() == "router"
    assert desk.row(parts, "router", a.port).state is RowState.FAILED
    assert row_note(desk.row(parts, "router", a.port)) == "All preferred ports are in use!"     # not the "====" ruler


def test_a_freed_preferred_port_offers_the_way_back(qtbot, listener, parts_for):
    # below the ephemeral range and reserved: once freed, no other process's connect() may take it
    # before "Back to preferred" does (a loaded machine's clients get ephemeral ports)
    foreign = listener.listen(port=free_ports(1)[0])
    # two fallbacks: one that another run took between the pick and the start is no failure
    parts = parts_for([foreign.port, *free_ports(2)], desk.Answers())
    qtbot.waitUntil(lambda: (r := desk.row(parts, "router", foreign.port)) and r.state is RowState.FOREIGN,
                    timeout=30000)
    with qtbot.waitSignal(parts.controller.started, timeout=60000) as started:
        parts.presenter.start("router")
    [out] = started.args[1]
    assert out.ok and out.fallback_from, out
    fallback = out.port
    qtbot.waitUntil(lambda: desk.row(parts, "router", fallback).state is RowState.FALLBACK, timeout=40000)
    assert parts.window.select_unit("router", fallback)
    assert not parts.window.act_kill.isEnabled()        # our own service: Stop, not Kill
    assert parts.window.act_stop.isEnabled() and not parts.window.act_back.isEnabled()
    parts.tray.rebuild()
    assert not any(a.text().startswith("Kill") and f":{fallback}" in a.text() for a in parts.tray.menu.actions())

    foreign.stop()                                      # the holder of the preferred port is gone
    qtbot.waitUntil(lambda: desk.row(parts, "router", foreign.port).state is RowState.FREE, timeout=30000)
    note = row_note(desk.row(parts, "router", fallback))
    assert note == f"Port {foreign.port} is free again; Model Router still runs on fallback port {fallback}"
    assert f"pid {foreign.pid}" not in parts.tray.icon.toolTip()
    parts.tray.rebuild()
    header = parts.tray.menu.actions()[0].text()
    assert f"pid {foreign.pid}" not in header and "free again" in header
    router_menu = next(a.menu() for a in parts.tray.menu.actions() if a.menu() and a.text().startswith("router"))
    back = next(a for a in router_menu.actions() if a.text() == f"Back to preferred port :{foreign.port}")
    qtbot.waitUntil(parts.window.act_back.isEnabled, timeout=30000)
    assert parts.window.act_back.text() == f"Back to :{foreign.port}"

    back.trigger()
    qtbot.waitUntil(lambda: desk.row(parts, "router", foreign.port).state is RowState.OURS, timeout=60000)
    assert desk.row(parts, "router", fallback).state is RowState.FREE
    assert parts.tray.state.value == "ok"
