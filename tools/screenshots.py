"""The README's screenshots, made by the real-display test harness (``make screenshots``).

The real app (``python main.py`` on Qt's ``xcb``) runs on a private Xvfb with ``trayer`` as
the tray host -- ``tests/desktop/harness.py``, the same screen, app and hands the desktop
tests use -- in a private PORTMANAGER_HOME with the default registry, so nothing of the
user's own registry or services is touched. It is driven as a person would: a foreign web
server holds the router's preferred port 3791 (and Redis's 6379); the router is started from
the tray menu (it lands on its fallback 3003: amber row, "!" icon, notification), the
"large-models" group from the command line; then the window with the router selected, the
Services and Groups editors, the All ports tab, the tray menu and the router's submenu,
and the kill confirmation are captured with ImageMagick's ``import``.

    make screenshots            # or: .venv/bin/python tools/screenshots.py [OUT_DIR]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portmanager_gui.core.ports.probe import Availability, probe  # noqa: E402
from portmanager_gui.core.registry.save import ensure_default  # noqa: E402
from tests.desktop import harness  # noqa: E402
from tests.helpers import wait_for  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
HELD = (3791, 6379)           # the router's preferred port and Redis's, held by "someone else"
ROUTER_FALLBACK = 3003
WINDOW = (1240, 760)


class Shots:
    """The scene on one private display, and the pictures taken of it."""

    def __init__(self, screen: harness.Screen, out: Path, work: Path):
        self.screen, self.out, self.work = screen, out, work
        self.home = work / "home"
        self.registry = self.home / "registry.yaml"
        self.home.mkdir(parents=True, exist_ok=True)
        ensure_default(self.registry)
        self.env = {**screen.env, "PORTMANAGER_HOME": str(self.home)}
        self.foreign: list[subprocess.Popen] = []
        self.app: harness.App | None = None
        self.last = b""             # the previous picture: the next one must differ from it

    # -- the scene -------------------------------------------------------------------
    def hold_ports(self) -> None:
        for port in HELD:
            if probe(port) is not Availability.FREE:
                raise SystemExit(f"port {port} is already in use on this machine; free it to retake the screenshots")
            self.foreign.append(subprocess.Popen(
                [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=self.work,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in HELD:
            wait_for(lambda p=port: probe(p) is Availability.IN_USE, 30, message=f"the stand-in holder of {port}")

    def cli(self, *argv: str) -> None:
        subprocess.run([sys.executable, "-m", "portmanager_gui", "--registry", str(self.registry), *argv],
                       env=self.env, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=120)

    def launch(self) -> harness.Window:
        self.app = harness.App(self.screen, self.home, self.registry, "--show")
        return wait_for(self.screen.main_window, harness.START_S, message="the main window")

    def start_router_from_tray(self) -> None:
        self.screen.start_from_tray(lambda: probe(ROUTER_FALLBACK) is Availability.IN_USE)   # on its fallback

    def resize(self, window: harness.Window) -> harness.Window:
        """The window at the size the README shows (there is no window manager to do it)."""
        self.screen.run("xdotool", "windowsize", str(window.wid), str(WINDOW[0]), str(WINDOW[1]))
        return wait_for(lambda: next((w for w in [self.screen.main_window()] if w and (w.width, w.height) == WINDOW),
                                     None), 30, message="the window to take its new size")

    # -- pictures --------------------------------------------------------------------
    def shot(self, name: str, window: harness.Window | None = None, box: tuple[int, int, int, int] | None = None) -> Path:
        path = self.out / name
        if box is not None:
            window = harness.Window(0, "", "", "", box[2], box[3], box[0], box[1])
        self.screen.screenshot(path, window)
        return path

    def settled(self, window: harness.Window, name: str) -> Path:
        """The window once it shows something new (the click or key took effect) and two
        pictures in a row are the same (the scan landed, highlights faded)."""
        previous = [b""]
        before = self.last

        def same() -> bool:
            now = self.shot(name, window).read_bytes()
            done, previous[0] = now == previous[0] and now != before, now
            return done
        wait_for(same, 60, interval=1.0, message=f"the window to change and settle for {name}")
        self.last = previous[0]
        return self.out / name

    def tray_menu_box(self, *menus: harness.Window) -> tuple[int, int, int, int]:
        icon = self.screen.tray_icon()
        left = min(m.x for m in menus) - 12
        right = max(max(m.x + m.width for m in menus), icon.x + icon.width if icon else 0) + 12
        bottom = max(m.y + m.height for m in menus) + 12
        return max(0, left), 0, min(harness.SCREEN[0], right) - max(0, left), bottom

    def close(self) -> None:
        try:
            if self.app is not None and self.app.proc.poll() is None:
                self.app.signal(15)                          # quit: stops the router it started
                self.app.exited(timeout=60)
            self.cli("stop", "large-models")
        finally:
            if self.app is not None:
                self.app.close()
            for proc in self.foreign:
                proc.terminate()
                proc.wait(timeout=10)


def take(shots: Shots) -> list[Path]:
    screen = shots.screen
    screen.set_background(0x5B6770)
    shots.hold_ports()
    window = shots.launch()
    shots.start_router_from_tray()
    shots.cli("start", "large-models")
    balloon = wait_for(lambda: next((w for w in screen.popups() if w.y < 200), None), 30,
                       message="the fallback notification")
    made = [shots.shot("notification.png", box=shots.tray_menu_box(balloon))]
    screen.click(*balloon.center)                            # read: the balloon goes
    wait_for(lambda: not screen.popups(), 30, message="the notification to close")
    window = shots.resize(window)
    screen.click(window.x + 60, window.y + 92)               # the first row: the router
    screen.hover(window.x + window.width // 2, window.y + window.height - 5)   # no hover highlight
    made.append(shots.settled(window, "window.png"))
    at = lambda x, y: screen.click(window.x + x, window.y + y)   # noqa: E731  (window coordinates)
    at(98, 49)                                               # Services: router, a port of frontend's added
    at(1173, 130)
    screen.keys("3", "0", "0", "0", "Return")
    made.append(shots.settled(window, "services-editor.png"))
    at(1087, 700)                                            # Revert
    at(169, 49)                                              # Groups: large-models moved onto small-models
    at(64, 101)
    at(400, 117)
    screen.keys("ctrl+a", "8", "3", "0", "0", "Return")
    made.append(shots.settled(window, "group-editor.png"))
    at(1087, 700)
    at(240, 49)                                              # All ports
    made.append(shots.settled(window, "all-ports.png"))
    at(33, 49)
    screen.close_window(window)                              # into the tray
    wait_for(lambda: screen.main_window() is None, 30, message="the window to hide")

    menu = screen.open_tray_menu()
    screen.hover(menu.x + menu.width // 2, menu.y + menu.height + 40)   # no hover highlight in the picture
    made.append(shots.shot("tray-menu.png", box=shots.tray_menu_box(menu)))
    sub = screen.menu_key(screen.menu_key(menu, "Down"), "Right")    # the router's submenu
    made.append(shots.shot("tray-menu-router.png", box=shots.tray_menu_box(menu, sub)))
    screen.keys("Escape", "Escape")
    wait_for(lambda: not screen.viewable(menu.wid), 30, message="the tray menu to close")

    # The 17 services and 3 model groups of the default registry, then "Kill python (pid N) on :3791..."
    screen.pick(*["Down"] * 21, "Return")
    dialog = wait_for(lambda: next((w for w in screen.popups() if w.name == "Kill the holder of port 3791?"), None),
                      30, message="the kill confirmation")
    made.append(shots.settled(dialog, "kill-confirm.png"))
    screen.answer(dialog, "Escape")                          # Cancel: nothing is killed
    return made


def main(argv: list[str]) -> int:
    out = Path(argv[0]).resolve() if argv else OUT
    missing = harness.missing_tools()
    if missing:
        print(f"screenshots need a private X display: apt-get install {' '.join(missing)}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pm-shots-") as tmp:
        work = Path(tmp)
        screen = harness.Screen(work)
        shots = Shots(screen, out, work)
        try:
            made = take(shots)
        finally:
            shots.close()
            screen.close()
    print("\n".join(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p) for p in made))
    return 0


if __name__ == "__main__":
    os.environ.pop("QT_QPA_PLATFORM", None)
    sys.exit(main(sys.argv[1:]))
