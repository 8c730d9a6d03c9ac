"""How a notification reaches the user on each OS (a pure decision, tested anywhere).

Windows and Linux: ``QSystemTrayIcon.showMessage`` (a balloon / toast from the tray icon,
or the freedesktop notification service).

macOS: Qt's ``showMessage`` posts an ``NSUserNotification`` to the
``NSUserNotificationCenter`` (qcocoasystemtrayicon.mm, Qt 6 included), both deprecated
since macOS 11 in favour of the UserNotifications framework. We do not use it. The
replacement, ``UNUserNotificationCenter``, needs an app bundle with a bundle identifier
whose code signature the system trusts: ``python main.py`` has no bundle at all, and an
unsigned bundle's ``requestAuthorization`` fails with "Notifications are not allowed for
this application" -- the ad-hoc signed download is exactly that case. So macOS
notifications go through AppleScript's ``display notification`` (Standard Additions, a
current, documented command) run by ``/usr/bin/osascript``: it works for a script, an
unsigned and a signed bundle alike. The text travels as ``argv`` to an ``on run argv``
handler -- never spliced into the script, so quotes and backslashes in a holder's command
line cannot change it -- and osascript is started without a shell. The notification is
shown under Script Editor's name; clicking it does not come back to Port Manager (the
window is one click away in the menu bar).
"""
from __future__ import annotations

from enum import Enum

from . import MACOS

OSASCRIPT = "/usr/bin/osascript"
# title, text[, subtitle]: the strings are the handler's arguments, not part of the script
_SCRIPT = ("on run argv",
           "display notification (item 2 of argv) with title (item 1 of argv)",
           "end run")
MAX_TEXT = 400      # Notification Center shows a few lines; keep the argument list small


class NotifyRoute(str, Enum):
    TRAY = "tray"               # QSystemTrayIcon.showMessage
    OSASCRIPT = "osascript"     # macOS: display notification, through /usr/bin/osascript


def notify_route(os_name: str, has_osascript: bool) -> NotifyRoute:
    """The way to notify on ``os_name`` (``has_osascript``: /usr/bin/osascript exists)."""
    if os_name == MACOS and has_osascript:
        return NotifyRoute.OSASCRIPT
    return NotifyRoute.TRAY


def osascript_argv(title: str, text: str, osascript: str = OSASCRIPT) -> list[str]:
    """The command line that shows ``title`` / ``text`` in Notification Center."""
    argv = [osascript]
    for line in _SCRIPT:
        argv += ["-e", line]
    return argv + [title, text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."]
