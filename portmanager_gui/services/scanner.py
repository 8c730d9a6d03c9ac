"""Periodic port scans off the GUI thread.

``Scanner`` owns one QTimer and one single-thread QThreadPool. Each tick runs the scan
function (``OccupancyScanner.scan``) and, when given, the managed-records function on the
worker thread and delivers the values as signals on the GUI thread. Scans never overlap:
the timer is single-shot and re-armed only when a scan has finished, and a refresh asked
for while one runs is folded into one more scan right after it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from ..core.occupancy.snapshot import Snapshot

log = logging.getLogger(__name__)

ScanFn = Callable[[Iterable[int]], Snapshot]
RecordsFn = Callable[[], Any]


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the worker are queued to it."""

    done = Signal(object, object)     # Snapshot, records (or None)
    failed = Signal(str)


class _ScanJob(QRunnable):
    def __init__(self, scan: ScanFn, ports: frozenset[int], records: RecordsFn | None, relay: _Relay):
        super().__init__()
        self._scan, self._ports, self._records, self._relay = scan, ports, records, relay

    def run(self) -> None:
        try:
            snapshot = self._scan(self._ports)
            records = self._records() if self._records is not None else None
        except Exception as exc:  # a scan failure must reach the UI, never kill the worker
            log.exception("port scan failed")
            self._relay.failed.emit(f"scanning ports failed: {exc}")
            return
        self._relay.done.emit(snapshot, records)


class Scanner(QObject):
    snapshot_changed = Signal(object)      # Snapshot
    records_changed = Signal(object)       # whatever records() returned (a list of records)
    scan_failed = Signal(str)

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
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
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

    def refresh(self) -> None:
        """Scan as soon as possible (right after the scan in progress, if any); not once stopped."""
        if self._stopped:
            return
        if self._busy:
            self._again = True
            return
        self._timer.stop()
        self._busy = True
        self._pool.start(_ScanJob(self._scan, self._ports, self._records, self._relay))

    def wait_idle(self, ms: int = 5000) -> bool:
        """Block until the worker is idle (shutdown and tests only)."""
        return self._pool.waitForDone(ms)

    def _finish(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.refresh()
        elif self._running:
            self._timer.start()

    def _on_done(self, snapshot: Snapshot, records: Any) -> None:
        self.last = snapshot
        if records is not None:
            self.records_changed.emit(records)
        self.snapshot_changed.emit(snapshot)
        self._finish()

    def _on_failed(self, message: str) -> None:
        self.scan_failed.emit(message)
        self._finish()
