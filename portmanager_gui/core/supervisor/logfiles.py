"""Per-service log files: where they are, how they rotate, reading their tail.

A service's stdout/stderr go through a pipe to the log relay (``log_relay``), a tiny
process of ours that writes the file and rotates it before it passes ``MAX_BYTES``, keeping
``BACKUPS`` old ones, ``RotatingFileHandler``'s naming (``x.log``, ``x.log.1`` ...
``x.log.N``). The relay outlives whoever started the service (``portmanager start`` exits
at once) and ends when the service's output ends.

Where no relay can be started the child writes to the file itself (O_APPEND); then the
file is rotated on the next start, and while a supervisor watches (``up``, the desktop
app) by "copy then truncate" (``copytruncate_if_large``), as logrotate does.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..platform.files import give_to_folder_owner, make_dirs

if TYPE_CHECKING:   # the log relay imports this module: keep its start-up light
    from ..paths import Paths

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 3
TAIL_LIMIT = 1024 * 1024   # the most a tail reads (a log of one endless line)


def log_path(paths: Paths, unit: str) -> Path:
    """``<log dir>/<unit>.log`` with ``/`` made ``@`` ("large-models/model1" -> "large-models@model1.log").

    ``@`` cannot appear in a registry name, so no service shares a model server's log.
    """
    return paths.log_dir / (unit.replace("/", "@").replace("\\", "@") + ".log")


def _shift(path: Path, backups: int) -> None:
    for i in range(backups - 1, 0, -1):
        src = path.with_name(f"{path.name}.{i}")
        if src.exists():
            os.replace(src, path.with_name(f"{path.name}.{i + 1}"))


def rotate(path: Path, backups: int = BACKUPS) -> None:
    """Move ``path`` to ``path.1``, shifting older ones up to ``path.<backups>`` (names only: a
    link is moved, never written through); with no backups it is removed."""
    if backups < 1:
        path.unlink(missing_ok=True)
        return
    _shift(path, backups)
    os.replace(path, path.with_name(f"{path.name}.1"))


def rotate_if_large(path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> bool:
    """Before a start: move ``path`` to ``path.1`` (shifting older ones) when it is too big."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    rotate(path, backups)
    return True


def copytruncate_if_large(path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> bool:
    """While the child writes: copy ``path`` to ``path.1`` and truncate it in place.

    A symlink at ``path`` is never followed: whatever it points at is not ours to truncate.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size <= max_bytes:
        return False
    if backups >= 1:
        _shift(path, backups)
        shutil.copyfile(path, path.with_name(f"{path.name}.1"))
    with open(path, "r+b") as fh:
        fh.truncate(0)
    return True


def open_for_child(path: Path, header: str) -> BinaryIO:
    """Open the log for appending (O_APPEND), after writing a header line that marks this start.

    Never through a symlink (O_NOFOLLOW): a link planted at the log path is removed -- the
    file it points at is left alone -- and a fresh log is created in its place.
    """
    fh = open(open_log_fd(path), "ab", buffering=0)
    fh.write(header.encode("utf-8", "replace") + b"\n")
    return fh


def open_log_fd(path: Path) -> int:
    """A descriptor appending to ``path`` (created 0644), never through a symlink (O_NOFOLLOW):
    a link planted there is removed first -- the file it points at is left alone. Anything else
    that is not a regular file (a FIFO would block the open until someone reads it) is removed
    and a fresh log made in its place."""
    make_dirs(path.parent)
    flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
             | getattr(os, "O_NONBLOCK", 0))   # no effect on a regular file
    for _ in range(2):
        if path.is_symlink():
            path.unlink()
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno != errno.ENXIO:   # ENXIO: a FIFO nobody reads
                raise
            path.unlink()
            continue
        if stat.S_ISREG(os.fstat(fd).st_mode):
            give_to_folder_owner(path, fd)
            return fd
        os.close(fd)
        path.unlink()
    raise OSError(errno.EEXIST, f"{path} keeps being replaced by something that is not a file")


def _open_regular(path: Path) -> int | None:
    """A read descriptor on ``path`` if it is a regular file (opened without blocking), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def tail(path: Path, lines: int = 50, chunk: int = 64 * 1024) -> list[str]:
    """The last ``lines`` lines of ``path`` (reading only the end of a big file)."""
    fd = _open_regular(path)
    if fd is None:
        return []
    try:
        with open(fd, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            end = fh.tell()
            data = b""
            pos = end
            while pos > 0 and data.count(b"\n") <= lines and end - pos < TAIL_LIMIT:   # one huge line: its end
                step = min(chunk, pos)
                pos -= step
                fh.seek(pos)
                data = fh.read(step) + data
    except OSError:
        return []
    text = data.decode("utf-8", "replace").splitlines()
    return list(deque(text, maxlen=lines)) if lines > 0 else []


def read_from(path: Path, offset: int, limit: int = 256 * 1024) -> str:
    """Text written after ``offset`` (at most ``limit`` bytes, the last ones)."""
    fd = _open_regular(path)
    if fd is None:
        return ""
    try:
        with open(fd, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            end = fh.tell()
            start = max(offset, end - limit) if end >= offset else max(0, end - limit)
            fh.seek(start)
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
