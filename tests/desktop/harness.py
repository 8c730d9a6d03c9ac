"""A real X display for the desktop tests: Xvfb, a tray host, the app, and a person's hands.

Each test session starts its own Xvfb on a display number the server picks itself
(``-displayfd``: never a fixed ``:99`` that another run may hold) and ``trayer`` as the
system tray host. The app runs as ``python main.py`` on Qt's ``xcb`` platform; the tests
drive it with ``xdotool`` (clicks and keys), look at it with ``xwininfo`` and ``import``
(screenshots), and close windows as a window manager does (a ``WM_DELETE_WINDOW`` message).
"""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil

from portmanager_gui.core.platform.display import (
    DisplayTrouble,
    display_problem,
    loader,
)
from portmanager_gui.core.resources import SOURCE_ROOT
from tests.helpers import wait_for

TOOLS = {"Xvfb": "xvfb", "trayer": "trayer", "xdotool": "xdotool", "xwininfo": "x11-utils", "import": "imagemagick"}
SCREEN = (1280, 800)
PANEL_HEIGHT = 32
START_S = 60.0          # a loaded machine: the app's first window can take a while
T = TypeVar("T")

_WINDOW = re.compile(r'^\s*(0x[0-9a-f]+) (?:"(.*)"|\(has no name\)): (?:\("([^"]*)" "([^"]*)"\)|\(\))\s+'
                     r'(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s+\+(-?\d+)\+(-?\d+)')


_KILL_QUESTION = re.compile(r"Kill the holder of port \d+\?|Port \d+ (is free|cannot be freed)")


def missing_tools() -> list[str]:
    """The Debian packages to install for the desktop tests ([] when all is there)."""
    missing = [pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None]
    problem = display_problem("linux", {"DISPLAY": ":0"}, loader())
    if problem is not None and problem.trouble is DisplayTrouble.MISSING_LIBRARIES:
        missing += list(problem.packages)
    return missing


@dataclass(frozen=True)
class Window:
    wid: int
    name: str
    instance: str       # WM_CLASS: the program ("main.py", "panel")
    klass: str          # WM_CLASS: its class ("Port Manager", "trayer")
    width: int
    height: int
    x: int          # absolute, on the screen
    y: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


class _XClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _XClientMessage), ("pad", ctypes.c_long * 24)]


