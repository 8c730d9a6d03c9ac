"""How each OS's desktop wants a tray app to behave: decisions as pure functions of the OS name.

macOS puts the icon in the menu bar: a "template" (mask) image the system tints for light
and dark bars; a click there opens the icon's menu (Qt reports it as a Trigger too, and
raising the window as well would put it behind the open menu); and opening the app again
(Finder, Spotlight, the Dock) only activates the running copy -- LaunchServices starts no
second process -- so the app turning active with no window shown means "show the window".
Elsewhere a click on the tray icon opens the window. Windows lets only the foreground process
raise a window, so a second launch hands that right to the first instance.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import MACOS, WINDOWS


@dataclass(frozen=True)
class TrayBehaviour:
    """How the tray icon behaves on this desktop."""

    mask_icon: bool               # a template image the system tints (state as a shape, not a colour)
    click_opens_window: bool      # a click / double-click on the icon opens the window
    reopen_shows_window: bool     # the app turning active with no window shown is a reopen


def tray_behaviour(os_name: str) -> TrayBehaviour:
    mac = os_name == MACOS
    return TrayBehaviour(mask_icon=mac, click_opens_window=not mac, reopen_shows_window=mac)


def foreground_handoff(os_name: str) -> Callable[[int], None] | None:
    """Windows only lets the foreground process raise a window: a second launch hands that right
    to the first instance (pid, or any process for 0) before asking it to show its window."""
    if os_name != WINDOWS:
        return None
    from . import win32

    return lambda pid: win32.allow_set_foreground(pid if pid else win32.ASFW_ANY)
