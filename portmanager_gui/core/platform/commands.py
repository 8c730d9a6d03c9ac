"""Running a short helper command (netsh, sysctl, lsof, docker) and reading its output.

One place for the OS details: on Windows the windowed app has no console, so a console
program gets a console window flashing up unless CREATE_NO_WINDOW is given (CreateProcess
"Process Creation Flags"); and such programs write the OEM code page, which decoding as the
ANSI one can fail on -- undecodable bytes are replaced (the figures we read are ASCII).
Never a shell; never raises for a missing program or a timeout.
"""
from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from . import WINDOWS, current_os

CREATE_NO_WINDOW = 0x08000000


@dataclass(frozen=True)
class CommandResult:
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
