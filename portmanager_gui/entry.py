"""What runs first when Port Manager is double-clicked: ``main.py``, ``main.pyw`` or the bundle.

Three jobs before the desktop app starts:

- Without a console (``pythonw``, a windowed bundle on Windows) ``sys.stdout`` and
  ``sys.stderr`` are None and the first ``print`` or traceback would crash the app. They
  become the null device and a per-run error log in the logs folder.
- A bundle has no Python of its own for ``{python}`` in the registry: the supervisor runs
  ``<bundle executable> -m portmanager_gui.demo router ...``. Inside a bundle that argv
  runs the module, so the default registry's demo servers (and ``-m portmanager_gui``,
  the ``portmanager`` command) work there too. Only this package's modules are accepted.
- A plain Python without the dependencies gets a message saying how to install them, in a
  dialog too: a double-clicked script's console window closes before anyone reads it.
"""
from __future__ import annotations

import gc
import os
import runpy
import sys
from collections.abc import Sequence
from typing import TextIO

from .core import paths, resources

PACKAGE = "portmanager_gui"
DEPENDENCIES = {"PySide6", "shiboken6", "psutil", "platformdirs", "ruamel"}
ERROR_LOG = "gui-errors.log"
ERROR_LOG_LIMIT = 1_000_000


def quiet_stdio() -> None:
    """Give a console-less process a stdout and stderr that cannot fail."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = _error_log() or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _error_log() -> TextIO | None:
    """Tracebacks, in the logs folder. Appended to: a second launch runs this before the
    single-instance check, and must not erase what the running first one wrote. Bounded
    by moving a log over ``ERROR_LOG_LIMIT`` to ``.1`` (left alone while another process
    holds it open on Windows)."""
    try:
        log_dir = paths.resolve().log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        log = log_dir / ERROR_LOG
        try:
            if log.stat().st_size > ERROR_LOG_LIMIT:
                os.replace(log, log.with_name(ERROR_LOG + ".1"))
        except OSError:
            pass
        return open(log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the process
    except OSError:
        return None


def module_request(argv: Sequence[str], frozen: bool) -> tuple[str, list[str]] | None:
    """``[exe, "-m", "portmanager_gui.demo", args...]`` in a bundle -> (module, args)."""
    if not frozen or len(argv) < 3 or argv[1] != "-m":
        return None
    return argv[2], list(argv[3:])


def run_module(module: str, args: Sequence[str]) -> int:
    """Run one of our modules as ``python -m`` would."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        print(f"Port Manager's bundle runs only its own modules ({PACKAGE}...), not {module!r}.",
              file=sys.stderr)
        return 2
    sys.argv = [sys.argv[0], *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


def missing_dependency_text(name: str, python: str, source_root: str) -> str:
    return (f"Port Manager cannot start: the Python package '{name}' is not installed for\n"
            f"{python}.\n\nInstall Port Manager and what it needs with:\n"
            f'  "{python}" -m pip install -e "{source_root}"\n\n'
            "or download the Port Manager app, which needs no Python.")


def _tell(text: str, has_console: bool) -> None:
    """Print it, and show it in a dialog: a double-clicked main.py's console closes at exit."""
    if has_console:
        print(text, file=sys.stderr)
    try:  # a dialog from the standard library, where this Python has Tk and there is a display
        import tkinter
        from tkinter import messagebox

        root = tkinter.Tk()
        root.withdraw()
        messagebox.showerror("Port Manager", text)
        root.destroy()
    except Exception:  # noqa: BLE001 - printing above (or the error log) is all that is left
        if not has_console:
            print(text, file=sys.stderr)


def run(argv: Sequence[str] | None = None) -> int:
    """The double-click entry: returns the process exit code."""
    has_console = sys.stdout is not None and sys.stderr is not None
    quiet_stdio()
    given = argv
    argv = list(sys.argv if given is None else given)
    request = module_request(argv, resources.is_frozen())
    if request:
        return run_module(*request)
    # No cyclic garbage collection until the first paint (``app._start_rest`` resumes it): the
    # start-up makes ~40,000 objects that live as long as the app and little garbage, and ~80
    # collections that walk them cost ~50 ms of it (issue 16).
    gc.disable()
    # Linux: the first walk of /proc (who owns which socket) starts now in a helper process,
    # on another core while the app imports its modules (``owner_seed_linux``).
    owner_seed = None
    if sys.platform.startswith("linux"):
        from .core.occupancy import owner_seed_linux

        owner_seed = owner_seed_linux.start()
    try:
        from .app import main
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top not in DEPENDENCIES:
            raise
        python = sys.executable
        _tell(missing_dependency_text(top, python, str(resources.SOURCE_ROOT)), has_console)
        if owner_seed is not None:
            owner_seed.discard()
        return 1
    return main(owner_seed=owner_seed) if given is None else main(argv[1:], owner_seed=owner_seed)
