"""Reading a small file Port Manager keeps (settings, allocations, links, the state record, a
linked project file) so that nothing put in its place can hang or flood us.

The file is opened without blocking (a FIFO nobody writes to would block a plain ``open``
forever: a command hangs, the app never starts) and checked to be a regular file of at most
``max_bytes`` before a byte is read. The callers turn the exceptions into their own typed
errors; the registry has its own reader with line numbers (``registry.load.read_text``).
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class NotAFile(OSError):
    """A folder, pipe, socket or device where a regular file was expected."""

    def __init__(self, path: Path):
        super().__init__(errno.EINVAL, "not a regular file (a folder, pipe or device)", str(path))


class TooLarge(OSError):
    def __init__(self, path: Path, size: int, max_bytes: int):
        super().__init__(errno.EFBIG, f"too large ({size} bytes; at most {max_bytes} expected)", str(path))
        self.size, self.max_bytes = size, max_bytes


def read_small(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``). Raises
    ``FileNotFoundError``, ``NotAFile``, ``TooLarge`` or another ``OSError``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise NotAFile(Path(path)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotAFile(Path(path))
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > max_bytes:
            raise TooLarge(Path(path), info.st_size, max_bytes)
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(Path(path), len(data), max_bytes)
    return data


__all__ = ["NotAFile", "TooLarge", "read_small"]
