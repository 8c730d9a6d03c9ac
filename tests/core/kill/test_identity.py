"""The one identity check (pid + exact start) that kill, stop, adoption and the state record use."""
from __future__ import annotations

import sys

import psutil
import pytest

from portmanager_gui.core.kill.identity import Identity, Match, check, current, is_same

LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="exact start ticks come from /proc")


def test_the_process_itself_is_the_same_and_an_ended_one_is_gone(child):
    now = current(child.pid)
    assert now.pid == child.pid and now.create_time == psutil.Process(child.pid).create_time()
    assert check(now) is Match.SAME and is_same(now)
    child.stdin.close()
    child.wait(timeout=30)
    assert check(now) is Match.GONE and not is_same(now)


def test_another_start_time_is_a_reused_pid(child):
    now = current(child.pid)
    assert check(Identity(child.pid, now.create_time - 0.5, None if now.ticks is None else now.ticks - 50)) \
        is Match.REUSED
    if now.ticks is None:       # macOS / Windows: the kernel's create time, no tolerance beyond a float's
        assert check(Identity(child.pid, now.create_time + 0.01)) is Match.REUSED


@LINUX
def test_ticks_decide_where_the_os_gives_them(child):
    now = current(child.pid)
    assert isinstance(now.ticks, int)
    # the same create time to the millisecond, but started 50 ticks earlier: another process
    assert check(Identity(child.pid, now.create_time, now.ticks - 50)) is Match.REUSED
    # a record written before ticks were kept (another process computed its create time)
    assert check(Identity(child.pid, now.create_time + 0.4)) is Match.SAME
    assert check(Identity(child.pid, now.create_time + 2.0)) is Match.REUSED


def test_no_create_time_cannot_be_checked(child):
    assert check(Identity(child.pid, None)) is Match.UNREADABLE
