"""The double-click / bundle entry: stdio without a console, -m in a bundle, missing deps."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portmanager_gui import entry

REPO = Path(__file__).resolve().parents[1]


def test_module_request_only_in_a_bundle():
    argv = ["/b/PortManager", "-m", "portmanager_gui.demo", "router", "--port", "1"]
    assert entry.module_request(argv, frozen=True) == ("portmanager_gui.demo", ["router", "--port", "1"])
    assert entry.module_request(argv, frozen=False) is None
    assert entry.module_request(["/b/PortManager", "--smoke"], frozen=True) is None
    assert entry.module_request(["/b/PortManager", "-m"], frozen=True) is None


def test_only_our_own_modules_are_run(capsys):
    assert entry.run_module("http.server", ["8000"]) == 2
    assert "not 'http.server'" in capsys.readouterr().err
    assert entry.run_module("portmanager_gui_evil", []) == 2


def test_our_module_runs_as_with_python_dash_m(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/b/PortManager"])
    with pytest.raises(SystemExit) as done:
        entry.run_module("portmanager_gui.demo", ["--help"])
    assert done.value.code == 0
    assert "router" in capsys.readouterr().out


def test_quiet_stdio_replaces_only_what_is_missing(monkeypatch, pm_home):
    out = sys.stdout
    monkeypatch.setattr(sys, "stderr", None)
    entry.quiet_stdio()
    try:
        assert sys.stdout is out
        print("a traceback would go here", file=sys.stderr)
        log = pm_home / "logs" / entry.ERROR_LOG
        assert log.read_text(encoding="utf-8") == "a traceback would go here\n"
    finally:
        sys.stderr.close()


def test_missing_dependency_text_says_how_to_install():
    text = entry.missing_dependency_text("PySide6", "/usr/bin/python3", "/src/pm")
    assert "'PySide6' is not installed" in text
    assert '"/usr/bin/python3" -m pip install -e "/src/pm"' in text


def _child(code: str, tmp_path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PORTMANAGER_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=env, cwd=tmp_path)


def test_a_console_less_bundle_runs_the_cli_module_without_crashing(tmp_path):
    """pythonw / a windowed bundle: stdout and stderr are None; -m portmanager_gui must still work."""
    code = ("import sys; sys.stdout = None; sys.stderr = None; sys.frozen = True\n"
            "from portmanager_gui.entry import run\n"
            "try:\n"
            "    code = run(['PortManager', '-m', 'portmanager_gui', 'env'])\n"
            "except SystemExit as done:\n"
            "    code = done.code\n"
            # what the app and libraries do with stdio, which fails on None
            "sys.stdout.write('x'); sys.stdout.flush(); sys.stderr.flush()\n"
            "import faulthandler; faulthandler.enable()\n"
            "raise SystemExit(code)\n")
    done = _child(code, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    # it really ran the command: the first run wrote the default registry
    assert (tmp_path / "config" / "registry.yaml").is_file()


@pytest.mark.parametrize("script", ["main.py", "main.pyw"])
def test_double_click_scripts_call_the_entry(script):
    text = (REPO / script).read_text(encoding="utf-8")
    assert "from portmanager_gui.entry import run" in text
    assert "raise SystemExit(run())" in text


def test_a_missing_dependency_is_explained_not_a_traceback(tmp_path):
    # PySide6 blocked as if not installed; tkinter blocked so no dialog can wait for a click
    code = ("import sys; sys.modules['PySide6'] = None; sys.modules['tkinter'] = None\n"
            "from portmanager_gui.entry import run\n"
            "raise SystemExit(run(['main.py']))\n")
    done = _child(code, tmp_path)
    assert done.returncode == 1
    assert "'PySide6' is not installed" in done.stderr and "-m pip install -e" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_second_launch_does_not_erase_the_first_ones_tracebacks(monkeypatch, pm_home):
    log = pm_home / "logs" / entry.ERROR_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("Traceback of the running first instance\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", None)
    entry.quiet_stdio()                  # the second launch, before the single-instance check
    try:
        print("second", file=sys.stderr)
    finally:
        sys.stderr.close()
    assert log.read_text(encoding="utf-8") == "Traceback of the running first instance\nsecond\n"


def test_a_large_error_log_is_moved_aside(monkeypatch, pm_home):
    log = pm_home / "logs" / entry.ERROR_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("x" * (entry.ERROR_LOG_LIMIT + 1), encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", None)
    entry.quiet_stdio()
    sys.stderr.close()
    assert log.read_text(encoding="utf-8") == ""
    assert log.with_name(entry.ERROR_LOG + ".1").stat().st_size == entry.ERROR_LOG_LIMIT + 1
