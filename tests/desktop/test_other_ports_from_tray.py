"""Any port's holder found and stopped from the tray, as a new user would: tray menu -> Other
ports -> the holder, named for what it is -> the confirmation -> Kill."""
from __future__ import annotations

import re
import time

from portmanager_gui.core.ports.probe import Availability, probe
from tests.desktop import harness
from tests.helpers import FakeLlamaServer, free_ports, wait_for
from tests.ui.desk import router_registry

OTHER_PORTS = ("Up", "Up", "Up", "Up", "Right")   # from the bottom: Quit, Settings, Open Port Manager, Other ports
_ANSWER = re.compile(r"Kill the holder of port \d+\?|Port \d+ (is free|cannot be freed)|Stop container")


def _ask_kill_other(screen: harness.Screen, port: int, shots) -> harness.Window:
    """Walk Other ports entry by entry (newest first) until the confirmation names ``port``.

    On a shared machine another program of this user may have started after ours: its
    confirmation is cancelled (nothing of anyone else is ever killed) and the next entry tried."""
    title = f"Kill the holder of port {port}?"
    downs = 0
    # Bounded by time, not by tries: until the app's first machine-wide scan answers (after its
    # first paint; slow on a cold or loaded machine), a walk fails fast on "Looking at every port...".
    deadline = time.monotonic() + harness.START_S
    while downs <= 5 and time.monotonic() < deadline:
        try:
            screen.pick(*OTHER_PORTS, *(("Down",) * downs), "Return", attempts=1)
        except AssertionError:
            continue            # not scanned yet: the submenu said "Looking at every port..."
        # Ours asks "Kill the holder of port N?"; another program's entry may also say its port is
        # free by now (it ended) or cannot be freed (e.g. an ancestor of this test run).
        dialog = wait_for(lambda: next((w for w in screen.popups() if _ANSWER.match(w.name)), None), 30,
                          message="the answer to the Other ports entry")
        if dialog.name == title:
            return dialog
        shots(f"not-ours-{downs}.png", dialog)
        screen.answer(dialog, "Escape")
        downs += 1
    raise AssertionError(f"the tray's Other ports never offered to kill the holder of {port}")


def test_a_port_outside_the_registry_is_stopped_from_the_tray(screen, launch, tmp_path):
    launch(router_registry(tmp_path / "registry.yaml", free_ports(2)))
    wait_for(screen.tray_icon, harness.START_S, message="the tray icon")
    # Started after the app: the newest listener of this user, first in Other ports.
    server = FakeLlamaServer(tmp_path, free_ports(1)[0], "-m", "/models/qwen2.5-7b-instruct.gguf")
    try:
        def shots(name, window=None):
            return screen.screenshot(tmp_path / name, window)
        dialog = _ask_kill_other(screen, server.port, shots)
        shots("other-ports-kill-confirm.png", dialog)
        screen.answer(dialog, "alt+k")                       # the Kill button
        wait_for(lambda: server.proc.poll() is not None, 30, message="the llama-server to be killed")
        wait_for(lambda: probe(server.port) is Availability.FREE, 30, message=f"port {server.port} to be free")
    finally:
        server.close()
