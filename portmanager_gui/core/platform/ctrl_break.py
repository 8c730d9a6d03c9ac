"""Windows: ask a service's process group to stop, as Ctrl+Break in its console would.

    python -m portmanager_gui.core.platform.ctrl_break CONSOLE_PID GROUP_ID

A service started by us heads its own process group (CREATE_NEW_PROCESS_GROUP) and has its
own window-less console (CREATE_NO_WINDOW). GenerateConsoleCtrlEvent only reaches processes
sharing the *caller's* console, and the desktop app has none, so this small helper process
does it: FreeConsole, AttachConsole(CONSOLE_PID) (a live process of the tree), ignore
Ctrl+C itself (SetConsoleCtrlHandler(NULL, TRUE)), GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT,
GROUP_ID). CTRL_C_EVENT cannot be sent to a group (its processes start with Ctrl+C
disabled), CTRL_BREAK_EVENT can; console programs end on it by default (and servers such as
uvicorn, node, llama-server shut down cleanly), which is the "ask to stop" step.
Exit status: 0 sent, 2 could not attach (the process ended or has no console), 3 not sent.

``send_ctrl_break`` takes kernel32 as a parameter, so the sequence is tested with a fake;
``helper_argv`` is what the stopper runs.
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from .win32 import CTRL_BREAK_EVENT, load_kernel32

SENT, NO_CONSOLE, NOT_SENT = 0, 2, 3
DETACHED_PROCESS = 0x00000008
CREATE_NEW_PROCESS_GROUP = 0x00000200
HELPER_TIMEOUT = 10.0


def send_ctrl_break(console_pid: int, group_id: int, k32: Any) -> int:
    """The helper's work, in the documented order; returns its exit status."""
    k32.FreeConsole()                       # a helper started detached has none; harmless then
    if not k32.AttachConsole(console_pid):
        return NO_CONSOLE
    try:
        k32.SetConsoleCtrlHandler(None, True)
        return SENT if k32.GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, group_id) else NOT_SENT
    finally:
        k32.FreeConsole()


def helper_argv(executable: str, console_pid: int, group_id: int) -> list[str]:
    """The command line of the helper: this Python (or the bundle, which runs ``-m`` too)."""
    return [executable, "-m", "portmanager_gui.core.platform.ctrl_break", str(console_pid), str(group_id)]


def helper_flags() -> int:
    """No console of its own (so it can attach to the service's) and not in the target group."""
    return DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP


def request_stop(console_pid: int, group_id: int, executable: str | None = None) -> bool:
    """Run the helper; True when the event was delivered."""
    try:
        done = subprocess.run(helper_argv(executable or sys.executable, console_pid, group_id),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=HELPER_TIMEOUT, creationflags=helper_flags(), check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == SENT


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2 or not all(a.isdigit() for a in argv):
        print("usage: python -m portmanager_gui.core.platform.ctrl_break CONSOLE_PID GROUP_ID", file=sys.stderr)
        return NOT_SENT
    return send_ctrl_break(int(argv[0]), int(argv[1]), load_kernel32())


if __name__ == "__main__":  # pragma: no cover - runs as the helper process on Windows
    raise SystemExit(main(sys.argv[1:]))
