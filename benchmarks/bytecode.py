"""Bytecode for the package before anything is timed: an installed Port Manager has it.

pip compiles a package's modules when it installs it and the bundle carries them compiled,
so a user's launch reads ``.pyc`` files. A checkout run with ``PYTHONDONTWRITEBYTECODE=1``
(as CI and sandboxes often set) would instead compile every module again at every launch --
about a third of a second of the app's start on the benchmark machine -- and time Python's
compiler, not Port Manager. ``compileall`` writes the files whatever that variable says.
"""
from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_package() -> bool:
    """Compile ``portmanager_gui`` (only what changed since the last time); True when all compiled."""
    return bool(compileall.compile_dir(ROOT / "portmanager_gui", quiet=1))
