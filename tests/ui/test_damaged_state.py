"""A damaged state record (services.json) in the desktop app: told in the window and once by a
notification, naming the file, what is wrong and what to do; the scans go on, a service we
started is still found by its mark (not "nothing running"), and the banner goes once the file
is whole again. A read never writes: the damaged file stays as it is until something is started
or stopped."""
from __future__ import annotations

from portmanager_gui import app as gui_app
from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.port_rows import RowState
from portmanager_gui.core.registry.load import load
from tests.supervisor_helpers import free_ports
from tests.ui import desk


def _damage_shown(parts) -> bool:
    return parts.window.state_banner.isVisible() and "services.json" in parts.window.state_banner.label.text()


def test_a_damaged_state_record_is_shown_and_a_running_service_is_still_ours(qapp, qtbot, tmp_path,
                                                                             make_supervisor):
    ports = free_ports(2)
    registry = desk.router_registry(tmp_path / "registry.yaml", ports)
    sup = make_supervisor(load(registry))
    [started] = sup.start("router")
    assert started.ok, started
    state = core_paths.resolve().services_state_file
    state.write_text('{"version": 1, "units": {"router": {"pid": 12')          # cut short (disk full, a crash)
    parts = desk.build(qapp, registry, desk.Answers())
    told = []
    parts.presenter.notified.connect(lambda title, body: told.append((title, body)))
    try:
        gui_app.start(parts)
        parts.window.show()
        qtbot.waitUntil(lambda: _damage_shown(parts), timeout=30000)
        shown = parts.window.state_banner.label.text()
        assert str(state) in shown and "line 1" in shown                          # which file, where
        assert "router" in shown and str(started.pid) in shown                   # what was found by its mark
        assert "portmanager status --all" in shown                               # what to do
        qtbot.waitUntil(lambda: (r := desk.row(parts, "router", ports[0])) is not None and r.state is RowState.OURS,
                        timeout=30000)
        for _ in range(2):                                                       # the scans go on, told once
            with qtbot.waitSignal(parts.scanner.snapshot_changed, timeout=30000):
                parts.scanner.refresh()
        assert [t for t in told if "services.json" in t[1]] == [told[0]] and len(told) == 1, told
        parts.window.state_banner.close_button.click()                          # dismissed: it stays so
        with qtbot.waitSignal(parts.scanner.snapshot_changed, timeout=30000):
            parts.scanner.refresh()
        assert not parts.window.state_banner.isVisible()
        assert state.read_text() == '{"version": 1, "units": {"router": {"pid": 12'   # a read never writes

        with qtbot.waitSignal(parts.controller.stopped, timeout=60000) as stopped:
            parts.window.stop_requested.emit("router")                         # stopped through its mark
        assert stopped.args[1][0].ok, stopped.args[1][0]
        qtbot.waitUntil(lambda: parts.presenter.state_damage is None, timeout=30000)   # whole again
        assert not parts.window.state_banner.isVisible()
        assert (state.parent / "services.json.damaged").read_text().startswith('{"version": 1')
        qtbot.waitUntil(lambda: desk.row(parts, "router", ports[0]).state is RowState.FREE, timeout=30000)
    finally:
        desk.close(parts)


def test_a_damaged_state_record_with_nothing_found_running_says_so_and_goes_when_fixed(qapp, qtbot, tmp_path):
    ports = free_ports(1)
    registry = desk.router_registry(tmp_path / "registry.yaml", ports)
    state = core_paths.resolve().ensure().services_state_file
    state.write_bytes(b'{"version": 1, "units": \xff\xfe}')                      # not even UTF-8
    parts = desk.build(qapp, registry, desk.Answers())
    try:
        gui_app.start(parts)
        parts.window.show()
        qtbot.waitUntil(lambda: _damage_shown(parts), timeout=30000)
        assert "No service it started was found running" in parts.window.state_banner.label.text()
        assert parts.window.isVisible() and parts.store.registry is not None
        state.write_text('{"version": 1, "units": {}}')                          # fixed by hand
        qtbot.waitUntil(lambda: not parts.window.state_banner.isVisible(), timeout=30000)
    finally:
        desk.close(parts)
