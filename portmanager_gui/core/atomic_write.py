"""Writing a whole file atomically: a temp file beside it, fsync, one rename.

Every file Port Manager writes -- the registry, settings, the state record, model-slot
allocations, links, linked project files, the autostart entry -- goes through
``write_atomic``, so a crash or a full disk mid-write never leaves half a file, and a
reader sees the old text or the new one. ``backup=True`` keeps ``NAME.bak`` of the old text.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .platform import current_os
from .platform.files import transient_replace_error


def write_atomic(path: Path, text: str, backup: bool = True) -> None:
    """Write ``text`` to ``path`` via a temp file and a rename; keep ``path.bak`` first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if backup and path.exists():
            bak = path.with_name(path.name + ".bak")
            bak.write_bytes(path.read_bytes())
        replace_retrying(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def replace_retrying(src: str, dst: Path, attempts: int = 20, pause: float = 0.05, *,
                     replace: Callable[[str, Path], None] = os.replace, os_name: str | None = None,
                     wait: Callable[[float], None] = time.sleep) -> None:
    """``os.replace`` that retries while the OS reports a passing sharing violation
    (``platform.files.transient_replace_error``: Windows only); any other error is raised."""
    os_name = os_name or current_os()
    for attempt in range(attempts):
        try:
            replace(src, dst)
            return
        except PermissionError as exc:
            if not transient_replace_error(exc, os_name) or attempt == attempts - 1:
                raise
            wait(pause * (attempt + 1))


__all__ = ["write_atomic", "replace_retrying"]
