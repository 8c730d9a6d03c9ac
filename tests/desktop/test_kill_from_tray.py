"""Kill from the tray on a real display: the entry asks first, Cancel keeps the holder, Kill ends it."""
from __future__ import annotations

from portmanager_gui.core.ports.probe import Availability, probe
from tests.desktop import harness
from tests.helpers import free_ports, wait_for
from tests.ui.desk import router_registry

KILL_ENTRY = ("Down", "Down", "Return")   # below the router's entry (counted from the top: the bottom
                                          # has "Other ports" only when the machine has other listeners)


def _ask_kill(screen: harness.Screen, port: int) -> harness.Window:
    """Pick "Kill <name> (pid N) on :port..." in the tray menu; the confirmation it opens."""
    title = f"Kill the holder of port {port}?"
    for _attempt in range(10):      # until the app's scan has seen the holder, the entry is not there yet
        try:
            screen.pick(*KILL_ENTRY, attempts=2)
            return wait_for(lambda: next((w for w in screen.popups() if w.name == title), None), 5,
                            message="the kill confirmation")
        except AssertionError:
            main = screen.main_window()   # the entry there was "Open Port Manager": close it, look again
            if main is not None:
                screen.close_window(main)
    raise AssertionError(f"the tray menu never offered to kill the holder of {port}")


def test_kill_from_the_tray_asks_first(screen, launch, listener, tmp_path):
    holder = listener.listen()
    registry = router_registry(tmp_path / "registry.yaml", [holder.port, *free_ports(1)])
    launch(registry)
    dialog = _ask_kill(screen, holder.port)
    screen.screenshot(tmp_path / "kill-confirm.png", dialog)
    screen.answer(dialog, "Escape")                     # Cancel is the default: nothing is killed
    assert holder.alive() and probe(holder.port) is Availability.IN_USE
    screen.answer(_ask_kill(screen, holder.port), "alt+k")   # the Kill button
    wait_for(lambda: not holder.alive(), 30, message=f"the holder of {holder.port} to be killed")
    wait_for(lambda: probe(holder.port) is Availability.FREE, 30, message=f"port {holder.port} to be free")
