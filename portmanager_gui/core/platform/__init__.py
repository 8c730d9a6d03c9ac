"""Every OS-specific branch of Port Manager lives in this folder.

Each module takes the OS and its facts as parameters (``os_name``: "linux", "darwin",
"windows"), so the decision logic of all three can be unit-tested on any machine.
Only the small ``read_*``/``current_*`` functions touch the real OS.
"""
from __future__ import annotations

import re
import sys

LINUX, MACOS, WINDOWS = "linux", "darwin", "windows"


def current_os(platform: str | None = None) -> str:
    p = platform or sys.platform
    if p.startswith("win"):
        return WINDOWS
    if p == "darwin":
        return MACOS
    return LINUX


# Windows refuses these as file names, with any extension ("nul.log"), in any case; and it
# drops trailing dots and spaces ("router." and "router" are the same file). Names become
# file names (logs/<name>.log), and one registry serves every OS: refused everywhere.
_WINDOWS_DEVICE = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)


def unusable_file_name(name: str) -> str | None:
    """Why ``name`` cannot be a file name on Windows, or None when it can."""
    if _WINDOWS_DEVICE.fullmatch(name):
        return f"{name.split('.')[0]!r} is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)"
    if name.endswith((".", " ")):
        return "Windows drops a trailing dot from a file name"
    return None
