"""The one way services run work off the GUI thread: a worker thread, results back on the GUI thread.

``Background`` runs plain functions one at a time, in order, on its own worker thread (a
``concurrent.futures.ThreadPoolExecutor`` of one thread) and hands each result -- or the
text of the exception -- to a callback on the thread that owns the ``Background`` (the GUI
thread), through a queued signal.

Lifetime is explicit. The composition root (``app.shutdown``) -- or a test's fixture -- calls
``shutdown()``, which refuses new jobs, waits for the running one and ends the thread. Nothing
depends on Python's collector for that, and nothing can hang if it is forgotten: no destructor
waits for a thread (a ``QThreadPool`` does, and when the collector destroyed one from its own
pooled thread, that thread waited for itself forever). The job that travels to the worker
holds only the function and a ticket; the callbacks stay on the GUI thread, so a running job
never keeps the object that asked for it alive. The functions handed to ``run`` should not
capture their owner either (pass values, not ``self``).
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


def _plain(exc: Exception) -> str:
    log.exception("background job failed")
    return str(exc) or type(exc).__name__


class Fault(Enum):
    BAD_INPUT = "bad_input"     # the core's own error: its text names file:line / key and what to do
    OS = "os"                   # the OS refused: ``path`` and its reason
    BUG = "bug"                 # anything else: a defect (logged with its traceback)


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed, as values: the UI words it (``ui.text.job_failure``)."""

    fault: Fault
    detail: str                 # the exception's own text (an OSError's reason)
    path: str = ""              # the file an OS error names, "" when it names none


def job_failure(exc: Exception, bad_input: tuple[type[Exception], ...] = ()) -> JobFailure:
    """A ``describe`` for ``Background``: ``bad_input`` are the core errors that explain themselves."""
    if isinstance(exc, bad_input):
        return JobFailure(Fault.BAD_INPUT, str(exc))
    if isinstance(exc, OSError):
        return JobFailure(Fault.OS, exc.strerror or str(exc), str(exc.filename or ""))
    log.exception("background job failed")     # a bug must reach the log and the user, never kill the worker
    return JobFailure(Fault.BUG, f"{type(exc).__name__}: {exc}")


class _Relay(QObject):
    """Lives on the owner's thread; what the worker emits is queued to it."""

    finished = Signal(int, object)     # ticket, value
    failed = Signal(int, object)       # ticket, what ``describe`` made of the exception


def _job(fn: Callable[[], Any], ticket: int, describe: Callable[[Exception], Any], relay: _Relay) -> None:
    """Runs on the worker thread: no reference to the ``Background`` or to the callbacks."""
    try:
        value = fn()
    except Exception as exc:  # reported through ``fail``; never kills the worker thread
        relay.failed.emit(ticket, describe(exc))
        return
    relay.finished.emit(ticket, value)


class Background(QObject):
    """One worker thread for plain functions; see the module docstring."""

    def __init__(self, parent: QObject | None = None, *, name: str = "background",
                 describe: Callable[[Exception], Any] = _plain):
        super().__init__(parent)
        self.name = name
        self.describe = describe             # exception -> what ``fail`` receives (text, ``JobFailure``)
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(1, thread_name_prefix=f"pm-{name}")
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._tickets = itertools.count(1)
        self._waiting: dict[int, tuple[Callable[[Any], None], Callable[[str], None] | None]] = {}
        self._futures: list[Future] = []     # touched on this object's thread only

    @property
    def closed(self) -> bool:
        return self._executor is None

    @property
    def busy(self) -> bool:
        """A job was asked for and its answer has not been delivered yet."""
        return bool(self._waiting)

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None],
            fail: Callable[[Any], None] | None = None) -> bool:
        """Run ``fn()`` on the worker thread; then ``done(result)`` -- or ``fail(message)`` if it
        raised -- on this object's thread. False (and nothing runs) once shut down."""
        if self._executor is None:
            log.warning("%s: job refused after shutdown", self.name)
            return False
        ticket = next(self._tickets)
        self._waiting[ticket] = (done, fail)
        future = self._executor.submit(_job, fn, ticket, self.describe, self._relay)
        self._futures = [f for f in self._futures if not f.done()] + [future]
        return True

    def wait_idle(self, ms: int = 10000) -> bool:
        """Block until every job asked for so far has run (shutdown and tests only).

        Their answers are queued by then and are delivered when the event loop next runs."""
        pending = [f for f in self._futures if not f.done()]
        if not pending:
            return True
        _done, not_done = wait_futures(pending, timeout=ms / 1000)
        return not not_done

    def shutdown(self, ms: int = 10000) -> bool:
        """Refuse new jobs, wait up to ``ms`` for the queued ones and end the worker thread.

        True when everything finished in time. Answers already queued are still delivered;
        a job still running after ``ms`` is abandoned (its thread ends when it returns)."""
        if self._executor is None:
            return True
        finished = self.wait_idle(ms)
        executor, self._executor = self._executor, None
        executor.shutdown(wait=finished, cancel_futures=True)
        return finished

    def _on_finished(self, ticket: int, value: Any) -> None:
        done, _fail = self._waiting.pop(ticket, (None, None))
        if done is not None:
            done(value)

    def _on_failed(self, ticket: int, message: Any) -> None:
        _done, fail = self._waiting.pop(ticket, (None, None))
        if fail is not None:
            fail(message)
