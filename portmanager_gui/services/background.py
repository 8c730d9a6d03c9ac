"""One worker thread for plain functions, with each result handed back on the GUI thread.

The same pattern as the scanner's and controller's pools (a QThreadPool of one thread and a
signal queued back to the GUI thread), for small jobs: reading the OS facts, saving the
registry. Jobs run one at a time, in order; ``wait_idle`` lets shutdown (and tests) wait so
no result is delivered to an object that is being torn down.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], Any], done: Callable[[Any], None], back: Any):
        super().__init__()
        self._fn, self._done, self._back = fn, done, back

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception:  # the job's own errors are its business; never kill the thread
            log.exception("background job failed")
            return
        self._back.emit(self._done, value)


class Background(QObject):
    _finished = Signal(object, object)       # done callback, value (queued to the GUI thread)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._finished.connect(lambda done, value: done(value))

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``fn()`` on the worker thread; then ``done(result)`` on this object's thread."""
        self._pool.start(_Call(fn, done, self._finished))

    def wait_idle(self, ms: int = 10000) -> bool:
        return self._pool.waitForDone(ms)
