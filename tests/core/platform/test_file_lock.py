"""The inter-process lock waits a bounded time on every OS and then says who to wait for."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from portmanager_gui.core.platform.file_lock import LockTimeout, locked

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX; Windows' locking has its own test")
def test_a_lock_held_by_another_process_times_out_with_a_clear_message(tmp_path: Path):
    path = tmp_path / "state.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        caught: list[BaseException] = []

        def attempt() -> None:
            try:
                with locked(path, timeout=0.3):
                    pass
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                caught.append(exc)

        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(15)
        assert not worker.is_alive(), "locked() kept waiting past its timeout"
        assert len(caught) == 1 and isinstance(caught[0], LockTimeout)
        assert str(path) in str(caught[0]) and "try again" in str(caught[0])
    finally:
        holder.stdin.close()
        holder.wait(10)
        holder.stdout.close()
        worker.join(15)
    with locked(path, timeout=5):   # free again once the holder ended
        pass
