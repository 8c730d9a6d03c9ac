"""The real app on a real display: every way of quitting, the second launch, start/stop from the tray."""
from __future__ import annotations

import signal

import pytest

from portmanager_gui.core.ports.probe import Availability, probe
from tests.desktop import harness
from tests.helpers import free_ports, wait_for
from tests.ui.desk import router_registry

START_S = 60        # a verified start of the demo router, on a loaded machine


@pytest.fixture
def router(tmp_path):
    ports = free_ports(2)
    return router_registry(tmp_path / "registry.yaml", ports), ports


def in_use(ports) -> bool:
    """The router listens on one of its ports (the fallback when another run took the first meanwhile)."""
    return any(probe(p) is Availability.IN_USE for p in ports)


def all_free(ports) -> bool:
    return all(probe(p) is Availability.FREE for p in ports)


def start_router_from_tray(screen: harness.Screen, app: harness.App, ports) -> list:
    """Tray menu -> router -> Start (its first enabled entry); the processes it launched."""
    return screen.start_from_tray(lambda: in_use(ports) and app.children(), START_S, app=app)


def quit_from_tray(screen: harness.Screen) -> None:
    screen.pick("Up", "Return")           # the last entry: Quit


@pytest.mark.parametrize("how,window", [("tray", "open"), ("tray", "hidden"), ("sigterm", "open"),
                                        ("sigterm", "hidden"), ("sigint", "open")])
def test_every_quit_stops_what_it_started_and_exits(screen, launch, router, how, window):
    registry, ports = router
    app = launch(registry, *(["--show"] if window == "open" else []))
    if window == "open":
        wait_for(screen.main_window, harness.START_S, message="the main window")
    launched = start_router_from_tray(screen, app, ports)
    if window == "open":
        assert screen.main_window() is not None
    else:
        assert screen.main_window() is None
    if how == "tray":
        quit_from_tray(screen)
    else:
        app.signal(signal.SIGTERM if how == "sigterm" else signal.SIGINT)
    assert app.exited(timeout=40) == 0, app.log()
    wait_for(lambda: harness.gone(launched), 20, message="the router Port Manager started to stop")
    assert all_free(ports)


def test_closing_the_window_hides_it_into_the_tray(screen, launch, router):
    registry, _ports = router
    app = launch(registry, "--show")
    window = wait_for(screen.main_window, harness.START_S, message="the main window")
    wait_for(screen.tray_icon, harness.START_S, message="the tray icon")
    screen.close_window(window)
    wait_for(lambda: screen.main_window() is None, 20, message="the window to hide")
    assert app.proc.poll() is None and screen.tray_icon() is not None
    quit_from_tray(screen)
    assert app.exited(timeout=40) == 0


def test_without_a_tray_closing_the_window_quits(screen, launch, router):
    registry, _ports = router
    app = launch(registry, "--no-tray")
    window = wait_for(screen.main_window, harness.START_S, message="the main window")
    screen.close_window(window)
    assert app.exited(timeout=40) == 0, app.log()


def test_a_second_launch_brings_the_running_window_back(screen, launch, router):
    registry, _ports = router
    app = launch(registry)
    wait_for(screen.tray_icon, harness.START_S, message="the tray icon")
    assert screen.main_window() is None                  # tray only
    assert app.second_launch() == 0
    window = wait_for(screen.main_window, 30, message="the window the second launch asked for")
    screen.close_window(window)
    wait_for(lambda: screen.main_window() is None, 20, message="the window to hide")
    assert app.second_launch("--show") == 0
    wait_for(screen.main_window, 30, message="the window to come back again")
    assert app.proc.poll() is None


def test_start_and_stop_from_the_tray(screen, launch, router):
    registry, ports = router
    app = launch(registry)
    launched = start_router_from_tray(screen, app, ports)
    for _attempt in range(5):      # the menu shows the last scan: until it has seen the start, look again
        screen.pick("Down", "Right", "Return")          # running: Start is disabled, Stop comes first
        try:
            wait_for(lambda: harness.gone(launched) and all_free(ports), 10,
                     message="the router stopped from the tray")
            break
        except AssertionError:
            continue
    assert harness.gone(launched) and all_free(ports)
    assert app.proc.poll() is None
    quit_from_tray(screen)
    assert app.exited(timeout=40) == 0
