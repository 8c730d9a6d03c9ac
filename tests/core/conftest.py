"""Fixtures shared by the core tests."""
from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def child():
    """A real child process that waits on its stdin (closed, it ends)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield proc
    if not proc.stdin.closed:
        proc.stdin.close()
    proc.wait(timeout=30)
