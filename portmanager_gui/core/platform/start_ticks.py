"""A process's start time as the kernel counts it, exactly, where the OS gives it.

Linux: field 22 of ``/proc/<pid>/stat`` -- clock ticks since boot, an integer. psutil's
``create_time()`` adds it to a boot time that two processes may compute a second apart,
so comparing floats across processes needs a tolerance in which a reused pid hides; the
ticks need none. Elsewhere ``None``: psutil's create time comes straight from the kernel
there (macOS: microseconds, Windows: 100 ns) and is compared as it is.
"""
from __future__ import annotations

import sys


def start_ticks(pid: int, platform: str = sys.platform) -> int | None:
    """The start ticks of ``pid``; ``None`` when the OS does not say (or the process is gone)."""
    if not platform.startswith("linux"):
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself contain ") ".
    fields = data[data.rindex(b")") + 2:].split()
    try:
        return int(fields[19])   # field 22 overall; fields[0] is field 3
    except (IndexError, ValueError):
        return None
