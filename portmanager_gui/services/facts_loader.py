"""Reads the OS facts (ephemeral range, excluded ports...) off the GUI thread.

On Windows that means running ``netsh`` twice, which can take a few hundred milliseconds:
too long for the GUI thread at start-up. The result arrives as ``loaded(PlatformFacts)``.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..core.platform.facts import PlatformFacts, current_facts
from .background import Background


class FactsLoader(QObject):
    loaded = Signal(object)            # PlatformFacts

    def __init__(self, read: Callable[[], PlatformFacts] = current_facts, parent: QObject | None = None):
        super().__init__(parent)
        self._read = read
        self._worker = Background(self, name="facts")

    def start(self) -> None:
        self._worker.run(self._read, self.loaded.emit)

    def wait_idle(self, ms: int = 10000) -> bool:
        return self._worker.wait_idle(ms)

    def shutdown(self, ms: int = 10000) -> bool:
        return self._worker.shutdown(ms)
