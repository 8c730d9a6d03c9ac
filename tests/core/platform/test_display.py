"""Before Qt aborts: no display, or the xcb plugin's libraries missing, is told in one sentence."""
from __future__ import annotations

import os
import subprocess
import sys

from portmanager_gui.core.platform.display import (
    XCB_LIBRARIES,
    DisplayProblem,
    DisplayTrouble,
    display_problem,
    loader,
)
from portmanager_gui.core.resources import SOURCE_ROOT
from portmanager_gui.ui.text import display_problem_text


def _all(_name: str) -> bool:
    return True


def test_no_display_on_linux_only():
    assert display_problem("linux", {}, _all) == DisplayProblem(DisplayTrouble.NO_DISPLAY)
    assert display_problem("linux", {"QT_QPA_PLATFORM": "xcb"}, _all).trouble is DisplayTrouble.NO_DISPLAY
    assert display_problem("linux", {"QT_QPA_PLATFORM": "wayland"}, _all).trouble is DisplayTrouble.NO_DISPLAY
    assert display_problem("darwin", {}, _all) is None and display_problem("windows", {}, _all) is None
    assert display_problem("linux", {"QT_QPA_PLATFORM": "offscreen"}, _all) is None
    assert display_problem("linux", {}, _all, platform_arg="minimal") is None
    assert display_problem("linux", {"DISPLAY": ":1"}, _all) is None
    assert display_problem("linux", {"WAYLAND_DISPLAY": "wayland-0"}, lambda _n: False) is None


def test_missing_xcb_libraries_name_their_packages():
    gone = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    problem = display_problem("linux", {"DISPLAY": ":0"}, lambda name: name not in gone)
    assert problem.trouble is DisplayTrouble.MISSING_LIBRARIES
    assert set(problem.libraries) == gone
    assert problem.packages == ("libxcb-cursor0", "libxkbcommon-x11-0")
    text = display_problem_text(problem)
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0" in text and text.count(".") <= 8
    forced = display_problem("linux", {"WAYLAND_DISPLAY": "w", "QT_QPA_PLATFORM": "xcb"}, lambda n: n not in gone)
    assert forced is not None and forced.packages == problem.packages


def test_the_loader_finds_real_libraries_and_not_invented_ones():
    can_load = loader()
    assert can_load("libc.so.6")
    assert not can_load("libportmanager-no-such-library.so.9")
    assert "libxcb-cursor.so.0" in XCB_LIBRARIES


def test_the_app_without_a_display_says_so_and_exits_1(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PORTMANAGER_HOME"] = str(tmp_path)
    run = subprocess.run([sys.executable, str(SOURCE_ROOT / "main.py")], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    assert "there is no display" in run.stderr and "portmanager status" in run.stderr
    assert "Reinstalling" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
