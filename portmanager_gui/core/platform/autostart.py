"""Start at login, per OS: what to write where (pure), and writing or removing it.

- Linux: an XDG autostart entry, ``$XDG_CONFIG_HOME/autostart/PortManager.desktop``
  (``~/.config`` when XDG_CONFIG_HOME is unset or not absolute -- XDG Base Directory
  spec; Desktop Application Autostart spec). ``Exec`` is quoted per the Desktop Entry spec.
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/<bundle id>.plist`` with ``RunAtLoad``
  (launchd.plist(5)). launchd reads the folder at login; we do not ``launchctl load`` it
  now, which would start a second copy of the running app.
- Windows: the ``PortManager`` value under ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run``: a command line, program path quoted (Run and RunOnce Registry Keys).
  Task Manager's (and Settings > Apps > Startup's) switch does not touch that value: it
  writes a 12-byte REG_BINARY of the same name under ``...\\Explorer\\StartupApproved\\Run``,
  first byte 02 (or 06) on, 03 (odd) off, absent meaning on. ``disabled_by_user`` reads it,
  so the app's switch does not say "on" while Windows skips the entry; turning it on in
  the app is the user's word and removes that "off".

Where the app runs from can make an entry useless: a macOS app started inside its disk
image (``/Volumes/...``) or from a translocated copy (Gatekeeper runs a quarantined app
from a random read-only path under ``/private/var/folders/.../AppTranslocation/``), or
a Windows app run from inside a zip (Explorer extracts it to ``%TEMP%\\Temp1_*.zip``) --
each path is gone after the eject, the reboot or the cleanup. ``location_problem`` tells;
``enable`` then refuses with ``AutostartBlocked`` and the UI asks to move the app.

``autostart_entry`` and ``launch_argv`` are pure, so every OS's exact content is tested
anywhere; ``enable``/``disable``/``is_enabled`` touch the real file or registry, and
``set_enabled`` is what the settings toggle calls.
"""
from __future__ import annotations

import ntpath
import os
import posixpath
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType

from ..app_names import BUNDLE_ID, DISPLAY_NAME, EXECUTABLE
from ..resources import SOURCE_ROOT, ResourceMissing, is_frozen, resource_path
from . import LINUX, MACOS, WINDOWS, current_os

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
LINUX_FILE = f"{EXECUTABLE}.desktop"
ICON = ("icons", "portmanager-256.png")


class AutostartError(OSError):
    """The autostart entry could not be written or removed."""


class Blocker(str, Enum):
    """Why an entry written now would not start the app at the next login."""

    DISK_IMAGE = "disk-image"               # macOS: run from the mounted .dmg
    TRANSLOCATED = "translocated"           # macOS: Gatekeeper's temporary copy
    INSIDE_ZIP = "inside-zip"               # Windows: Explorer's temporary extraction of a zip
    DISABLED_BY_USER = "disabled-by-user"   # Windows: off in Task Manager / Settings > Startup


class AutostartBlocked(AutostartError):
    """Start at login was not turned on: ``blocker`` says why (the UI words it)."""

    def __init__(self, blocker: Blocker, executable: str = ""):
        self.blocker = blocker
        self.executable = executable
        super().__init__(f"start at login not turned on: {blocker.value} ({executable})")


def location_problem(os_name: str, executable: str, temp_dir: str = "") -> Blocker | None:
    """Whether the app runs from a place that will be gone by the next login."""
    if os_name == MACOS:
        if executable.startswith("/Volumes/"):
            return Blocker.DISK_IMAGE
        if "/AppTranslocation/" in executable:
            return Blocker.TRANSLOCATED
    if os_name == WINDOWS:
        folders = ntpath.normcase(executable).split("\\")
        if any(re.fullmatch(r"temp\d+_.*\.zip", part) for part in folders):
            return Blocker.INSIDE_ZIP
        temp = ntpath.normcase(temp_dir.rstrip("\\"))
        if temp and ntpath.normcase(executable).startswith(temp + "\\") and is_frozen_path(executable):
            return Blocker.INSIDE_ZIP
    return None


def is_frozen_path(executable: str) -> bool:
    """A bundle's exe (not a Python interpreter someone installed under TEMP)."""
    return not ntpath.basename(executable).lower().startswith("python")


def startup_approved(data: bytes | None) -> bool:
    """Task Manager's StartupApproved value: absent or even first byte = on, odd = off."""
    return not data or not (data[0] & 1)

