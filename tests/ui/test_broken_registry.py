"""A registry that does not load: the error is shown (window, tray), nothing is overwritten,
and fixing the file brings everything back."""
from __future__ import annotations

from portmanager_gui import app as gui_app
from portmanager_gui.core.port_rows import Overall
from tests.helpers import free_ports
from tests.ui.desk import Answers, build, close, router_registry


def test_a_broken_registry_is_shown_and_left_alone_until_fixed(qtbot, qapp, tmp_path):
    port = free_ports(1)[0]
    path = router_registry(tmp_path / "registry.yaml", [port])
    good = path.read_text()
    broken = good.replace(f"ports: [{port}]", f"ports: [{port}, 08100]")
    path.write_text(broken)
    parts = build(qapp, path, Answers())
    errors = []
    parts.scanner.scan_failed.connect(errors.append)
    gui_app.start(parts)
    try:
        assert "registry.yaml:5: services.router.ports[1]: '08100' is not a port" in parts.window.banner.label.text()
        assert parts.window.isVisible()                              # nothing loaded: the window opens
        assert parts.tray.state is Overall.PROBLEM and "does not load" in parts.tray.icon.toolTip()
        with qtbot.waitSignal(parts.scanner.snapshot_changed, timeout=30000):
            parts.scanner.refresh()
        assert errors == [] and path.read_text() == broken           # no scan errors; file untouched

        with qtbot.waitSignal(parts.store.registry_changed, timeout=30000):
            path.write_text(good)                                     # the user fixes it in an editor
        qtbot.waitUntil(lambda: parts.tray.state is Overall.OK, timeout=30000)
        assert parts.window.banner.isHidden() and "does not load" not in parts.tray.icon.toolTip()
    finally:
        close(parts)
