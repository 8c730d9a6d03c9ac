"""Reads the OS facts (ephemeral range, excluded ports...) off the GUI thread.

On Windows that means running ``netsh`` twice, which can take a few hundred milliseconds:
too long for the GUI thread at start-up. The result arrives as ``loaded(PlatformFacts)``.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..core.platform.facts import PlatformFacts, current_facts


class FactsLoader(QObject):
    loaded = Signal(object)            # PlatformFacts

    def __init__(self, read: Callable[[], PlatformFacts] = current_facts, parent: QObject | None = None):
        super().__init__(parent)
        self._read = read

    def start(self) -> None:
        # A queued delivery: ``loaded`` is emitted on the reader thread, received on the GUI thread.
        threading.Thread(target=lambda: self.loaded.emit(self._read()), name="os-facts", daemon=True).start()
