"""Periodic port scans off the GUI thread.

``Scanner`` owns one QTimer and one ``Background`` worker. Each tick runs the scan
function (``OccupancyScanner.scan``) and, when given, the managed-records function on the
worker thread and delivers the values as signals on the GUI thread. Scans never overlap:
the timer is single-shot and re-armed only when a scan has finished, and a refresh asked
for while one runs is folded into one more scan right after it. ``shutdown()`` (the
composition root calls it) stops the timer and ends the worker thread.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.occupancy.snapshot import Snapshot
from .background import Background, JobFailure, job_failure

log = logging.getLogger(__name__)

ScanFn = Callable[[Iterable[int]], Snapshot]
RecordsFn = Callable[[], Any]


def _scan_job(scan: ScanFn, ports: frozenset[int], records: RecordsFn | None) -> Callable[[], tuple]:
    """The worker's job: values only, never the ``Scanner`` itself."""
    def job() -> tuple:
        return scan(ports), (records() if records is not None else None)
    return job


def _describe(exc: Exception) -> JobFailure:
    log.exception("port scan failed")   # a scan failure must reach the UI, never kill the worker
    return job_failure(exc)


class Scanner(QObject):
    snapshot_changed = Signal(object)      # Snapshot
    records_changed = Signal(object)       # whatever records() returned (the app: a StateRead)
    scan_failed = Signal(object)           # JobFailure

    def __init__(self, scan: ScanFn, *, records: RecordsFn | None = None, interval_ms: int = 2000,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._scan = scan
        self._records = records
        self._ports: frozenset[int] = frozenset()
        self._busy = False
        self._again = False
        self._running = False
        self._stopped = False          # stop() was called: no more scans, even when asked
        self._worker = Background(self, name="scanner", describe=_describe)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self.last: Snapshot | None = None

    @property
    def busy(self) -> bool:
        return self._busy

    def set_ports(self, ports: Iterable[int]) -> None:
        self._ports = frozenset(ports)

    def set_interval(self, ms: int) -> None:
        self._timer.setInterval(ms)
        if self._running and self._timer.isActive():
            self._timer.start()

    def interval(self) -> int:
        return self._timer.interval()

    def start(self) -> None:
        """Scan now and then every interval."""
        self._running, self._stopped = True, False
        self.refresh()

    def stop(self) -> None:
        self._running, self._stopped = False, True
        self._timer.stop()

    def pause(self) -> None:
        """No more periodic scans until ``start``; ``refresh`` still scans once when asked."""
        self._running = False
        self._timer.stop()

    @property
    def running(self) -> bool:
        return self._running

    def refresh(self) -> None:
        """Scan as soon as possible (right after the scan in progress, if any); not once stopped."""
        if self._stopped:
            return
        if self._busy:
            self._again = True
            return
        self._timer.stop()
        self._busy = True
        if not self._worker.run(_scan_job(self._scan, self._ports, self._records), self._on_done,
                                self._on_failed):
            self._busy = False

    def wait_idle(self, ms: int = 5000) -> bool:
        """Block until the worker is idle (shutdown and tests only)."""
        return self._worker.wait_idle(ms)

    def shutdown(self, ms: int = 5000) -> bool:
        """No more scans; wait for the one running and end the worker thread."""
        self.stop()
        return self._worker.shutdown(ms)

    def _finish(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.refresh()
        elif self._running:
            self._timer.start()

    def _on_done(self, result: tuple) -> None:
        snapshot, records = result
        self.last = snapshot
        if records is not None:
            self.records_changed.emit(records)
        self.snapshot_changed.emit(snapshot)
        self._finish()

    def _on_failed(self, failure: JobFailure) -> None:
        self.scan_failed.emit(failure)
        self._finish()
