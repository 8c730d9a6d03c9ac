"""What to tell people when start at login cannot work from where the app runs, or was
switched off in Windows' Task Manager (``core.platform.autostart.Blocker``)."""
from __future__ import annotations

from ..core.platform.autostart import Blocker

# what is wrong, what to do
_TEXT = {
    Blocker.DISK_IMAGE: (
        "Port Manager is running from its disk image, which is gone once ejected.",
        "Drag Port Manager to Applications and open it from there"),
    Blocker.TRANSLOCATED: (
        "macOS is running Port Manager from a temporary read-only copy (it was opened where it "
        "was downloaded), which is gone after a restart.",
        "Move Port Manager to Applications with Finder and open it from there"),
    Blocker.INSIDE_ZIP: (
        "Port Manager is running from inside a zip file, unpacked by Windows to a temporary "
        "folder that it deletes.",
        "Install it with the PortManager setup program (or extract the whole zip to a folder "
        "of its own) and start it from there"),
    Blocker.DISABLED_BY_USER: (
        "Start at login is switched off for Port Manager in Task Manager (Startup apps), so "
        "Windows does not start it; the Settings switch now shows it off.",
        "Turn it on in Settings or in Task Manager"),
}


def blocker_text(blocker: Blocker) -> str:
    """Start at login was not turned on (or is off): why, and what to do."""
    what, do = _TEXT[blocker]
    if blocker is Blocker.DISABLED_BY_USER:
        return f"{what} {do} to start at login again."
    return f"Start at login was not turned on. {what} {do}, then turn on Start at login."


def location_text(blocker: Blocker) -> str:
    """At start: the app runs from a place that will be gone."""
    what, do = _TEXT[blocker]
    return f"{what} {do}."
