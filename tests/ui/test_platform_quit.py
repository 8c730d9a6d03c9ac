"""The platform's own quit request, through Qt's real path, with the window open.

Qt 6's ``QCoreApplication::quit()`` is ``QPlatformIntegration::quit()``: on macOS that is
``[NSApp terminate:]`` -> ``applicationShouldTerminate:`` (what Cmd+Q, the Dock's Quit and
logout do), elsewhere ``QWindowSystemInterface::handleApplicationTermination`` -- a
spontaneous Quit event that closes every window first, which a window hiding into the tray
refuses. It only acts inside ``exec()``, so the app runs in its own process here: built as
``main()`` builds it, it starts the router it launches, then asks Qt to quit. It must stop
that router and leave ``exec()`` with 0 -- not keep running with the window hidden.

(A real X11 logout cannot be driven: the PySide6 wheels' xcb plugin has no XSMP client --
libQt6XcbQpa links no libSM and no Qt library has SmcOpenConnection -- so no session manager
can reach the app; see services/quit_flow.py.)
"""
from __future__ import annotations

import os
import subprocess
import sys

import psutil

from portmanager_gui.core.resources import SOURCE_ROOT
from tests.helpers import free_ports, wait_for
from tests.ui import desk

APP = r"""
import sys
from PySide6.QtCore import QCoreApplication, QTimer
from portmanager_gui import app as gui_app
from portmanager_gui.ui.application import Application
from portmanager_gui.core import paths as core_paths
from tests.ui import desk

app = Application(sys.argv[:1])
app.setQuitOnLastWindowClosed(False)
parts = gui_app.build(app, gui_app.parse_args(["--registry", sys.argv[1]]), core_paths.resolve().ensure(),
                      asks=desk.Answers().asks())
app.aboutToQuit.connect(lambda: gui_app.shutdown(parts))
asked = []

def rows(_rows):
    if parts.presenter.snapshot is not None and not asked:
        asked.append(True)
        parts.presenter.start("router")

def started(_name, outs):
    print("launched", outs[0].pid, outs[0].ok, outs[0].adopted, flush=True)
    QTimer.singleShot(0, QCoreApplication.quit)          # the platform's quit request
parts.presenter.rows_changed.connect(rows)
parts.controller.started.connect(started)
gui_app.start(parts)
parts.window.bring_to_front()
code = app.exec()
print("exited", code, parts.window.isVisible(), parts.quit.state.value,
      ",".join(o.unit for o in parts.quit.stopped), flush=True)
sys.exit(code)
"""


def test_qts_quit_request_with_the_window_open_stops_the_launched_router_and_exits(tmp_path):
    registry = desk.router_registry(tmp_path / "registry.yaml", free_ports(2))   # a fallback: a clash is no failure
    env = {**os.environ, "PORTMANAGER_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(SOURCE_ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", APP, str(registry)], env=env, cwd=SOURCE_ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    app = psutil.Process(proc.pid)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        left = app.children(recursive=True)
        proc.kill()
        out, _ = proc.communicate(timeout=30)
        for child in left:            # what the app launched does not outlive the failed test
            child.kill()
        raise AssertionError(f"the app did not leave exec() after Qt's quit request:\n{out}") from None
    launched = next((int(line.split()[1]) for line in out.splitlines() if line.startswith("launched ")), None)
    assert proc.returncode == 0, out
    exited = next(line for line in out.splitlines() if line.startswith("exited "))
    assert exited == "exited 0 False done router", out
    assert launched is not None, out
    wait_for(lambda: not psutil.pid_exists(launched) or psutil.Process(launched).status() == psutil.STATUS_ZOMBIE,
             30, message=f"the router the app launched (pid {launched}) to be stopped")
