"""Running a short helper command (netsh, sysctl, lsof, docker) and reading its output.

One place for the OS details: on Windows the windowed app has no console, so a console
program gets a console window flashing up unless CREATE_NO_WINDOW is given (CreateProcess
"Process Creation Flags"); and such programs write the OEM code page, which decoding as the
ANSI one can fail on -- undecodable bytes are replaced (the figures we read are ASCII).
Never a shell; never raises for a missing program or a timeout.
"""
from __future__ import annotations

import ntpath
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import WINDOWS, current_os

CREATE_NO_WINDOW = 0x08000000


@dataclass(frozen=True)
class CommandResult:
    """What a finished (or timed-out) command left: exit code and its output."""

    returncode: int | None   # None: it did not finish in time
    stdout: str = ""
    stderr: str = ""


def popen_flags(os_name: str) -> dict[str, int]:
    """Extra ``subprocess`` arguments for a helper command on ``os_name``."""
    return {"creationflags": CREATE_NO_WINDOW} if os_name == WINDOWS else {}


def run_command(argv: Sequence[str], timeout: float, os_name: str | None = None) -> CommandResult:
    """Run ``argv`` and capture its output (127 with the reason when it cannot be started)."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, errors="replace", timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False, **popen_flags(os_name or current_os()))
    except subprocess.TimeoutExpired:
        return CommandResult(None)
    except OSError as exc:
        return CommandResult(127, "", str(exc))
    return CommandResult(done.returncode, done.stdout, done.stderr)


WINDOWS_CONSOLE_EXE = "portmanager.exe"


def python_for_children(os_name: str, frozen: bool, executable: str,
                        exists: Callable[[str], bool] | None = None) -> str:
    """What ``{python}`` runs (our own modules with ``-m``): this Python, or the bundle.

    A Windows bundle's app is a windowed (GUI-subsystem) exe: a child started from it gets
    no console, so nothing could deliver Ctrl+Break to it. The console ``portmanager.exe``
    beside it runs the same modules and gets a (window-less) console of its own.
    """
    if os_name != WINDOWS or not frozen:
        return executable
    console = ntpath.join(ntpath.dirname(executable), WINDOWS_CONSOLE_EXE)
    if exists is None:
        import os.path

        exists = os.path.isfile
    return console if exists(console) else executable


def command_line_text(argv: Sequence[str], os_name: str | None = None) -> str:
    """A command line to show or copy, quoted as that OS's shell reads it: Windows programs
    split their own command line by the C runtime's rules (``subprocess.list2cmdline``),
    which POSIX ``shlex`` quoting ('single quotes') would not survive."""
    if (os_name or current_os()) == WINDOWS:
        return subprocess.list2cmdline(list(argv))
    return shlex.join(argv)
