"""Every OS-specific branch of Port Manager lives in this folder.

Each module takes the OS and its facts as parameters (``os_name``: "linux", "darwin",
"windows"), so the decision logic of all three can be unit-tested on any machine.
Only the small ``read_*``/``current_*`` functions touch the real OS.
"""
from __future__ import annotations

import sys

LINUX, MACOS, WINDOWS = "linux", "darwin", "windows"


def current_os(platform: str | None = None) -> str:
    p = platform or sys.platform
    if p.startswith("win"):
        return WINDOWS
    if p == "darwin":
        return MACOS
    return LINUX
