"""Finding a service's command when the app was started by a double-click.

An app started from Finder (launchd) gets ``PATH=/usr/bin:/bin:/usr/sbin:/sbin``; one
started from a desktop menu gets the session's PATH without what a login shell's profile
adds. Commands installed by Homebrew (``/opt/homebrew/bin`` on Apple silicon,
``/usr/local/bin`` on Intel Macs), MacPorts, pipx/uv (``~/.local/bin``), cargo and the like
are then "not found" although they work in a terminal. So a command's first word is looked
up in PATH *and* in those usual folders, and a miss names every folder searched.

Order: the PATH we were given comes first -- it is the user's choice when we were started
from a terminal. When it holds nothing but the system folders (the Finder case), the usual
folders go before it instead, as a login shell would do (``brew shellenv`` and
``~/.profile`` prepend): otherwise macOS's ``/usr/bin/python3`` stub would shadow
Homebrew's python3.

Windows: Explorer passes the full user PATH, but packages installed after login are only in
the registry's PATH; WinGet's links, Scoop's shims, Chocolatey, cargo, pipx/uv and Ollama's
folder are added after PATH. ``shutil.which`` applies PATHEXT there.
"""
from __future__ import annotations

import ntpath
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from . import LINUX, MACOS, WINDOWS, current_os

# What launchd (macOS) or a bare session gives a GUI app: nothing a user installed.
_SYSTEM_DIRS = {
    MACOS: ("/usr/bin", "/bin", "/usr/sbin", "/sbin"),
    LINUX: ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
            "/usr/games", "/usr/local/games", "/snap/bin"),
}
# "~" is the user's home folder.
_USUAL_DIRS = {
    MACOS: ("/opt/homebrew/bin", "/opt/homebrew/sbin", "/usr/local/bin", "/usr/local/sbin",
            "/opt/local/bin", "~/.local/bin", "~/bin", "~/.cargo/bin",
            "/usr/bin", "/bin", "/usr/sbin", "/sbin"),
    LINUX: ("~/.local/bin", "~/bin", "~/.cargo/bin", "/home/linuxbrew/.linuxbrew/bin",
            "~/.linuxbrew/bin", "/usr/local/bin", "/usr/bin", "/bin", "/snap/bin",
            "/usr/local/sbin", "/usr/sbin", "/sbin"),
}


class CommandNotFound(FileNotFoundError):
    """A service's command is in none of the folders searched."""

    def __init__(self, command: str, searched: Sequence[str], service: str | None = None):
        self.command = command
        self.searched = tuple(searched)
        self.service = service
        who = f"Cannot start {service}: " if service else ""
        folders = ", ".join(self.searched) or "(no folders: PATH is empty)"
        super().__init__(
            f"{who}command '{command}' was not found. Searched: {folders}. Install it, or "
            "write its full path as the first item of the command in the registry.")


def _env_get(env: Mapping[str, str], name: str, os_name: str) -> str | None:
    if os_name != WINDOWS:
        return env.get(name)
    # Windows variable names are case-insensitive ("Path" is the usual spelling).
    wanted = name.upper()
    return next((v for k, v in env.items() if k.upper() == wanted), None)


def _path_entries(env: Mapping[str, str], os_name: str) -> list[str]:
    raw = _env_get(env, "PATH", os_name) or ""
    sep = ";" if os_name == WINDOWS else ":"
    # An empty entry means "the current folder" on POSIX: never search that for a service.
    entries = (e.strip().strip('"') if os_name == WINDOWS else e for e in raw.split(sep))
    return [e for e in entries if e]


def _usual_dirs(os_name: str, env: Mapping[str, str], home: str) -> list[str]:
    if os_name == WINDOWS:
        profile = _env_get(env, "USERPROFILE", os_name) or home
        local = _env_get(env, "LOCALAPPDATA", os_name) or ntpath.join(profile, "AppData", "Local")
        program_data = _env_get(env, "ProgramData", os_name) or "C:\\ProgramData"
        return [
            ntpath.join(local, "Microsoft", "WinGet", "Links"),
            ntpath.join(local, "Microsoft", "WindowsApps"),
            ntpath.join(profile, "scoop", "shims"),
            ntpath.join(program_data, "chocolatey", "bin"),
            ntpath.join(profile, ".cargo", "bin"),
            ntpath.join(profile, ".local", "bin"),
            ntpath.join(local, "Programs", "Ollama"),
        ]
    return [posixpath.join(home, d[2:]) if d.startswith("~/") else d for d in _USUAL_DIRS[os_name]]


def _key(entry: str, os_name: str) -> str:
    if os_name == WINDOWS:
        return ntpath.normcase(entry.rstrip("\\/")) or entry
    return entry.rstrip("/") or entry


def command_search_dirs(os_name: str, env: Mapping[str, str], home: str | Path) -> list[str]:
    """Every folder a command is looked for in, in order, each once."""
    path = _path_entries(env, os_name)
    usual = _usual_dirs(os_name, env, str(home))
    system = {_key(d, os_name) for d in _SYSTEM_DIRS.get(os_name, ())}
    finder_like = os_name != WINDOWS and all(_key(e, os_name) in system for e in path)
    ordered = usual + path if finder_like else path + usual
    seen: set[str] = set()
    result = []
    for entry in ordered:
        k = _key(entry, os_name)
        if k not in seen:
            seen.add(k)
            result.append(entry)
    return result


def search_path_value(os_name: str, env: Mapping[str, str], home: str | Path) -> str:
    """The folders as one PATH value -- for a child's environment, so its own lookups work too."""
    return (";" if os_name == WINDOWS else ":").join(command_search_dirs(os_name, env, home))


def _has_folder(command: str, os_name: str) -> bool:
    seps = ("/", "\\") if os_name == WINDOWS else ("/",)
    return any(s in command for s in seps)


def resolve_command(argv0: str, os_name: str | None = None, env: Mapping[str, str] | None = None,
                    home: str | Path | None = None, *, service: str | None = None,
                    which: Callable[..., str | None] = shutil.which) -> str:
    """The full path of a command's first word, looked up in ``command_search_dirs``.

    A word with a folder in it (``/opt/llama/llama-server``, ``./run.sh``) is returned as it
    is: the registry named the file, and a relative one is relative to the service's cwd.
    Raises CommandNotFound naming the folders searched.
    """
    os_name = os_name or current_os()
    if _has_folder(argv0, os_name):
        return argv0
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    dirs = command_search_dirs(os_name, env, home)
    if os_name == WINDOWS and _is_python(argv0):
        dirs = [d for d in dirs if not _is_store_alias_dir(d)]
    found = which(argv0, path=(";" if os_name == WINDOWS else ":").join(dirs))
    if not found:
        raise CommandNotFound(argv0, dirs, service)
    return found


def _is_python(command: str) -> bool:
    name = ntpath.basename(command).lower()
    return re.fullmatch(r"python(3(\.\d+)?)?(\.exe)?", name) is not None


def _is_store_alias_dir(folder: str) -> bool:
    return ntpath.normcase(folder.rstrip("\\/")).endswith(ntpath.normcase("\\Microsoft\\WindowsApps"))
