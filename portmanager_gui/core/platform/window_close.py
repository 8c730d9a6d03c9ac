"""Windows: ask a windowed program to close, as its title bar's X would, before ending it.

A program we did not start (a holder killed from the tray) has no console group of ours to
send Ctrl+Break to, and ``psutil.Process.terminate()`` is TerminateProcess: no chance to
save. Microsoft's guidance for ending another application ("How To Terminate an Application
Cleanly", KB178893): post WM_CLOSE to each of its top-level windows (EnumWindows +
GetWindowThreadProcessId), wait, and only then TerminateProcess what is left. WM_CLOSE is
*posted* (PostMessageW), never sent: SendMessage would block on a hung program.

Which windows: top-level, visible and unowned -- the application's main windows. An owned
window (a dialog, a tool window) closes with its owner, and hidden helper windows (COM,
IME, tray message windows) would answer WM_CLOSE by tearing down machinery the program
still needs while leaving it running.

``close_targets`` is the decision, a pure function of the window facts (tested anywhere);
``top_level_windows`` and ``post_close`` are the user32 calls, each with its prototype in
``win32.USER32_PROTOTYPES``.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import WINDOWS
from .win32 import DWORD, WNDENUMPROC, load_user32

WM_CLOSE = 0x0010
GW_OWNER = 4


@dataclass(frozen=True)
class TopWindow:
    """One top-level window as EnumWindows reports it."""

    hwnd: int
    pid: int            # GetWindowThreadProcessId
    visible: bool       # IsWindowVisible
    owned: bool         # GetWindow(hwnd, GW_OWNER) != NULL


def close_targets(os_name: str, pids: Iterable[int], windows: Iterable[TopWindow]) -> dict[int, tuple[int, ...]]:
    """pid -> the windows to post WM_CLOSE to; a pid with none is not in the result (it gets
    the usual terminate). Only on Windows: elsewhere SIGTERM is the polite request."""
    if os_name != WINDOWS:
        return {}
    wanted = set(pids)
    out: dict[int, list[int]] = {}
    for w in windows:
        if w.pid in wanted and w.visible and not w.owned:
            out.setdefault(w.pid, []).append(w.hwnd)
    return {pid: tuple(hwnds) for pid, hwnds in out.items()}


def top_level_windows(user32: Any = None) -> list[TopWindow]:
    """Every top-level window of the desktop (EnumWindows)."""
    user32 = user32 or load_user32()
    found: list[TopWindow] = []

    def each(hwnd, _lparam):
        pid = DWORD()
        user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
        found.append(TopWindow(int(hwnd or 0), pid.value, bool(user32.IsWindowVisible(hwnd)),
                               bool(user32.GetWindow(hwnd, GW_OWNER))))
        return 1                     # go on
    callback = WNDENUMPROC(each)     # kept referenced until EnumWindows returns
    user32.EnumWindows(callback, 0)
    return found


def post_close(hwnds: Iterable[int], user32: Any = None) -> int:
    """Post WM_CLOSE to each window; how many were posted."""
    user32 = user32 or load_user32()
    return sum(1 for hwnd in hwnds if user32.PostMessageW(hwnd, WM_CLOSE, 0, 0))


def request_close(pids: Iterable[int], os_name: str,
                  list_windows: Callable[[], Iterable[TopWindow]] = top_level_windows,
                  post: Callable[[Iterable[int]], int] = post_close) -> set[int]:
    """Post WM_CLOSE to the main windows of ``pids`` (Windows); the pids that were asked.
    A failure to look (no desktop: a service session) asks nobody: they get the terminate."""
    if os_name != WINDOWS:
        return set()
    try:
        targets = close_targets(os_name, pids, list_windows())
        return {pid for pid, hwnds in targets.items() if post(hwnds)}
    except (OSError, ctypes.ArgumentError):     # the windows cannot be looked at: the usual terminate
        return set()
