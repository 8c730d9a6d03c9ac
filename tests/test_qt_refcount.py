"""The installed PySide6 keeps Python's reference counts right for the calls the app makes
all day long (PySide6 6.12.0 on Python 3.11 does not: the app would abort after a while)."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel


@pytest.mark.parametrize("call", ["setText", "setInterval", "start_stop", "processEvents"])
def test_void_calls_do_not_drop_references_to_none(qapp, call):
    label, timer = QLabel(), QTimer()
    do = {"setText": lambda: label.setText("x"), "setInterval": lambda: timer.setInterval(5),
          "start_stop": lambda: (timer.start(), timer.stop()), "processEvents": qapp.processEvents}[call]
    do()
    before = sys.getrefcount(None)
    for _ in range(50):       # few: a bad PySide6 must fail this test, not abort the run
        do()
    assert sys.getrefcount(None) - before >= 0, "this PySide6 drops references to None; see pyproject.toml"
