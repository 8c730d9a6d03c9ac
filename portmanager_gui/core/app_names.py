"""The names the operating systems know the app by, in one place.

The PyInstaller spec (executable and bundle names, bundle id, version), the autostart
entries (file names, the LaunchAgent label, the Run value name) and the Linux desktop file
all read these, so a rename or a version bump cannot leave one of them behind.
"""
from __future__ import annotations

from .. import __version__
from .paths import APP_NAME

DISPLAY_NAME = "Port Manager"        # what people read: menus, Finder, Task Manager
EXECUTABLE = APP_NAME                # PortManager.exe / PortManager.app / dist/PortManager/PortManager
# Reverse-DNS id of the macOS bundle; also the LaunchAgent label and plist file name.
BUNDLE_ID = "io.github.portmanager.PortManager"
VERSION = __version__
DESCRIPTION = "Ports of your local AI stack: who holds them, start, stop, kill"
