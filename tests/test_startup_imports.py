"""What the desktop app imports before its first paint (issue 16: start in a blink, stay small).

Each module below costs start-up time and memory, and none is needed to show the first
snapshot: they are imported when first used (a start or stop, a kill, the settings dialog,
the single-instance handshake of a real launch, an HTTP request to llama-swap)."""
from __future__ import annotations

import ast
import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOT_BEFORE_FIRST_PAINT = (
    "portmanager_gui.core.interop.docker",          # a container engine: once its forwarder holds a port
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
    "portmanager_gui.ui.dialogs",                   # the kill, all-taken and yes/no questions: when first asked
    "portmanager_gui.text.kill",                    # a kill's words: at the first kill
    "portmanager_gui.core.kill.refusal",
    "portmanager_gui.ui.tray",                      # built by a real launch only (not --smoke)
    "portmanager_gui.core.occupancy.listeners",     # the tray's "Other ports" and All ports
    "portmanager_gui.core.occupancy.recognition",   # a holder named for a question, the tray or All ports
    "portmanager_gui.core.platform.desktop",        # the tray's OS rules, a second launch's handoff
    "portmanager_gui.services.notifier",            # macOS notifications: with the tray only
    "portmanager_gui.core.platform.notify",
    "portmanager_gui.core.interop.live",            # a model row's live note: when a model server is seen
    "portmanager_gui.core.supervisor.types",        # a start's outcomes and events: at the first start or stop
    "portmanager_gui.text.supervisor",              # (the crash watch builds the supervisor after the paint)
)


NOT_BEFORE_FIRST_PAINT_AT_RUN = NOT_BEFORE_FIRST_PAINT + (
    "portmanager_gui.ui.edit_panels",               # the Services and Groups editors: built after it
    "portmanager_gui.ui.group_editor",
    "portmanager_gui.ui.port_list_editor",
    "html",                                         # the details of a selected row
)

# Runs the real launch (``app.main``, --smoke) and notes which of those modules are loaded at the
# moment the first snapshot reaches the window (the first slot on ``rows_changed`` with a snapshot),
# and whether the cyclic garbage collector runs then (it is paused until that paint).
AT_FIRST_PAINT = """
import gc
import sys
from portmanager_gui import app
seen, build = [], app.build
def spy(*args, **kwargs):
    parts = build(*args, **kwargs)
    parts.presenter.rows_changed.connect(lambda _rows: seen.append(
        [m for m in {modules!r} if m in sys.modules] + (["(collector on)"] if gc.isenabled() else []))
        if parts.presenter.snapshot is not None else None)
    return parts
app.build = spy
code = app.main(["--smoke", "--registry", sys.argv[1]])
print("at first paint:", *(seen[0] if seen else ["(never painted)"]))
sys.exit(code)
"""


