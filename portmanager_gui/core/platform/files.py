"""File-system differences between the OSes.

Windows: an editor, antivirus or indexer that has a file open makes a rename over it fail
with PermissionError -- winerror 5 (access denied), 32 (sharing violation) or 33 (lock
violation) -- for a moment; retrying succeeds. Elsewhere a PermissionError is real.

POSIX, as root: a file or folder Port Manager creates in a folder of another user is given to
that user (``owner_for_new``, ``give_to_folder_owner``, ``make_dirs``). ``sudo portmanager``
runs in the user's folders when HOME or PORTMANAGER_HOME is kept (macOS keeps HOME, ``sudo -E``);
root-owned state, lock and log files left there would make the user's own next command fail.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import WINDOWS

WINDOWS_TRANSIENT_REPLACE = (5, 32, 33)


def transient_replace_error(exc: OSError, os_name: str) -> bool:
    """Whether a failed rename is worth retrying on ``os_name`` (see the module docstring)."""
    return (os_name == WINDOWS and isinstance(exc, PermissionError)
            and getattr(exc, "winerror", None) in WINDOWS_TRANSIENT_REPLACE)


def new_file_owner(euid: int | None, folder_uid: int, folder_gid: int) -> tuple[int, int] | None:
    """The (uid, gid) a new file in a folder owned by ``folder_uid`` should get: the folder's
    owner when root (euid 0) creates it in another user's folder; None: leave it as created."""
    if euid != 0 or folder_uid == 0:
        return None
    return folder_uid, folder_gid


def owner_for_new(folder: Path) -> tuple[int, int] | None:
    """``new_file_owner`` for ``folder`` on this machine (None on Windows)."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid != 0:
        return None
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return new_file_owner(euid, info.st_uid, info.st_gid)


def give_to_folder_owner(path: Path, fd: int | None = None) -> None:
    """Give ``path`` (just created; its open descriptor ``fd`` when there is one) to the owner
    of its folder when ``owner_for_new`` says so. Best effort: a failure leaves it as it is."""
    owner = owner_for_new(Path(path).parent)
    if owner is None:
        return
    try:
        if fd is not None:
            os.fchown(fd, *owner)
        else:
            os.lchown(path, *owner)
    except OSError:
        pass


def make_dirs(path: Path) -> None:
    """``mkdir -p``; each folder made is given to the owner of the folder it is made in."""
    path = Path(path)
    missing = []
    here = path
    while not here.exists() and here.parent != here:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        give_to_folder_owner(folder)
    path.mkdir(parents=True, exist_ok=True)   # the usual error when it is a file, say