@dataclass(frozen=True)
class AutostartEntry:
    """The start-at-login entry for this OS: where it goes and exactly what is written."""

    os_name: str
    location: str               # the file; on Windows the key under HKEY_CURRENT_USER
    content: str                # exactly what is written: file text, or the Run value
    value_name: str = ""        # Windows only: the value's name under the Run key

    def describe(self) -> str:
        """For messages: where the entry lives."""
        if self.os_name == WINDOWS:
            return f"HKEY_CURRENT_USER\\{self.location}\\{self.value_name}"
        return self.location


def launch_argv(os_name: str, frozen: bool, executable: str, source_root: str | Path = SOURCE_ROOT) -> list[str]:
    """The command line that starts this app again, without a terminal or console window.

    A bundle is its own executable. From source it is the Python running us with the
    checkout's ``main.py`` -- on Windows ``pythonw.exe`` and ``main.pyw``, which open no
    console. Without a checkout (a plain ``pip install``) the app's ``main`` is imported.
    """
    if frozen:
        return [executable]
    python, script, path_mod = executable, "main.py", posixpath
    if os_name == WINDOWS:
        folder, name = ntpath.split(executable)
        if name.lower() == "python.exe":
            python = ntpath.join(folder, "pythonw.exe")
        script, path_mod = "main.pyw", ntpath
    if (Path(source_root) / script).is_file():
        return [python, path_mod.join(str(source_root), script)]
    return [python, "-c", "from portmanager_gui.app import main; raise SystemExit(main())"]


# Desktop Entry spec, "The Exec key": these force quoting; inside quotes " ` $ \ are escaped.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec_arg(arg: str) -> str:
    if "\n" in arg or "\r" in arg:
        raise ValueError(f"cannot write a line break into a desktop entry: {arg!r}")
    arg = arg.replace("%", "%%")        # a literal % is %% (field codes start with %)
    if arg == "" or any(c in _RESERVED for c in arg):
        arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    return arg


def desktop_exec(argv: Sequence[str]) -> str:
    """``Exec`` value for ``argv``: quoted per the spec, then escaped as a string value."""
    return " ".join(_exec_arg(a) for a in argv).replace("\\", "\\\\")


def linux_desktop_text(argv: Sequence[str], icon: str | None = None) -> str:
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={DISPLAY_NAME}",
        "Comment=Start Port Manager in the tray at login",
        f"Exec={desktop_exec(argv)}",
    ]
    if icon:
        lines.append(f"Icon={icon}")
    lines += ["Terminal=false", "X-GNOME-Autostart-enabled=true"]
    return "\n".join(lines) + "\n"


def macos_plist_text(argv: Sequence[str], label: str = BUNDLE_ID) -> str:
    job = {
        "Label": label,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        # An app the user works with: launchd does not throttle it like a daemon.
        "ProcessType": "Interactive",
        # Only in a graphical login session, not over ssh.
        "LimitLoadToSessionType": "Aqua",
    }
    import plistlib  # macOS only; it pulls in the XML parser

    return plistlib.dumps(job, fmt=plistlib.FMT_XML, sort_keys=True).decode("utf-8")


def windows_run_value(argv: Sequence[str]) -> str:
    """Program path always quoted (a path with spaces unquoted is ambiguous to Windows)."""
    program, *args = argv
    head = f'"{program}"'
    return f"{head} {subprocess.list2cmdline(args)}" if args else head


def autostart_entry(os_name: str, launch: Sequence[str], home: str | Path,
                    env: Mapping[str, str], icon: str | None = None) -> AutostartEntry:
    """Where this OS keeps the entry that starts ``launch`` at login, and its exact content."""
    if not launch:
        raise ValueError("autostart needs the command line of the app")
    home = str(home)
    if os_name == WINDOWS:
        return AutostartEntry(WINDOWS, RUN_KEY, windows_run_value(launch), EXECUTABLE)
    if os_name == MACOS:
        path = posixpath.join(home, "Library", "LaunchAgents", f"{BUNDLE_ID}.plist")
        return AutostartEntry(MACOS, path, macos_plist_text(launch))
    config = env.get("XDG_CONFIG_HOME", "")
    if not posixpath.isabs(config):     # the spec: a relative value is invalid, ignore it
        config = posixpath.join(home, ".config")
    path = posixpath.join(config, "autostart", LINUX_FILE)
    return AutostartEntry(LINUX, path, linux_desktop_text(launch, icon))


def current_entry() -> AutostartEntry:
    """The entry for this machine, this user and this copy of the app."""
    os_name = current_os()
    try:
        icon = str(resource_path(*ICON))
    except ResourceMissing:
        icon = None
    argv = launch_argv(os_name, is_frozen(), sys.executable)
    return autostart_entry(os_name, argv, Path.home(), os.environ, icon)


def _winreg(module: ModuleType | None) -> ModuleType:
    if module is not None:
        return module
    import winreg  # only on Windows

    return winreg


