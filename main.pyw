"""Double-click entry point on Windows without a console window (pythonw.exe runs .pyw files).

The same as main.py; see portmanager_gui/entry.py.
"""
from portmanager_gui.entry import run

if __name__ == "__main__":
    raise SystemExit(run())
