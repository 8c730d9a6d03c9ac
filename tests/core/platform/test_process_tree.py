"""``stop_tree`` against real processes (POSIX): what counts as stopped."""
from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from portmanager_gui.core.platform import current_os
from portmanager_gui.core.platform.process_tree import stop_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and zombies")

# A parent that never reaps: its child stays a zombie after it ends, as an orphan does until
# init gets round to it (a container's init may take a second or more).
PARENT = ("import subprocess, sys\n"
          "child = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'])\n"
          "print(child.pid, flush=True)\n"
          "sys.stdin.read()\n")


def test_a_child_that_ends_on_sigterm_is_stopped_even_while_its_zombie_waits_for_reaping():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        result = stop_tree(child, pgid=None, grace=30.0, os_name=current_os())
        assert child.status() == psutil.STATUS_ZOMBIE     # nobody reaped it: it is still in the table
        assert result.signalled == (child.pid,)
        assert not result.forced, "it honoured SIGTERM; a zombie has ended"
        assert result.survivors == ()
    finally:
        parent.stdin.close()
        parent.wait(timeout=30)
        parent.stdout.close()
