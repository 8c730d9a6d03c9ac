"""What the desktop app imports before its first paint (issue 16: start in a blink, stay small).

Each module below costs start-up time and memory, and none is needed to show the first
snapshot: they are imported when first used (a start or stop, a kill, the settings dialog,
the single-instance handshake of a real launch, an HTTP request to llama-swap)."""
from __future__ import annotations

import subprocess
import sys

NOT_BEFORE_FIRST_PAINT = (
    "portmanager_gui.core.supervisor.supervisor",   # launch, stop, process trees: at the first start/stop
    "portmanager_gui.core.supervisor.launch",
    "portmanager_gui.core.platform.autostart",      # checked after the first paint
    "portmanager_gui.ui.settings_dialog",           # when the dialog is first opened
    "portmanager_gui.core.kill.policy",             # at the first kill
    "portmanager_gui.ui.all_ports_tab",             # built after the first paint (build_rest)
    "portmanager_gui.ui.interop_presenter",
    "portmanager_gui.services.interop_worker",
    "portmanager_gui.services.facts_loader",
    "portmanager_gui.single_instance",              # a real launch only (not --smoke)
    "PySide6.QtNetwork",
    "urllib.request",                               # llama-swap's /running: pulls in http, email, ssl
    "ssl",
)


def test_the_app_module_leaves_what_the_first_paint_does_not_need():
    code = ("import sys; import portmanager_gui.app; "
            f"print(' '.join(m for m in {NOT_BEFORE_FIRST_PAINT!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == []
