"""A second launch hands the right to raise a window to the first instance before asking it
to show (Windows' AllowSetForegroundWindow), with the first one's pid from the lock file."""
from __future__ import annotations

import os

import shiboken6

from portmanager_gui.single_instance import SingleInstance


def test_second_launch_allows_the_first_to_come_to_the_front_then_asks(qtbot, tmp_path):
    first = SingleInstance(tmp_path / "gui.lock")
    assert first.acquire()
    second = SingleInstance(tmp_path / "gui.lock")
    assert not second.acquire()
    allowed = []
    with qtbot.waitSignal(first.show_requested, timeout=5000):
        assert second.notify_first(allowed.append)
    assert allowed == [os.getpid()]          # the lock holder's pid (here: this process)
    first.release()
    for obj in (second, first):              # Qt objects go while the QApplication is alive
        shiboken6.delete(obj)