def enable(entry: AutostartEntry, winreg: ModuleType | None = None, problem: Blocker | None = None) -> None:
    """Write the entry (replacing an older one, e.g. after the app moved); on Windows also
    remove a Task Manager "off" -- turning it on here is the user's word.

    ``problem`` (from ``location_problem``) refuses with ``AutostartBlocked`` instead.
    """
    if problem is not None:
        raise AutostartBlocked(problem, entry.content)
    try:
        if entry.os_name == WINDOWS:
            reg = _winreg(winreg)
            with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, entry.location, 0, reg.KEY_SET_VALUE) as key:
                reg.SetValueEx(key, entry.value_name, 0, reg.REG_SZ, entry.content)
            _forget_approval(entry, reg)
            return
        from ..atomic_write import write_atomic

        write_atomic(Path(entry.location), entry.content, backup=False)
    except OSError as exc:
        raise AutostartError(f"Could not turn on start at login: writing {entry.describe()} "
                             f"failed ({exc}). Check that it is writable, then try again.") from exc


def disable(entry: AutostartEntry, winreg: ModuleType | None = None) -> None:
    """Remove the entry; nothing to do when it is not there."""
    try:
        if entry.os_name == WINDOWS:
            reg = _winreg(winreg)
            try:
                with reg.OpenKey(reg.HKEY_CURRENT_USER, entry.location, 0, reg.KEY_SET_VALUE) as key:
                    reg.DeleteValue(key, entry.value_name)
            except FileNotFoundError:
                pass
            _forget_approval(entry, reg)
            return
        Path(entry.location).unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"Could not turn off start at login: removing {entry.describe()} "
                             f"failed ({exc}). Remove it by hand.") from exc


def read_entry(entry: AutostartEntry, winreg: ModuleType | None = None) -> str | None:
    """What is there now at the entry's place (None when nothing is)."""
    if entry.os_name == WINDOWS:
        reg = _winreg(winreg)
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, entry.location, 0, reg.KEY_QUERY_VALUE) as key:
                value, _kind = reg.QueryValueEx(key, entry.value_name)
        except FileNotFoundError:
            return None
        return str(value)
    try:
        return Path(entry.location).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None


def _forget_approval(entry: AutostartEntry, reg: ModuleType) -> None:
    try:
        with reg.OpenKey(reg.HKEY_CURRENT_USER, APPROVED_KEY, 0, reg.KEY_SET_VALUE) as key:
            reg.DeleteValue(key, entry.value_name)
    except FileNotFoundError:
        pass


def disabled_by_user(entry: AutostartEntry, winreg: ModuleType | None = None) -> bool:
    """Windows: the entry is switched off in Task Manager (StartupApproved). Elsewhere False."""
    if entry.os_name != WINDOWS:
        return False
    reg = _winreg(winreg)
    try:
        with reg.OpenKey(reg.HKEY_CURRENT_USER, APPROVED_KEY, 0, reg.KEY_QUERY_VALUE) as key:
            value, _kind = reg.QueryValueEx(key, entry.value_name)
    except FileNotFoundError:
        return False
    return not startup_approved(bytes(value) if isinstance(value, (bytes, bytearray)) else None)


def is_enabled(entry: AutostartEntry, winreg: ModuleType | None = None) -> bool:
    """Whether an entry of ours is in place and the OS will run it (it may point to an older
    copy of the app)."""
    return read_entry(entry, winreg) is not None and not disabled_by_user(entry, winreg)


def current_problem(os_name: str | None = None) -> Blocker | None:
    """``location_problem`` for this running copy."""
    import tempfile

    return location_problem(os_name or current_os(), sys.executable, tempfile.gettempdir())


def set_enabled(enabled: bool, entry: AutostartEntry | None = None) -> AutostartEntry:
    """The settings toggle: write or remove the entry for this copy of the app. Turning it
    on from a place that will be gone raises ``AutostartBlocked``."""
    entry = entry or current_entry()
    if enabled:
        enable(entry, problem=current_problem(entry.os_name))
    else:
        disable(entry)
    return entry


def keep_in_step(wanted: bool, entry: AutostartEntry | None = None,
                 winreg: ModuleType | None = None) -> Blocker | None:
    """At each start, with the setting on: rewrite the entry so it follows a moved app --
    unless the user switched it off in Task Manager since (then that is reported, and the
    setting should follow it), or this copy runs from a place that will be gone."""
    entry = entry or current_entry()
    if not wanted:
        return None
    if read_entry(entry, winreg) is not None and disabled_by_user(entry, winreg):
        return Blocker.DISABLED_BY_USER
    problem = current_problem(entry.os_name)
    if problem is not None:
        return problem
    enable(entry, winreg)
    return None
