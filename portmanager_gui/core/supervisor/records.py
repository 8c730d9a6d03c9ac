"""The state record: which processes Port Manager started (or adopted), on which port.

One JSON file (``paths.services_state_file``) shared by every ``portmanager`` command and
the desktop app, so whoever comes later -- also after the starter crashed -- can find,
show and stop what was started. Each entry keeps the pid *and* its create time: a pid
alone can be reused by an unrelated process, so a record is "alive" only while a process
with that pid and that create time exists.

Updates are read-modify-write under a file lock and written atomically
(``yamlio.write_atomic``), so a crash mid-write never leaves half a file.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..paths import Paths
from ..platform.file_lock import locked
from ..registry.save import write_atomic

STATE_VERSION = 1
# psutil derives create_time from the boot time, which the kernel may report a second
# apart in two processes; a pid reused within a second of the original is not plausible.
CREATE_TIME_TOLERANCE = 1.0


@dataclass(frozen=True)
class ManagedRecord:
    """One entry of the state record."""

    unit: str
    pid: int
    create_time: float
    port: int
    argv: tuple[str, ...]
    started_at: float                 # wall-clock time (time.time()) of the start
    log_path: str
    alive: bool = False               # computed when read: pid exists with the same create_time
    adopted: bool = False             # found running (by hand, or left over) rather than started
    own_group: bool = True            # started in its own process group / session by us
    preferred: int | None = None      # the service's preferred port, to show a fallback
    owner_pid: int | None = None      # the Port Manager process that started it

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("alive")
        data["argv"] = list(self.argv)
        return data

    @classmethod
    def from_json(cls, unit: str, data: dict[str, Any]) -> "ManagedRecord":
        return cls(
            unit=unit,
            pid=int(data["pid"]),
            create_time=float(data["create_time"]),
            port=int(data["port"]),
            argv=tuple(str(a) for a in data.get("argv", ())),
            started_at=float(data.get("started_at", 0.0)),
            log_path=str(data.get("log_path", "")),
            adopted=bool(data.get("adopted", False)),
            own_group=bool(data.get("own_group", True)),
            preferred=data.get("preferred"),
            owner_pid=data.get("owner_pid"),
        )


def process_matches(pid: int, create_time: float) -> bool:
    """True while the process ``pid`` is the very one that had ``create_time``.

    psutil is imported here, when there is a record to check: `portmanager url` needs none."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - create_time) <= CREATE_TIME_TOLERANCE
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


@dataclass
class StateStore:
    """Read and update the state record at ``path`` (a lock file sits beside it)."""

    path: Path
    is_alive: Callable[[int, float], bool] = field(default=process_matches)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _read_raw(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged record must not stop anyone from starting or stopping: treat it as
            # empty; the next write replaces it (write_atomic keeps a .bak of the old one).
            return {}
        units = data.get("units") if isinstance(data, dict) else None
        return {str(k): v for k, v in units.items() if isinstance(v, dict)} if isinstance(units, dict) else {}

    def _write_raw(self, units: dict[str, dict[str, Any]]) -> None:
        text = json.dumps({"version": STATE_VERSION, "units": units}, indent=2, sort_keys=True) + "\n"
        write_atomic(self.path, text, backup=False)

    def records(self) -> list[ManagedRecord]:
        """Every record, read fresh from the file, with ``alive`` computed now."""
        out = []
        for unit, data in sorted(self._read_raw().items()):
            try:
                rec = ManagedRecord.from_json(unit, data)
            except (KeyError, TypeError, ValueError):
                continue
            out.append(replace(rec, alive=self.is_alive(rec.pid, rec.create_time)))
        return out

    def get(self, unit: str) -> ManagedRecord | None:
        return next((r for r in self.records() if r.unit == unit), None)

    @contextmanager
    def _update(self) -> Iterator[dict[str, dict[str, Any]]]:
        with locked(self.lock_path):
            units = self._read_raw()
            yield units
            self._write_raw(units)

    def put(self, record: ManagedRecord) -> None:
        with self._update() as units:
            units[record.unit] = record.to_json()

    def remove(self, unit: str, pid: int | None = None) -> None:
        """Forget ``unit`` -- only if it still names ``pid`` when given (another start may have won)."""
        with self._update() as units:
            current = units.get(unit)
            if current is not None and (pid is None or current.get("pid") == pid):
                del units[unit]

    def prune_dead(self) -> list[ManagedRecord]:
        """Drop records whose process is gone; returns the dropped ones."""
        dropped: list[ManagedRecord] = []
        with self._update() as units:
            for unit, data in list(units.items()):
                try:
                    rec = ManagedRecord.from_json(unit, data)
                except (KeyError, TypeError, ValueError):
                    del units[unit]
                    continue
                if not self.is_alive(rec.pid, rec.create_time):
                    dropped.append(rec)
                    del units[unit]
        return dropped


def store_for(paths: Paths) -> StateStore:
    return StateStore(paths.services_state_file)


def running_port(paths: Paths, unit: str) -> int | None:
    """The port ``unit`` really runs on (a fallback is followed), or None when not running."""
    rec = store_for(paths).get(unit)
    return rec.port if rec is not None and rec.alive else None


__all__ = ["ManagedRecord", "StateStore", "store_for", "running_port", "process_matches"]