def _launch(tmp_path: Path, script: str, ports: tuple[int, ...] = (8080, 8081)) -> subprocess.CompletedProcess:
    """``script`` run in a new Python with a one-service registry on ``ports`` as its argument."""
    registry = tmp_path / "registry.yaml"
    registry.write_text(f"version: 1\nservices:\n  web:\n    ports: [{', '.join(map(str, ports))}]\n",
                        encoding="utf-8")
    env = dict(os.environ, PORTMANAGER_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script, str(registry)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done


def test_a_launch_paints_its_first_snapshot_before_importing_what_that_does_not_need(tmp_path: Path):
    done = _launch(tmp_path, AT_FIRST_PAINT.format(modules=NOT_BEFORE_FIRST_PAINT_AT_RUN))
    assert "at first paint:\n" in done.stdout, done.stdout


def test_the_app_module_leaves_what_the_first_paint_does_not_need():
    code = ("import sys; import portmanager_gui.app; "
            f"print(' '.join(m for m in {NOT_BEFORE_FIRST_PAINT!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == []


def test_pyside_reads_no_source_of_the_modules_imported_after_it():
    """PySide6's import hook would read each later module's whole source to look for
    ``__feature__`` users (50-75 ms of the start-up); ``qt_start`` answers without reading."""
    code = ("import linecache; import portmanager_gui.app; "
            "print(' '.join(f for f in linecache.cache if 'portmanager_gui' in f or 'psutil' in f))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == []


def test_the_app_selects_no_pyside_feature():
    """What lets ``qt_start`` answer "no feature" for every module: none is selected."""
    package = Path(__file__).resolve().parents[1] / "portmanager_gui"
    selecting = [str(p) for p in package.rglob("*.py")
                 if any(isinstance(n, ast.ImportFrom) and n.module == "__feature__"
                        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert selecting == []


def test_the_supervisor_the_crash_watch_builds_loads_no_openssl():
    """The crash watch builds the supervisor about a second after the start: it stays in the
    idle app, so what it imports counts (``secrets`` -> hashlib -> libcrypto: 3.5 MB)."""
    code = ("import sys; import portmanager_gui.app, portmanager_gui.core.supervisor.supervisor; "
            "print(' '.join(m for m in ('secrets', 'hashlib', '_hashlib', 'ssl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == []


def test_the_collector_paused_for_the_start_up_resumes_with_the_start_ups_objects_frozen():
    from portmanager_gui.app import resume_collector

    gc.disable()
    try:
        resume_collector()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_every_dataclass_has_a_docstring_of_its_own():
    """Without one, ``dataclasses`` makes one at import time from ``inspect.signature`` -- about
    0.4 ms a class, paid on every start for each of the ~50 classes loaded before the first paint."""
    root = Path(__file__).resolve().parents[1] / "portmanager_gui"
    missing = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    (d.func if isinstance(d, ast.Call) else d).__dict__.get("id") == "dataclass"
                    for d in node.decorator_list) and ast.get_docstring(node) is None:
                missing.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}")
    assert not missing, "dataclasses without a docstring:\n" + "\n".join(missing)


# The double-click launch (``entry.run``): the registry's first scan on Linux takes the /proc walk
# the launch's helper made while the app imported, so it reads no process's fds itself; at exit
# the helper is gone (reaped: no zombie child left behind).
SEEDED_LAUNCH = """
import os, sys
from portmanager_gui import app, entry
seen, build = [], app.build
def spy(*args, **kwargs):
    parts = build(*args, **kwargs)
    parts.presenter.rows_changed.connect(lambda _rows: seen.append(
        parts.occupancy[0]._backends["linux"].full_scans) if parts.presenter.snapshot is not None else None)
    return parts
app.build = spy
code = entry.run(["main.py", "--smoke", "--registry", sys.argv[1]])
try:
    os.waitpid(-1, os.WNOHANG)
    children = "a child left"
except ChildProcessError:
    children = "no child left"
print("walks before the first paint:", seen[0] if seen else "(never painted)", children)
sys.exit(code)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the /proc walk is Linux-only")
def test_a_launch_paints_its_first_scan_from_the_helpers_walk_of_proc(tmp_path: Path, listener):
    held = listener.listen("127.0.0.1")
    done = _launch(tmp_path, SEEDED_LAUNCH, (held.port,))
    assert "walks before the first paint: 0 no child left" in done.stdout, (done.stdout, done.stderr)


# Qt classes the first paint does not need. PySide6 makes a class's Python type, with every one
# of its enums, the first time the class is used from Python: QStyle alone is 11 enums (~4 ms),
# QGradient and QImage come with a QBrush made from a colour. Checked where PySide6 makes its
# classes lazily (6.8 and later: an unused class is not yet in its module's namespace).
QT_NOT_BEFORE_FIRST_PAINT = ("QtWidgets.QStyle", "QtWidgets.QMessageBox", "QtGui.QGradient", "QtGui.QImage",
                             "QtCore.QProcess", "QtCore.QUrl")
QT_AT_FIRST_PAINT = """
import sys
import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
from portmanager_gui import app
def made():
    return [name for name in {names!r}
            if name.split(".")[1] in vars(getattr(PySide6, name.split(".")[0]))]
lazy = "QWizard" not in vars(PySide6.QtWidgets)
seen, build = [], app.build
def spy(*args, **kwargs):
    parts = build(*args, **kwargs)
    parts.presenter.rows_changed.connect(lambda _rows: seen.append(made())
                                         if parts.presenter.snapshot is not None and not seen else None)
    return parts
app.build = spy
code = app.main(["--smoke", "--registry", sys.argv[1]])
print("lazy" if lazy else "eager", "made at first paint:", *(seen[0] if seen else ["(never painted)"]))
sys.exit(code)
"""


def test_the_first_paint_makes_no_python_type_of_qt_classes_it_does_not_use(tmp_path: Path):
    done = _launch(tmp_path, QT_AT_FIRST_PAINT.format(names=QT_NOT_BEFORE_FIRST_PAINT))
    if done.stdout.startswith("eager"):
        pytest.skip("this PySide6 makes every class at import")
    assert "lazy made at first paint:\n" in done.stdout, done.stdout
