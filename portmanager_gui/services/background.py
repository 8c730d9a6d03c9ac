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


def _plain(exc: Exception) -> str:
    log.exception("background job failed")
    return str(exc) or type(exc).__name__


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], Any], done: Callable[[Any], None], fail: Callable[[str], None] | None,
                 owner: "Background"):
        super().__init__()
        self._fn, self._done, self._fail, self._owner = fn, done, fail, owner

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as exc:  # reported through ``fail``; never kills the worker thread
            message = self._owner.describe(exc)
            if self._fail is not None:
                self._owner._failed.emit(self._fail, message)
            return
        self._owner._finished.emit(self._done, value)


class Background(QObject):
    _finished = Signal(object, object)       # done callback, value (queued to the GUI thread)
    _failed = Signal(object, str)            # fail callback, message

    def __init__(self, parent: QObject | None = None, *, describe: Callable[[Exception], str] = _plain):
        super().__init__(parent)
        self.describe = describe             # exception -> the text ``fail`` receives
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._finished.connect(lambda done, value: done(value))
        self._failed.connect(lambda fail, message: fail(message))

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None],
            fail: Callable[[str], None] | None = None) -> None:
        """Run ``fn()`` on the worker thread; then ``done(result)`` -- or ``fail(message)`` if it
        raised -- on this object's thread."""
        self._pool.start(_Call(fn, done, fail, self))

    def post(self, done: Callable[[Any], None], value: Any) -> None:
        """From inside a job: hand ``value`` to ``done`` on this object's thread, now."""
        self._finished.emit(done, value)

    def wait_idle(self, ms: int = 10000) -> bool:
        return self._pool.waitForDone(ms)
