"""On a real display: a start on the fallback port is visible in the row, the tray icon, its tooltip
and a notification; the log pane follows the running service."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QImage

from portmanager_gui.core.port_rows import RowState
from portmanager_gui.core.ports.probe import Availability, probe
from portmanager_gui.ui.icons import ROW_BACKGROUNDS
from tests.desktop import harness
from tests.helpers import free_ports, wait_for
from tests.ui.desk import router_registry


def _count(path: Path, color: QColor) -> int:
    image = QImage(str(path))
    want = color.rgb() & 0xFFFFFF
    return sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
               if image.pixel(x, y) & 0xFFFFFF == want)


def test_a_fallback_start_is_visible_on_screen(screen, launch, listener, tmp_path):
    holder = listener.listen()
    fallbacks = free_ports(2)            # two: one another run took meanwhile is no failure
    registry = router_registry(tmp_path / "registry.yaml", [holder.port, *fallbacks])
    app = launch(registry, "--show")
    window = wait_for(screen.main_window, harness.START_S, message="the main window")
    icon = wait_for(screen.tray_icon, harness.START_S, message="the tray icon")
    ok_icon = screen.screenshot(tmp_path / "icon-ok.png", icon).read_bytes()
    screen.start_from_tray(lambda: any(probe(p) is Availability.IN_USE for p in fallbacks), app=app)   # fallback
    amber = ROW_BACKGROUNDS[RowState.FALLBACK]
    wait_for(lambda: _count(screen.screenshot(tmp_path / "window.png", window), amber) > 50, 30,
             message="the router's row to turn amber")
    wait_for(lambda: screen.screenshot(tmp_path / "icon.png", icon).read_bytes() != ok_icon, 30,
             message="the tray icon to change to the fallback state")
    wait_for(lambda: any(w.y < 200 and w.x > window.width // 2 for w in screen.popups()), 30,
             message="the notification balloon by the tray")
    screen.screenshot(tmp_path / "notification.png")
    screen.hover(*icon.center)
    wait_for(lambda: screen.popups(), 30, message="the tray icon's tooltip")
    assert app.proc.poll() is None


def test_the_log_pane_follows_the_selected_running_service(screen, launch, tmp_path):
    ports = free_ports(2)
    registry = router_registry(tmp_path / "registry.yaml", ports)
    app = launch(registry, "--show")
    window = wait_for(screen.main_window, harness.START_S, message="the main window")
    screen.click(window.x + 60, window.y + 92)              # the first row: the router
    # router -> Start, without a new selection
    screen.start_from_tray(lambda: any(probe(p) is Availability.IN_USE for p in ports), app=app)
    log = app.home / "logs" / "router.log"
    wait_for(log.exists, 30, message=f"{log}")
    first = log.read_text(encoding="utf-8").splitlines()[0]

    seen = [""]

    def pane() -> str:
        screen.keys("Escape")
        screen.click(window.x + 500, window.y + window.height - 80)   # into the log pane
        screen.keys("ctrl+a", "ctrl+c")
        seen[0] = screen.clipboard()
        return seen[0]

    try:
        wait_for(lambda: first in pane(), 30, message="the log pane to show the router's log")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; copied from the pane: {seen[0][:300]!r}") from None
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("a line the pane must follow\n")
    wait_for(lambda: "a line the pane must follow" in pane(), 30, message="the new line in the log pane")
