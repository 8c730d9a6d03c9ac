"""The All ports tab and the tray's "Other ports", in the real app on real listeners."""
from __future__ import annotations

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core.occupancy.listeners import listeners
from portmanager_gui.core.occupancy.snapshot import PortInfo, PortStatus, Snapshot
from portmanager_gui.core.registry.load import load
from portmanager_gui.ui.all_ports_tab import AllPortsTab
from tests.ui import desk
from tests.ui.factories import holder


def _rows(*pairs):
    snap = Snapshot(0.0, {p: PortInfo(p, PortStatus.LISTENING, (h,)) for p, h in pairs})
    return listeners(snap, "linux", {3000: "web"}, me_user="alice")


def test_tab_model_hides_system_processes_searches_and_highlights(qtbot, qtmodeltester):
    tab = AllPortsTab()
    qtbot.addWidget(tab)
    rows = _rows((3000, holder(10, "node")), (22, holder(1, "sshd", port_user="root")),
                 (11434, holder(11, "ollama")))
    assert tab.set_rows(rows) == -1
    qtmodeltester.check(tab.model)
    shown = {tab.proxy.index(r, 4).data() for r in range(tab.proxy.rowCount())}
    assert shown == {"3000", "11434"}                       # sshd (root, system) hidden by default
    tab.hide_system.setChecked(False)
    assert tab.proxy.rowCount() == 3
    tab.search.setText("ollama")
    assert tab.proxy.rowCount() == 1 and tab.proxy.index(0, 1).data() == "Ollama"
    tab.search.clear()
    moved = _rows((3000, holder(10, "node")), (22, holder(1, "sshd", port_user="root")),
                  (11434, holder(11, "ollama", create=2000.0)))
    assert tab.set_rows(moved) == 1 and tab.model.highlighted() == {(11, 11434, "tcp")}
    with qtbot.waitSignal(tab.kill_requested) as sig:
        assert tab.select_port(11434)
        tab.kill_button.click()
    assert sig.args == [11434]
    assert tab.select_port(3000) and not tab.add_button.isEnabled()     # already the registry's "web"


@pytest.fixture
def app_parts(qapp, tmp_path, listener):
    path = tmp_path / "registry.yaml"
    path.write_text("version: 1\nservices:\n  other:\n    ports: [1]\n", encoding="utf-8")
    made = []

    def make():
        parts = desk.build(qapp, path, desk.Answers())
        parts.all_scanner.set_interval(300)
        made.append(parts)
        gui_app.start(parts)
        return parts

    yield path, make
    for parts in made:
        desk.close(parts)


def test_a_listener_outside_the_registry_is_listed_killed_from_the_tray_and_added(qtbot, app_parts, listener):
    path, make = app_parts
    child = listener.listen("127.0.0.1")
    parts = make()
    qtbot.waitUntil(lambda: parts.all_ports.select_port(child.port), timeout=15000)
    row = parts.all_ports.selected()
    assert row.pid == child.pid and not row.system and row.service == ""
    # Add to registry: a service with that port and (the injected answer says yes) its command.
    with qtbot.waitSignal(parts.store.saved, timeout=10000):
        gui_app.add_to_registry(parts, row)
    svc = next(s for s in load(path).services.values() if s.ports == (child.port,))
    assert svc.command == tuple(row.holder.cmdline)


def test_tray_other_ports_lists_our_own_listener(qtbot, app_parts, listener):
    _path, make = app_parts
    child = listener.listen("127.0.0.1")
    parts = make()
    if parts.tray is None:
        pytest.skip("no tray in this session")
    qtbot.waitUntil(lambda: any(r.port == child.port for r in parts.tray.others()), timeout=15000)
    parts.tray.rebuild()
    sub = next(a.menu() for a in parts.tray.menu.actions() if a.menu() and a.text() == "Other ports")
    entry = next(a for a in sub.actions() if a.text().endswith(f"(pid {child.pid}) on :{child.port}..."))
    with qtbot.waitSignal(parts.controller.kill_planned, timeout=10000) as sig:
        entry.trigger()
    assert sig.args[0] == child.port
