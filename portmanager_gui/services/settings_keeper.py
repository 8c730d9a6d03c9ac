"""Keeps the settings file and the OS's start-at-login entry in step, off the GUI thread.

``apply(settings)`` saves the settings and turns start at login on or off to match;
``check_at_start(settings)`` rewrites the entry so it follows a moved app (unless it was
switched off in Task Manager, or this copy runs from a place that will be gone). Each answers
with one typed ``SettingsOutcome`` (``done``): the settings now in effect (start at login
turned off when the OS or the app's location blocks it), the blocker, the location problem, the
error text. The UI words them.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..core import settings as core_settings
from ..core.settings import Settings
from .background import Background

if TYPE_CHECKING:   # the start-at-login code is imported by the worker that first needs it (issue 16)
    from ..core.platform.autostart import Blocker


@dataclass(frozen=True)
class SettingsOutcome:
    """What saving (or checking) the settings gave: the settings in effect and any problem."""

    settings: Settings                      # what is in effect now (and in the file)
    blocker: Blocker | None = None          # start at login was turned off: why
    problem: Blocker | None = None          # at start: this copy runs from a place that will be gone
    error: str = ""                         # the entry could not be written or removed


def _blocked(settings: Settings, path: Path, blocker: Blocker) -> SettingsOutcome:
    """The switch shows what will happen at the next login: off."""
    off = dataclasses.replace(settings, start_at_login=False)
    core_settings.save(off, path)
    return SettingsOutcome(off, blocker=blocker)


def apply_settings(settings: Settings, path: Path) -> SettingsOutcome:
    """Save ``settings`` and make the start-at-login entry match (worker thread)."""
    from ..core.platform import autostart

    core_settings.save(settings, path)
    try:
        if settings.start_at_login or autostart.is_enabled(autostart.current_entry()):
            autostart.set_enabled(settings.start_at_login)
    except autostart.AutostartBlocked as exc:
        return _blocked(settings, path, exc.blocker)
    except autostart.AutostartError as exc:
        return SettingsOutcome(settings, error=str(exc))
    return SettingsOutcome(settings)


def check_autostart(settings: Settings, path: Path) -> SettingsOutcome:
    """At start: rewrite the entry so it follows the app when it was moved (worker thread)."""
    from ..core.platform import autostart

    problem = autostart.current_problem()
    try:
        blocker = autostart.keep_in_step(settings.start_at_login)
    except autostart.AutostartError as exc:
        return SettingsOutcome(settings, error=str(exc))
    if blocker is not None:
        return _blocked(settings, path, blocker)
    return SettingsOutcome(settings, problem=problem)


class SettingsKeeper(QObject):
    done = Signal(object)          # SettingsOutcome
    failed = Signal(str)           # the settings file could not be written

    def __init__(self, path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self._path = Path(path)
        self._worker = Background(self, name="settings")

    def apply(self, settings: Settings) -> None:
        self._run(apply_settings, settings)

    def check_at_start(self, settings: Settings) -> None:
        self._run(check_autostart, settings)

    def _run(self, fn: Callable[[Settings, Path], SettingsOutcome], settings: Settings) -> None:
        path = self._path
        self._worker.run(lambda: fn(settings, path), self.done.emit, self.failed.emit)

    def wait_idle(self, ms: int = 10000) -> bool:
        return self._worker.wait_idle(ms)

    def shutdown(self, ms: int = 10000) -> bool:
        """A save asked for just before quitting still lands."""
        return self._worker.shutdown(ms)
