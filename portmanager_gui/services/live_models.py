"""Live truth of a running llama-swap / ClaraCore in the app, off the GUI thread.

``LiveModels.check(registry, listeners)`` -- called with each machine-wide scan (the All ports
rows) -- hands the core's ``live.report`` to its own worker: it reads the proxy's ``/running`` on
loopback (bounded timeout) and recognises llama-server holders among the listeners, then
``reported`` carries the ``LiveReport`` values to the GUI thread. Checks never pile up: while
one runs, only the newest request waits. A registry without a runtime-numbered pool costs
nothing (no job, no network).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.interop import live
from ..core.registry.model import Registry
from .background import Background, JobFailure, job_failure

log = logging.getLogger(__name__)

ReportFn = Callable[[Registry, list], tuple]


def _describe(exc: Exception) -> JobFailure:
    log.exception("live model check failed")    # a bug must reach the log, never kill the worker
    return job_failure(exc)


def _job(report: ReportFn, registry: Registry, listeners: Iterable[Any]) -> Callable[[], tuple]:
    """Values only: the registry and the listener rows (each with ``port`` and ``holder.cmdline``)."""
    def job() -> tuple:
        holders = [(r.port, r.holder.cmdline) for r in listeners if getattr(r, "holder", None) is not None]
        return report(registry, holders)
    return job


class LiveModels(QObject):
    reported = Signal(object)        # tuple[LiveReport, ...] (empty: no runtime-numbered pool)
    failed = Signal(object)          # JobFailure

    def __init__(self, report: ReportFn = live.report, parent: QObject | None = None):
        super().__init__(parent)
        self._report = report
        self._worker = Background(self, name="live-models", describe=_describe)
        self._next: tuple[Registry, Any] | None = None
        self._busy = False
        self._told_empty = True          # nothing reported yet counts as "no pools"
        self._registry: Registry | None = None

    def set_registry(self, registry: Registry) -> None:
        """The registry the next scans are checked against (``on_scan``)."""
        self._registry = registry

    def on_scan(self, update: Any) -> None:
        """A machine-wide scan's answer (its ``listeners``): check it against the registry set last."""
        self.check(self._registry, update.listeners)

    def check(self, registry: Registry | None, listeners: Iterable[Any]) -> None:
        if registry is None or not any(g.numbered_by for g in registry.pools()):
            if not self._told_empty:
                self._told_empty = True
                self.reported.emit(())
            return
        if self._busy:
            self._next = (registry, listeners)
            return
        self._busy = self._worker.run(_job(self._report, registry, listeners), self._done, self._failed)

    def _done(self, reports: tuple) -> None:
        self._told_empty = not reports
        self.reported.emit(reports)
        self._again()

    def _failed(self, failure: JobFailure) -> None:
        self.failed.emit(failure)
        self._again()

    def _again(self) -> None:
        self._busy = False
        if self._next is not None:
            registry, listeners = self._next
            self._next = None
            self.check(registry, listeners)

    def wait_idle(self, ms: int = 5000) -> bool:
        return self._worker.wait_idle(ms)

    def shutdown(self, ms: int = 5000) -> bool:
        self._next = None
        return self._worker.shutdown(ms)
