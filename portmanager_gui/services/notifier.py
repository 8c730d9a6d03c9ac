"""Notifications that do not go through the tray icon: macOS's ``display notification``.

``core.platform.notify`` says why (Qt's macOS path is the deprecated NSUserNotification).
The osascript process is started detached with ``QProcess.startDetached`` -- no shell, and
the GUI thread does not wait for it.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QProcess

from ..core.platform.notify import osascript_argv


class ScriptNotifier:
    """``show(title, text, critical)`` -> Notification Center, via osascript."""

    def __init__(self, start: Callable[[str, list[str]], bool] | None = None, osascript: str | None = None):
        self._start = start or (lambda program, args: QProcess.startDetached(program, args)[0])
        self._argv = (lambda t, x: osascript_argv(t, x, osascript)) if osascript else osascript_argv

    def show(self, title: str, text: str, critical: bool = False) -> bool:
        """True when osascript was started (``critical`` has no separate look there)."""
        argv = self._argv(title, text)
        return bool(self._start(argv[0], argv[1:]))
