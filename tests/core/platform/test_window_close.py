"""WM_CLOSE before TerminateProcess for windowed programs on Windows: the decision, with the
window facts injected (any OS); the real window is in test_on_windows.py."""
from __future__ import annotations

import ctypes

from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS, win32, window_close
from portmanager_gui.core.platform.window_close import (
    TopWindow,
    close_targets,
    request_close,
)
from tests.core.platform.test_windows_stop import _FakeKernel32

WINDOWS_OF_THE_DESKTOP = [
    TopWindow(0x10, 500, visible=True, owned=False),     # 500's main window
    TopWindow(0x11, 500, visible=True, owned=True),      # its dialog: closes with its owner
    TopWindow(0x12, 500, visible=False, owned=False),    # a hidden helper window (COM, tray messages)
    TopWindow(0x20, 600, visible=False, owned=False),    # a console server: no visible window
    TopWindow(0x30, 700, visible=True, owned=False),     # someone else entirely
    TopWindow(0x31, 700, visible=True, owned=False),
]


def test_only_the_visible_unowned_windows_of_the_targets_are_asked():
    assert close_targets(WINDOWS, [500, 600], WINDOWS_OF_THE_DESKTOP) == {500: (0x10,)}
    assert close_targets(WINDOWS, [700], WINDOWS_OF_THE_DESKTOP) == {700: (0x30, 0x31)}
    assert close_targets(WINDOWS, [], WINDOWS_OF_THE_DESKTOP) == {}


def test_elsewhere_sigterm_is_the_request():
    for os_name in (LINUX, MACOS):
        assert close_targets(os_name, [500], WINDOWS_OF_THE_DESKTOP) == {}
        assert request_close([500], os_name, lambda: WINDOWS_OF_THE_DESKTOP, lambda h: 1 / 0) == set()


def test_request_posts_to_each_main_window_and_names_the_asked_pids():
    posted: list[tuple[int, ...]] = []
    asked = request_close([500, 600, 700], WINDOWS, lambda: WINDOWS_OF_THE_DESKTOP,
                          lambda hwnds: posted.append(tuple(hwnds)) or len(posted[-1]))
    assert asked == {500, 700} and sorted(posted) == [(0x10,), (0x30, 0x31)]
    # a post that failed for every window (the window just went): that pid is not "asked"
    assert request_close([500], WINDOWS, lambda: WINDOWS_OF_THE_DESKTOP, lambda hwnds: 0) == set()


def test_no_desktop_to_look_at_asks_nobody():
    def fails():
        raise OSError(5, "Access is denied")      # a service session without a desktop
    assert request_close([500], WINDOWS, fails) == set()


def test_every_user32_window_function_gets_its_prototype():
    user32 = win32.load_user32(_FakeKernel32())
    for name in ("EnumWindows", "GetWindowThreadProcessId", "IsWindowVisible", "GetWindow", "PostMessageW"):
        restype, argtypes = win32.USER32_PROTOTYPES[name]
        fn = getattr(user32, name)
        assert fn.restype is restype and fn.argtypes == list(argtypes), name
    # HWND and LPARAM are pointer-sized (a 64-bit handle is not cut), the pid out-parameter 32 bits
    _res, (hwnd, msg, wparam, lparam) = win32.USER32_PROTOTYPES["PostMessageW"]
    assert ctypes.sizeof(hwnd) == ctypes.sizeof(lparam) == ctypes.sizeof(wparam) == ctypes.sizeof(ctypes.c_void_p)
    assert ctypes.sizeof(win32.USER32_PROTOTYPES["GetWindowThreadProcessId"][1][1]._type_) == 4


class _FakeUser32:
    """user32 for EnumWindows & co.: a desktop of (hwnd, pid, visible, owner) windows."""

    def __init__(self, windows):
        self.windows = {w.hwnd: w for w in windows}
        self.posted: list[tuple[int, int]] = []

    def EnumWindows(self, callback, lparam):  # noqa: N802 - the Win32 names
        for hwnd in self.windows:
            if not callback(hwnd, lparam):
                break
        return 1

    def GetWindowThreadProcessId(self, hwnd, pid_ref):  # noqa: N802
        pid_ref._obj.value = self.windows[hwnd].pid       # the DWORD out-parameter, as Windows fills it
        return 1

    def IsWindowVisible(self, hwnd):  # noqa: N802
        return int(self.windows[hwnd].visible)

    def GetWindow(self, hwnd, cmd):  # noqa: N802
        assert cmd == window_close.GW_OWNER
        return 0x99 if self.windows[hwnd].owned else None

    def PostMessageW(self, hwnd, msg, wparam, lparam):  # noqa: N802
        self.posted.append((hwnd, msg))
        return int(hwnd in self.windows)


def test_the_user32_walk_reads_every_window_and_posts_wm_close():
    user32 = _FakeUser32(WINDOWS_OF_THE_DESKTOP)
    assert window_close.top_level_windows(user32) == WINDOWS_OF_THE_DESKTOP
    assert window_close.post_close([0x10, 0x55], user32) == 1          # 0x55: a window that just went
    assert user32.posted == [(0x10, window_close.WM_CLOSE), (0x55, window_close.WM_CLOSE)]
