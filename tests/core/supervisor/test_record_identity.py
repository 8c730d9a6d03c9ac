"""A record names one process: a pid reused even within a second of the recorded start is not ours."""
from __future__ import annotations

import sys

import psutil
import pytest

from portmanager_gui.core.platform.start_ticks import start_ticks
from portmanager_gui.core.supervisor.records import (
    ManagedRecord,
    StateStore,
    process_matches,
)
from portmanager_gui.core.supervisor.stopper import UnitStopper
from portmanager_gui.core.supervisor.types import StopEnd

LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="exact start ticks come from /proc")


@LINUX
def test_start_ticks_name_one_process(child):
    ticks = start_ticks(child.pid)
    assert isinstance(ticks, int) and ticks > 0 and start_ticks(child.pid) == ticks
    assert start_ticks(2 ** 22 + 7) is None
    assert start_ticks(child.pid, platform="darwin") is None


@LINUX
def test_a_pid_reused_within_a_second_is_not_ours_and_is_not_stopped(child, tmp_path):
    ctime, ticks = psutil.Process(child.pid).create_time(), start_ticks(child.pid)
    assert process_matches(child.pid, ctime, ticks)
    # the recorded process started half a second before the one that has its pid now
    old = ManagedRecord("svc", child.pid, ctime - 0.5, 41000, ("x",), 0.0, "", start_ticks=ticks - 50)
    assert not process_matches(old.pid, old.create_time, old.start_ticks)
    store = StateStore(tmp_path / "services.json")
    store.put(old)
    assert store.get("svc").alive is False
    outcome = UnitStopper(store, None, "linux", lambda unit: 1.0).stop("svc", None)
    assert child.poll() is None and psutil.pid_exists(child.pid)
    assert outcome.ok and outcome.end is StopEnd.HAD_ENDED
