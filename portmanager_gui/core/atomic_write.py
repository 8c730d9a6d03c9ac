"""Writing a whole file atomically: a temp file beside it, fsync, one rename.

Every file Port Manager writes -- the registry, settings, the state record, model-slot
allocations, links, linked project files, the autostart entry -- goes through
``write_atomic``, so a crash or a full disk mid-write never leaves half a file, and a
reader sees the old text or the new one. ``backup=True`` keeps ``NAME.bak`` of the old text,
itself written atomically. A symlink is followed (the link stays, its target is replaced);
the file keeps its mode and owner, also under sudo (a new file in a user's folder is the
user's: ``platform.files.give_to_folder_owner``); a read-only file is refused; the temp
files of a writer that was killed are cleared on the next write.
"""
from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from .platform import current_os
from .platform.files import give_to_folder_owner, make_dirs, transient_replace_error


class ReadOnlyFile(PermissionError):
    """The file's mode says nobody may write it; Port Manager respects that, also as root."""

    def __init__(self, path: Path, mode: int):
        self.reason = (f"read-only (mode {mode:04o}); Port Manager does not overwrite it: "
                       f"make it writable (chmod u+w {path}) and try again")
        super().__init__(errno.EACCES, f"{path} is {self.reason}")

    def __str__(self) -> str:
        return str(self.strerror)


def _umask() -> int:
    """The process umask, read without changing it where the OS tells it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_writable(path: Path, info: os.stat_result) -> None:
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not info.st_mode & 0o222 or (not is_root and not os.access(path, os.W_OK)):
        raise ReadOnlyFile(path, stat.S_IMODE(info.st_mode))


def _clean_stale_temps(path: Path) -> None:
    """Remove ``.<name>.<pid>.*.tmp`` and ``.<name>.bak.<pid>.*.tmp`` files whose writer
    process no longer exists."""
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        rest = name[len(prefix):]
        pid = (rest[len("bak."):] if rest.startswith("bak.") else rest).split(".", 1)[0]
        import psutil  # only when a temp file is there: a plain write starts without it

        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            try:
                os.unlink(path.parent / name)
            except OSError:
                pass


class FolderNotWritable(PermissionError):
    """The file's folder takes no new file, and an atomic write needs one beside the file."""

    def __init__(self, folder: Path, why: OSError):
        super().__init__(why.errno, f"the folder {folder} does not let Port Manager create a file in it "
                         f"({why.strerror}); a save writes a new file beside the old one and renames it: "
                         f"make the folder writable (chmod u+w {folder}) and try again")

    def __str__(self) -> str:
        return str(self.strerror)


def _replace_with(dst: Path, data: bytes, like: os.stat_result | None) -> None:
    """Write ``data`` to ``dst`` through a temp file and a rename, with ``like``'s mode and owner."""
    import tempfile  # (with shutil, random...) only when something is written: reads start without it

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.{os.getpid()}.", suffix=".tmp", dir=dst.parent)
    except PermissionError as exc:
        raise FolderNotWritable(dst.parent, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            mode = stat.S_IMODE(like.st_mode) if like is not None else 0o666 & ~_umask()
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
                if like is None:   # a new file: root's in a user's folder only under sudo -- give it back
                    give_to_folder_owner(dst, fh.fileno())
                if like is not None and (like.st_uid, like.st_gid) != (os.fstat(fh.fileno()).st_uid,
                                                                      os.fstat(fh.fileno()).st_gid):
                    try:
                        os.fchown(fh.fileno(), like.st_uid, like.st_gid)
                    except PermissionError:
                        raise PermissionError(errno.EPERM, f"{dst} belongs to uid {like.st_uid}; saving it "
                                              "would make it yours: save it as that user") from None
            os.fsync(fh.fileno())
        replace_retrying(tmp, dst)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_atomic(path: Path, text: str, backup: bool = True) -> None:
    """Write ``text`` to ``path`` via a temp file and a rename; keep ``path.bak`` first.

    A symlink is followed (the link stays, its target is replaced), the file keeps its mode
    and owner (also under sudo), a read-only file is refused (``ReadOnlyFile``) and the
    backup is itself written atomically, never through a link.
    """
    path = Path(os.path.realpath(path))
    make_dirs(path.parent)
    _clean_stale_temps(path)
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None:
        _check_writable(path, info)
        if backup:
            _replace_with(path.with_name(path.name + ".bak"), path.read_bytes(), info)
    _replace_with(path, text.encode("utf-8"), info)


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


__all__ = ["FolderNotWritable", "ReadOnlyFile", "write_atomic", "replace_retrying"]
