"""Drive the real app on a display and save screenshots to docs/screenshots/ (see screenshots.sh).

The scene: the default registry in a private PORTMANAGER_HOME; a foreign web server on the
router's preferred port 3791 (so the router starts on its fallback 3003, amber), another
on Redis's 6379, the "large-models" group started (green). Then: the window, the router
selected, the Services editor with a bad entry typed, the Groups editor moved to a
conflicting start, and the tray menu opened.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QPoint, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portmanager_gui import app as gui_app  # noqa: E402
from portmanager_gui.core import paths as core_paths  # noqa: E402
from portmanager_gui.ui import dialogs  # noqa: E402
from portmanager_gui.ui.dialogs import AllTakenChoice  # noqa: E402
from portmanager_gui.ui.presenter import Asks, Desktop  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def wait(qapp: QApplication, cond, timeout_s: float = 60.0) -> None:
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(50)
    check.timeout.connect(lambda: loop.quit() if cond() else None)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    check.start()
    loop.exec()
    check.stop()
    if not cond():
        raise SystemExit("timed out waiting for the app")


def pause(qapp: QApplication, ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    foreign = [subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in (3791, 6379)]
    qapp = QApplication(sys.argv[:1])
    qapp.setQuitOnLastWindowClosed(False)
    asked: list = []
    asks = Asks(confirm=lambda *_: True, kill=lambda _parent, question: asked.append(question) or False, all_taken=lambda *_: AllTakenChoice.CANCEL,
                settings=lambda *_: None)
    parts = gui_app.build(qapp, gui_app.parse_args([]), core_paths.resolve().ensure(), asks=asks,
                          desktop=Desktop(lambda u: None, lambda u: None))
    try:
        parts.tray.show()
        parts.window.resize(1180, 800)
        parts.window.bring_to_front()
        gui_app.start(parts)
        wait(qapp, lambda: parts.presenter.snapshot is not None
             and parts.presenter.snapshot.info(3791).taken and parts.presenter.snapshot.info(6379).taken)
        started = []
        parts.controller.started.connect(lambda n, o: started.append(n))
        parts.presenter.start("router")
        parts.presenter.start("large-models")
        wait(qapp, lambda: len(started) == 2 and parts.tray.state.value == "fallback"
             and any(r.note.endswith("fallback port 3003") for r in parts.presenter.rows))
        pause(qapp, 2500)       # the "holder changed" highlight fades; a scan or two lands
        parts.window.select_unit("router", 3791)
        wait(qapp, lambda: parts.window.details.log.toPlainText() != "")
        parts.window.grab().save(str(OUT / "window.png"))

        parts.window.tabs.setCurrentWidget(parts.window.services)
        parts.window.services.select("router")
        parts.window.services.editor.add_entry("3000")
        pause(qapp, 300)
        parts.window.grab().save(str(OUT / "services-editor.png"))

        parts.window.tabs.setCurrentWidget(parts.window.groups)
        parts.window.groups.select("large-models")
        parts.window.groups.editor.start.setValue(8300)
        parts.window.groups.editor.add_member("model3")
        pause(qapp, 300)
        parts.window.grab().save(str(OUT / "group-editor.png"))
        parts.window.groups.editor.revert()
        parts.window.services.editor.revert()
        parts.window.tabs.setCurrentIndex(0)

        parts.window.hide()
        geo = parts.tray.icon.geometry()
        at = geo.bottomLeft() if geo.isValid() and not geo.isNull() else QPoint(10, 30)
        parts.tray.menu.popup(at)
        pause(qapp, 600)
        screen = qapp.primaryScreen()
        menu = parts.tray.menu.geometry()
        shot = screen.grabWindow(0)
        left = max(0, min(menu.left(), geo.left() if geo.isValid() else 0) - 10)
        shot.copy(left, 0, menu.right() - left + 20, menu.bottom() + 20).save(str(OUT / "tray-menu.png"))
        router_menu = next(a.menu() for a in parts.tray.menu.actions() if a.menu() and a.text().startswith("router"))
        router_action = next(a for a in parts.tray.menu.actions() if a.menu() is router_menu)
        parts.tray.menu.setActiveAction(router_action)
        router_menu.popup(parts.tray.menu.actionGeometry(router_action).topRight() + menu.topLeft())
        pause(qapp, 600)
        sub = router_menu.geometry()
        screen.grabWindow(0).copy(left, 0, sub.right() - left + 20, max(menu.bottom(), sub.bottom()) + 20) \
            .save(str(OUT / "tray-menu-router.png"))
        parts.tray.menu.hide()

        parts.controller.plan_kill(3791)          # what "Kill python (pid N) on :3791..." does
        wait(qapp, lambda: bool(asked))
        box, _kill = dialogs.kill_box(None, asked[0])
        box.show()
        pause(qapp, 400)
        box.grab().save(str(OUT / "kill-confirm.png"))
        box.close()
        print("\n".join(str(p) for p in sorted(OUT.glob("*.png"))))
        return 0
    finally:
        parts.controller.wait_idle(60000)
        parts.controller.supervisor().stop_all()
        gui_app.shutdown(parts)
        for proc in foreign:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
