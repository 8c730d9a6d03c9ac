"""An exclusive lock on a small lock file, so two commands never interleave a state update.

``portmanager start a`` and ``portmanager start b`` (or the desktop app and a script) may
read-modify-write the state record at the same moment; the lock serialises them.

- POSIX: ``fcntl.flock(fd, LOCK_EX | LOCK_NB)`` retried until a deadline -- an advisory
  whole-file lock released when the descriptor closes, also when the holder crashes (flock(2)).
  A blocking flock would wait forever behind a hung holder; we give up with ``LockTimeout``.
- Windows: ``msvcrt.locking(fd, LK_LOCK, 1)`` on the first byte -- a mandatory byte-range
  lock; LK_LOCK retries for about 10 s then raises, so we retry it until our own deadline.
  The lock goes away with the handle when the process ends.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import WINDOWS, current_os


class LockTimeout(TimeoutError):
    """Another Port Manager process kept the lock for longer than we waited."""


class LockUnavailable(LockTimeout):
    """The lock file cannot even be opened (it or its folder belongs to another user)."""


def _open_lock_file(path: Path) -> int:
    """Open (create) the lock file ``path``; a file created as root in a user's folder is the
    user's (``files.give_to_folder_owner``), so a ``sudo`` run never locks the user out."""
    from .files import give_to_folder_owner, make_dirs

    try:
        make_dirs(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except PermissionError as exc:
        owner = "another user"
        for place in (path, path.parent):
            try:
                owner = f"uid {os.stat(place).st_uid}"
                break
            except OSError:
                continue
        raise LockUnavailable(f"cannot open the lock file {path} ({exc.strerror}): it or its folder belongs to "
                              f"{owner}; was Port Manager run with sudo? Give its folder back to yourself "
                              f"(sudo chown -R $USER {path.parent}) and try again") from None
    give_to_folder_owner(path, fd)
    return fd


@contextmanager
def locked(path: Path, timeout: float = 30.0, os_name: str | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block."""
    os_name = os_name or current_os()
    path = Path(path)
    fd = _open_lock_file(path)
    try:
        if os_name == WINDOWS:
            _lock_windows(fd, timeout, path)
        else:
            _flock(fd, timeout, f"{path} is locked by another Port Manager process")
        yield
    finally:
        if os_name == WINDOWS:
            _unlock_windows(fd)
        os.close(fd)  # on POSIX closing the descriptor releases the flock


@contextmanager
def locked_folder(folder: Path, timeout: float = 30.0, os_name: str | None = None) -> Iterator[None]:
    """Hold an exclusive lock for the files of ``folder`` (a registry and its backup).

    POSIX: ``flock`` on the folder itself, so no lock file appears beside a user's registry
    (think of a dotfiles repository). Windows cannot lock a folder: a hidden lock file there.
    Waits at most ``timeout`` seconds, then raises ``LockTimeout``.
    """
    os_name = os_name or current_os()
    folder = Path(folder)
    if os_name == WINDOWS:  # pragma: no cover - Windows only
        with locked(folder / ".portmanager.lock", timeout, os_name):
            yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        _flock(fd, timeout, f"{folder} is locked by another Port Manager process")
        yield
    finally:
        os.close(fd)


def _flock(fd: int, timeout: float, what: str) -> None:
    """POSIX: take an exclusive flock on ``fd``, waiting at most ``timeout`` seconds."""
    import fcntl

    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise LockTimeout(f"{what} for more than {timeout:g} s; wait for it to finish "
                                  "and try again") from None
            time.sleep(pause)          # no event to wait on: flock has no timed form
            pause = min(pause * 2, 0.05)


def try_lock(path: Path, os_name: str | None = None) -> int | None:
    """Lock ``path`` (created if missing) if nobody holds it right now: the open descriptor,
    which holds the lock until ``unlock``; None when another holder has it."""
    os_name = os_name or current_os()
    path = Path(path)
    fd = _open_lock_file(path)
    try:
        if os_name == WINDOWS:  # pragma: no cover - Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def unlock(fd: int, os_name: str | None = None) -> None:
    if (os_name or current_os()) == WINDOWS:  # pragma: no cover - Windows only
        _unlock_windows(fd)
    os.close(fd)


def _lock_windows(fd: int, timeout: float, path: Path) -> None:  # pragma: no cover - Windows only
    import msvcrt

    deadline = time.monotonic() + timeout
    while True:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise LockTimeout(f"{path} is locked by another Port Manager process; "
                                  "wait for it to finish and try again") from None


def _unlock_windows(fd: int) -> None:  # pragma: no cover - Windows only
    import msvcrt

    try:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    except OSError:
        pass
