"""Double-click entry point (and the bundle's): starts the Port Manager desktop app.

Everything it does before the app -- stdio without a console, ``-m`` inside a bundle, a
message when a dependency is missing -- is in ``portmanager_gui/entry.py``.
"""
from portmanager_gui.entry import run

if __name__ == "__main__":
    raise SystemExit(run())