class Screen:
    """One Xvfb + trayer; everything a test does on the display goes through here."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        read_fd, write_fd = os.pipe()
        with open(workdir / "xvfb.log", "wb") as log:
            self._xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten",
                 "tcp", "-noreset"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=log)
        os.close(write_fd)
        number = b""
        with os.fdopen(read_fd, "rb") as pipe:
            while not number.endswith(b"\n"):
                chunk = pipe.read(1)
                if not chunk:
                    raise RuntimeError(f"Xvfb did not start: {(workdir / 'xvfb.log').read_text(errors='replace')}")
                number += chunk
        self.display = f":{number.decode().strip()}"
        self.env = {**os.environ, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"}
        self.env.pop("WAYLAND_DISPLAY", None)
        self._trayer = subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "240",
             "--height", str(PANEL_HEIGHT), "--SetDockType", "true", "--transparent", "false", "--tint", "0x2b2b2b",
             "--iconspacing", "4"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: any(w.klass == "trayer" and w.instance == "panel" for w in self.windows()), 30,
                 message="the tray host")

    def close(self) -> None:
        for proc in (self._trayer, self._xvfb):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)

    # -- looking -------------------------------------------------------------------
    def run(self, *argv: str, check: bool = True) -> str:
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=60, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def windows(self) -> list[Window]:
        out = []
        for line in self.run("xwininfo", "-root", "-tree").splitlines():
            m = _WINDOW.match(line)
            if m:
                out.append(Window(int(m.group(1), 16), m.group(2) or "", m.group(3) or "", m.group(4) or "",
                                  int(m.group(5)),
                                  int(m.group(6)), int(m.group(9)), int(m.group(10))))
        return out

    def viewable(self, wid: int) -> bool:
        return "IsViewable" in self.run("xwininfo", "-id", str(wid), check=False)

    def app_windows(self) -> list[Window]:
        """The app's windows that can be seen now (its class is the script's name)."""
        return [w for w in self.windows() if w.instance == "main.py" and w.width > 3 and self.viewable(w.wid)]

    @staticmethod
    def _is_icon(w: Window) -> bool:
        return w.y < PANEL_HEIGHT and w.width <= 64 and w.height <= 64

    @staticmethod
    def _is_main(w: Window) -> bool:
        return w.name == "Port Manager" and w.width >= 600 and w.height >= 400

    def tray_icon(self) -> Window | None:
        return next((w for w in self.app_windows() if self._is_icon(w)), None)

    def main_window(self) -> Window | None:
        return next((w for w in self.app_windows() if self._is_main(w)), None)

    def popups(self) -> list[Window]:
        """Menus, tooltips, balloons, dialogs: the app's other windows on screen."""
        return [w for w in self.app_windows() if not self._is_icon(w) and not self._is_main(w)]

    def screenshot(self, path: Path, window: Window | None = None) -> Path:
        argv = ["import", "-window", "root"]
        if window is not None:
            argv += ["-crop", f"{window.width}x{window.height}+{window.x}+{window.y}", "+repage"]
        self.run(*argv, str(path))
        return path

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour at (x, y) on the screen."""
        text = self.run("import", "-window", "root", "-crop", f"1x1+{x}+{y}", "-depth", "8", "txt:-")
        m = re.search(r"\((\d+),(\d+),(\d+)", text.splitlines()[-1])
        assert m, text
        return int(m.group(1)), int(m.group(2)), int(m.group(3))

    # -- hands ---------------------------------------------------------------------
    def click(self, x: int, y: int, button: int = 1) -> None:
        # No --sync: it waits forever when the pointer is already there.
        self.run("xdotool", "mousemove", str(x), str(y), "click", str(button))

    def hover(self, x: int, y: int) -> None:
        self.run("xdotool", "mousemove", str(x), str(y))

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("xdotool", "key", "--delay", "60", key)

    def open_tray_menu(self) -> Window:
        """Right-click the tray icon; the menu that opens."""
        icon = wait_for(self.tray_icon, START_S, message="the tray icon")
        before = {w.wid for w in self.popups()}
        for _attempt in range(4):      # a click lost on a loaded machine: click again, as a person would
            icon = wait_for(self.tray_icon, START_S, message="the tray icon")   # where it is now
            self.click(*icon.center, button=3)
            try:
                return wait_for(lambda: next((w for w in self.popups() if w.wid not in before and w.height > 60),
                                             None), 8, message="the tray menu to open")
            except AssertionError:
                self.keys("Escape")
        raise AssertionError("the tray menu did not open after four right-clicks on the tray icon")

    def pick(self, *keys: str, attempts: int = 4) -> None:
        """Open the tray menu and walk it with the keyboard: each Up/Down is seen to move the
        highlight (the menu's picture changes), each Right to open a submenu, and the final
        Return to close the menu. A key lost on a loaded machine (sent before the menu held
        the keyboard) starts the walk again, as a person would look and try again."""
        for _attempt in range(attempts):
            try:
                menu = self.open_tray_menu()
                for key in keys:
                    menu = self.menu_key(menu, key)
                return
            except AssertionError:
                self.keys("Escape", "Escape", "Escape")
        raise AssertionError(f"the tray menu did not take the keys {' '.join(keys)} in {attempts} attempts")

    def start_from_tray(self, started: Callable[[], T], timeout: float = START_S, attempts: int = 4,
                        app: App | None = None) -> T:
        """Tray menu -> the first service -> its first entry (Start); ``started()``'s value once
        it is true. A menu opened before the app loaded its registry lists no service, and the
        same keys open "Other ports" and ask to kill someone: that question is cancelled and
        the walk tried again."""
        def stray() -> Window | None:     # "Kill the holder of port N?", "Port N is free", "... cannot be freed"
            return next((w for w in self.popups() if _KILL_QUESTION.match(w.name)), None)
        for _attempt in range(attempts):
            self.pick("Down", "Right", "Return")
            try:
                got = wait_for(lambda: started() or stray(), timeout, message="the start from the tray")
            except AssertionError as exc:
                shot = self.screenshot(self.workdir / "start-from-tray-timeout.png")
                raise AssertionError(f"{exc}; on screen: {[(w.name, w.width, w.height) for w in self.popups()]}, "
                                     f"{'main window' if self.main_window() else 'no main window'} ({shot})"
                                     f"{'; the app said: ' + app.log()[-2000:] if app else ''}") from None
            if not isinstance(got, Window):
                return got
            self.answer(got, "Escape")
        raise AssertionError(f"no start from the tray menu in {attempts} attempts")

    def answer(self, dialog: Window, key: str, attempts: int = 4) -> None:
        """Press ``key`` (a button's shortcut, Escape) in ``dialog`` until it closes: a key sent
        before the dialog holds the keyboard focus is lost, and is pressed again."""
        for _attempt in range(attempts):
            self.run("xdotool", "windowfocus", "--sync", str(dialog.wid), check=False)
            self.keys(key)
            try:
                wait_for(lambda: not self.viewable(dialog.wid), 8, interval=0.1, message=f"{dialog.name!r} to close")
                return
            except AssertionError:
                continue
        raise AssertionError(f"{dialog.name!r} did not close on {key} after {attempts} tries")

    def menu_key(self, menu: Window, key: str) -> Window:
        if key in ("Up", "Down"):
            before = self.screenshot(self.workdir / "menu-before.png", menu).read_bytes()
            self.keys(key)
            wait_for(lambda: self.screenshot(self.workdir / "menu-after.png", menu).read_bytes() != before, 8,
                     interval=0.1, message=f"the tray menu to move its highlight ({key})")
            return menu
        if key == "Right":
            known = {w.wid for w in self.popups()}
            self.keys(key)
            # a submenu of one entry is ~22 px tall: only slivers (< 16 px) are not it
            return wait_for(lambda: next((w for w in self.popups() if w.wid not in known and w.height >= 16), None),
                            8, message="the submenu to open")
        self.keys(key)
        if key == "Return":
            wait_for(lambda: not self.viewable(menu.wid), 8, message="the tray menu to close on Return")
        return menu

    @staticmethod
    def _x11():
        x11 = ctypes.CDLL("libX11.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XInternAtom.restype = ctypes.c_ulong
        x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                   ctypes.POINTER(_XEvent)]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XSetWindowBackground.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
        x11.XClearWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        return x11

    def _with_display(self, work) -> None:
        x11 = self._x11()
        dpy = x11.XOpenDisplay(self.display.encode())
        assert dpy, f"cannot open {self.display}"
        try:
            work(x11, dpy)
            x11.XFlush(dpy)
        finally:
            x11.XCloseDisplay(dpy)

    def close_window(self, window: Window) -> None:
        """What a window manager does when the title bar's X is clicked: WM_DELETE_WINDOW."""
        def send(x11, dpy) -> None:
            event = _XEvent()
            event.xclient.type = 33          # ClientMessage
            event.xclient.window = window.wid
            event.xclient.message_type = x11.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
            event.xclient.format = 32
            event.xclient.data[0] = x11.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
            event.xclient.data[1] = 0        # CurrentTime
            assert x11.XSendEvent(dpy, window.wid, 0, 0, ctypes.byref(event))
        self._with_display(send)

    def set_background(self, rgb: int) -> None:
        """The desktop's colour (Xvfb's root window is black), as a desktop session sets it."""
        def paint(x11, dpy) -> None:
            root = x11.XDefaultRootWindow(dpy)
            x11.XSetWindowBackground(dpy, root, rgb)     # a 24-bit TrueColor visual: the pixel is 0xRRGGBB
            x11.XClearWindow(dpy, root)
        self._with_display(paint)

    def clipboard(self) -> str:
        """The clipboard's text, read by a separate Qt client as a paste would."""
        code = ("import sys; from PySide6.QtGui import QGuiApplication; app = QGuiApplication(sys.argv[:1]); "
                "sys.stdout.write(app.clipboard().text())")
        return self.run(sys.executable, "-c", code)


class App:
    """``python main.py`` on the display, with its own PORTMANAGER_HOME."""

    def __init__(self, screen: Screen, home: Path, registry: Path, *args: str):
        self.screen, self.home, self.registry = screen, home, registry
        self.out = home / "app.out"
        home.mkdir(parents=True, exist_ok=True)
        self.proc = self.launch(*args)

    def launch(self, *args: str) -> subprocess.Popen:
        env = {**self.screen.env, "PORTMANAGER_HOME": str(self.home)}
        with open(self.out, "ab") as out:
            return subprocess.Popen([sys.executable, str(SOURCE_ROOT / "main.py"), "--registry", str(self.registry),
                                     *args], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def second_launch(self, *args: str) -> int:
        with self.launch(*args) as second:
            return second.wait(timeout=60)

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def exited(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"Port Manager did not exit within {timeout:.0f}s:\n{self.log()}") from None

    def log(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace") if self.out.exists() else ""

    def close(self) -> None:
        kids = self.children()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for kid in kids:
            try:
                kid.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(kids, timeout=10)


def gone(procs: Sequence[psutil.Process]) -> bool:
    def dead(p: psutil.Process) -> bool:
        try:
            return p.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True
    return all(dead(p) for p in procs)
