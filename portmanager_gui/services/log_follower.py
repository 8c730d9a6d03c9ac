"""The log pane's source: the tail of the selected service's log, followed while the window shows.

``follow(unit)`` switches to a unit and reads its tail at once; then, every ``interval_ms``
while ``is_active()`` says the pane can be seen, the file is looked at again off the GUI
thread and ``tail_changed`` is emitted only when it changed. The file is opened by its path
each time, so a rotated log (moved to ``.1`` or copied and truncated) is followed into the new
file, and a log that appears after a start shows up without a new selection.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from .background import Background

FOLLOW_MS = 1000
TAIL_LINES = 200

FileKey = tuple[int, int, int] | None     # (inode, size, mtime ns) of the file; None: no file


def _key(path: Path) -> FileKey:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class LogFollower(QObject):
    tail_changed = Signal(str, object)     # unit, list[str] (empty: no log yet)

    def __init__(self, log_file: Callable[[str], Path], read_tail: Callable[[Path, int], list[str]],
                 is_active: Callable[[], bool], interval_ms: int = FOLLOW_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._log_file, self._read_tail, self._is_active = log_file, read_tail, is_active
        self.unit = ""
        self.exists = False                 # the followed unit's log file was there at the last look
        self._key: FileKey = None
        self._busy = False
        self._generation = 0                # answers for an earlier unit are dropped
        self._worker = Background(self, name="log")
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def log_file(self, unit: str) -> Path:
        return self._log_file(unit)

    def follow(self, unit: str) -> None:
        """Show ``unit``'s log ("" stops following); read now, then follow."""
        self.unit, self._key, self.exists = unit, None, False
        self._generation += 1
        if not unit:
            self._timer.stop()
            return
        self._timer.start()
        self._busy = False
        self._look()

    def refresh(self) -> None:
        """Look again now (after a start or stop of the followed unit)."""
        if self.unit:
            self._look()

    def stop(self) -> None:
        self._timer.stop()
        self._worker.wait_idle(5000)

    def shutdown(self, ms: int = 5000) -> bool:
        """No more looks; wait for the running read and end the worker thread."""
        self._timer.stop()
        return self._worker.shutdown(ms)

    def _tick(self) -> None:
        if self._is_active() and not self._busy:
            self._look()

    def _look(self) -> None:
        unit, gen, known = self.unit, self._generation, self._key
        path, read_tail = self._log_file(unit), self._read_tail
        self._busy = True

        def work() -> tuple[FileKey, list[str] | None]:
            key = _key(path)
            if key == known:
                return key, None              # unchanged since the last read
            return key, (read_tail(path, TAIL_LINES) if key is not None else [])

        self._worker.run(work, lambda out: self._answered(gen, unit, *out), lambda _msg: self._failed(gen))

    def _answered(self, gen: int, unit: str, key: FileKey, lines: list[str] | None) -> None:
        if gen != self._generation:
            return
        self._busy = False
        self._key, self.exists = key, key is not None
        if lines is not None:
            self.tail_changed.emit(unit, list(lines))

    def _failed(self, gen: int) -> None:
        if gen == self._generation:
            self._busy = False
