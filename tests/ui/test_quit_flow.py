"""Quit, however it is asked for, stops what the app launched -- not what it adopted -- then exits."""
from __future__ import annotations

import subprocess
import sys

import psutil
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject

from portmanager_gui import app as gui_app
from portmanager_gui.core.port_rows import RowState
from portmanager_gui.core.ports.probe import Availability, probe
from portmanager_gui.core.settings import Settings
from portmanager_gui.services.quit_flow import QuitState
from tests.helpers import free_ports, wait_for
from tests.ui import desk

HELPER = """  helper:
    description: Started by hand
    ports: [{port}]
    command: {cmd}
    health: /api/health
    start_timeout: 30
"""


@pytest.fixture
def by_hand():
    """A demo router the user started in a terminal, before Port Manager."""
    procs = []

    def start(port: int) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "portmanager_gui.demo", "router", "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        procs.append(proc)
        wait_for(lambda: probe(port) is Availability.IN_USE, timeout=30, message=f"the router started by hand on {port}")
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def quitting_app(qapp, tmp_path):
    made = []

    def make(ports, extra=""):
        exits: list[int] = []
        registry = desk.router_registry(tmp_path / "registry.yaml", ports, extra)
        parts = desk.build(qapp, registry, desk.Answers(), exit_app=exits.append)
        made.append(parts)
        gui_app.start(parts)
        return parts, exits

    yield make
    for parts in made:
        desk.close(parts)


def _adopted_and_launched(qtbot, quitting_app, by_hand):
    """The app with a router started by hand (adopted by "start helper") and one it launched;
    the window open. (parts, exits, the hand-started process, the launched psutil.Process)."""
    router_port, spare, helper_port = free_ports(3)     # spare: a port another run took meanwhile is no failure
    hand = by_hand(helper_port)
    cmd = desk.DEMO_ROUTER
    parts, exits = quitting_app([router_port, spare], HELPER.format(port=helper_port, cmd=cmd))
    qtbot.waitUntil(lambda: desk.row(parts, "helper", helper_port) is not None, timeout=30000)
    with qtbot.waitSignal(parts.controller.started, timeout=60000):
        parts.presenter.start("helper")             # answers its health check: adopted, not launched
    with qtbot.waitSignal(parts.controller.started, timeout=60000) as started:
        parts.presenter.start("router")
    [out] = started.args[1]
    assert out.ok and not out.adopted, out
    launched = psutil.Process(out.pid)

    parts.window.bring_to_front()
    return parts, exits, hand, launched


def test_quit_stops_what_it_launched_and_leaves_what_it_adopted(qtbot, quitting_app, by_hand):
    parts, exits, hand, launched = _adopted_and_launched(qtbot, quitting_app, by_hand)

    gui_app.quit_app(parts)
    qtbot.waitUntil(lambda: exits == [0], timeout=30000)
    assert not parts.window.isVisible()
    assert parts.quit.left_running == ["helper"]
    assert hand.poll() is None, "the router started by hand was stopped by Quit"
    wait_for(lambda: not launched.is_running() or launched.status() == psutil.STATUS_ZOMBIE, timeout=10,
             message="the router Port Manager launched to end")


@pytest.mark.parametrize("stop_on_quit", [True, False])
def test_platform_quit_with_the_window_open_runs_the_same_flow(qtbot, quitting_app, stop_on_quit):
    """What macOS Quit, logout and ``QApplication.quit()`` send: a Quit event to the application.
    The window hides into the tray on close; the quit must still happen, once, through the flow."""
    port, spare = free_ports(2)              # spare: a port another run took meanwhile is no failure
    parts, exits = quitting_app([port, spare])
    parts.presenter.settings = Settings(refresh_s=0.5, stop_on_quit=stop_on_quit)
    qtbot.waitUntil(lambda: (r := desk.row(parts, "router", port)) is not None and r.state is RowState.FREE,
                    timeout=30000)
    if stop_on_quit:
        with qtbot.waitSignal(parts.controller.started, timeout=60000) as started:
            parts.presenter.start("router")
        [out] = started.args[1]
        assert out.ok, out
    parts.window.bring_to_front()
    event = QEvent(QEvent.Type.Quit)
    QCoreApplication.sendEvent(parts.app, event)
    assert parts.quit.state is not QuitState.RUNNING
    qtbot.waitUntil(lambda: exits == [0], timeout=30000)
    assert not parts.window.isVisible()
    assert [o.unit for o in parts.quit.stopped] == (["router"] if stop_on_quit else [])
    gui_app.quit_app(parts)                 # a second request (a second Ctrl+C) changes nothing
    assert exits == [0]


def test_closing_the_window_during_a_quit_is_accepted(qtbot, quitting_app):
    [port] = free_ports(1)
    parts, exits = quitting_app([port])
    parts.window.bring_to_front()
    gui_app.quit_app(parts)
    qtbot.waitUntil(lambda: exits == [0], timeout=30000)
    parts.window.show()
    assert parts.window.close()              # not "ignored: hide into the tray"


def test_the_end_of_a_windows_session_stops_what_it_launched_before_returning(qtbot, quitting_app, by_hand):
    """Windows' WM_ENDSESSION: Qt emits ``aboutToQuit`` itself, then ``quit()``, and Windows ends
    the process as soon as the message returns -- no event loop turn for the quit flow. What the
    app launched is stopped inside the ``aboutToQuit`` call; what it adopted is left running."""
    parts, exits, hand, launched = _adopted_and_launched(qtbot, quitting_app, by_hand)

    parts.app.aboutToQuit.emit()              # what QWindowsContext does on WM_ENDSESSION

    try:
        ended = launched.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        ended = True
    assert ended, "the router Port Manager launched still runs when aboutToQuit returned"
    assert hand.poll() is None, "the router started by hand was stopped"
    assert parts.quit.state is not QuitState.RUNNING


def test_no_python_runs_for_the_events_of_other_objects(quitting_app):
    """The quit is caught by the application's own ``event()``, not by a filter installed on the
    application: such a filter is called from C++ for every event of every object, each wrapped for
    Python -- thousands at start on a real display (~80 ms of CPU before the first paint on xcb)."""
    [port] = free_ports(1)
    quitting_app([port])
    plain = QObject()                       # no Python overrides: only an application-wide filter runs Python
    events = [QEvent(QEvent.Type.User) for _ in range(20)]    # made here: an enum's value is Python too
    calls: list[str] = []

    def profile(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_qualname)
    sys.setprofile(profile)
    try:
        for event in events:
            QCoreApplication.sendEvent(plain, event)
    finally:
        sys.setprofile(None)
    assert calls == []
