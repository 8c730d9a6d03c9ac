"""What the app imports when it is first used, not to paint the first snapshot (issue 16).

The composition root (``app``) hands these to the objects it builds: the supervisor at the
first start or stop, the kill safety check at the first kill, a container engine at the
first container stop, the questions' and settings' dialogs when first asked, the desktop's
URL opener, the macOS notifier with the tray. Each imports its module on its first call.
"""
from __future__ import annotations

import linecache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # nothing of the app's own at import: ``app`` imports this before ``qt_start``
    import threading

    from .core import paths as core_paths
    from .core import settings as core_settings
    from .core.occupancy.scan import OccupancyScanner


def drop_source_cache() -> None:
    """Forget the source lines PySide6's import hook read, after a batch of imports.

    PySide6 replaces ``__import__`` and, to support ``from __feature__ import ...``, reads the
    source of every module imported after it (``inspect.getsource``, looking for "PySide6"),
    through ``linecache``, which keeps every line for good: about 7 MB for the modules of this
    app, which a bare PySide6 app never imports. A traceback reads the files again when needed.
    (``qt_start`` stops those reads where it knows PySide6's hook; this covers the others.)
    """
    linecache.clearcache()


def stop_container(runtime: str, name: str):
    """Stop a container through its engine's command line (imported at the first stop)."""
    from .core.interop import docker

    return docker.stop_container(name, runtime=runtime)


def kill_policy():
    """The kill safety check, imported at the first kill (not needed to paint)."""
    from .core.kill import policy

    drop_source_cache()
    return policy


def explicit_kill(plan, paths: core_paths.Paths, scanner: OccupancyScanner):
    """The safe kill; one of our own services killed is stopped on purpose (never restarted)."""
    from .core.supervisor import explicit_kill

    drop_source_cache()
    return explicit_kill.kill(plan, paths, scanner=scanner)


def supervisor(registry, paths: core_paths.Paths, on_event, cancel: threading.Event):
    """The supervisor, imported at the first start or stop: the launch, stop and process-tree
    code is not needed to paint the first snapshot (issue 16: paint first)."""
    from .core.supervisor.supervisor import Supervisor

    drop_source_cache()
    return Supervisor(registry, paths, on_event=on_event, cancel=cancel)


def ask_yes_no(parent, title: str, text: str) -> bool:
    # the questions' module (QMessageBox, the kill words), when the first question is asked
    from .ui.dialogs import ask_yes_no

    return ask_yes_no(parent, title, text, "Yes", "No")


def ask_kill(parent, question) -> bool:
    # the questions' module, when the first kill is asked about
    from .ui.dialogs import ask_kill

    return ask_kill(parent, question)


def ask_all_taken(parent, question):
    # the questions' module, when a start first finds all its ports taken
    from .ui.dialogs import ask_all_taken

    return ask_all_taken(parent, question)


def open_url(url: str) -> None:
    # not needed to paint the first snapshot (issue 16): the Qt classes are made when first named
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl(url))


def ask_settings(parent, settings: core_settings.Settings) -> core_settings.Settings | None:
    # the dialog's module, when it is first opened
    from .ui.settings_dialog import ask_settings

    drop_source_cache()
    return ask_settings(parent, settings)


def notifier():
    """macOS: Notification Center through osascript, not Qt's deprecated NSUserNotification."""
    # with the tray only (a real launch, not --smoke)
    from .core.platform import current_os, notify
    from .services.notifier import ScriptNotifier

    route = notify.notify_route(current_os(), Path(notify.OSASCRIPT).is_file())
    return ScriptNotifier().show if route is notify.NotifyRoute.OSASCRIPT else None
