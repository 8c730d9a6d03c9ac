"""Reads the OS facts (ephemeral range, excluded ports...) off the GUI thread.

On Windows that means running ``netsh`` twice, which can take a few hundred milliseconds:
too long for the GUI thread at start-up. The result arrives as ``loaded(PlatformFacts)``,
and again every ``FACTS_TTL_S``: Windows' excluded port ranges change while the app runs.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.platform.facts import FACTS_TTL_S, PlatformFacts, current_facts
from .background import Background


class FactsLoader(QObject):
    loaded = Signal(object)            # PlatformFacts

    def __init__(self, read: Callable[[], PlatformFacts] = current_facts, parent: QObject | None = None):
        super().__init__(parent)
        self._read = read
        self._worker = Background(self, name="facts")
        self._timer = QTimer(self)
        self._timer.setInterval(int(FACTS_TTL_S * 1000))
        self._timer.timeout.connect(self._load)

    def start(self) -> None:
        self._load()
        self._timer.start()

    def _load(self) -> None:
        self._worker.run(self._read, self.loaded.emit)

    def wait_idle(self, ms: int = 10000) -> bool:
        self._timer.stop()
        return self._worker.wait_idle(ms)

    def shutdown(self, ms: int = 10000) -> bool:
        self._timer.stop()
        return self._worker.shutdown(ms)
