"""A daemon of ours (found by its mark) reaches the window's rows as ours."""
from __future__ import annotations

from portmanager_gui import app as gui_app
from portmanager_gui.core.supervisor.records import ManagedRecord, StateRead
from tests.supervisor_helpers import free_ports
from tests.ui import desk


def test_the_pids_found_by_a_records_mark_reach_the_rows(qapp, qtbot, tmp_path):
    ports = free_ports(2)
    parts = desk.build(qapp, desk.router_registry(tmp_path / "registry.yaml", ports), desk.Answers())
    try:
        gui_app.start(parts)
        qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=10000)
        rec = ManagedRecord("router", 4242, 1.0, ports[0], ("x",), 1.0, "", alive=True, marked=(5150,))
        parts.scanner.records_changed.emit(StateRead((rec,)))
        assert [(m.unit, m.pid, m.marked) for m in parts.presenter.records] == [("router", 4242, (5150,))]
    finally:
        desk.close(parts)
