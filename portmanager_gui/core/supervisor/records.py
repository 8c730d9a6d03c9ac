"""The state record: which processes Port Manager started (or adopted), on which port.

One JSON file (``paths.services_state_file``) shared by every ``portmanager`` command and
the desktop app, so whoever comes later -- also after the starter crashed -- can find,
show and stop what was started. Each entry keeps the pid *and* its create time: a pid
alone can be reused by an unrelated process. Each also keeps the start's mark
(``marker.MARKER_ENV``), which every descendant inherits. A record is "alive" while a
process with that pid and that create time exists, or -- when the first process is gone, as
with a daemon that forked, called setsid and forked again -- while a process carrying its
mark does (``marked`` lists them).

A start writes its record (with the mark, pid 0) *before* it spawns the child and fills in
the pid right after, so no child of ours ever runs without a record that finds it.

Updates are read-modify-write under a file lock and written atomically
(``atomic_write.write_atomic``), so a crash mid-write never leaves half a file.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..atomic_write import write_atomic
from ..paths import Paths
from ..platform.file_lock import locked

STATE_VERSION = 1


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
    start_ticks: int | None = None    # exact start time where the OS gives it (Linux /proc)
    stopping: bool = False            # an explicit stop is under way: its exit is not a crash
    marker: str = ""                  # PORTMANAGER_UNIT value every process of this start inherits
    relay_pid: int | None = None      # the log relay writing its output, and that relay's create time
    relay_started: float | None = None
    leader_alive: bool = False        # computed when read: ``pid`` is still the recorded process
    marked: tuple[int, ...] = ()      # computed when read (leader gone): live processes with ``marker``

    @property
    def pending(self) -> bool:
        """Written before the spawn; the pid follows once the child exists."""
        return self.pid <= 0

    @property
    def main_pid(self) -> int:
        """The pid to show: the recorded one while it lives, else the first marked process."""
        return self.pid if self.leader_alive or not self.marked else self.marked[0]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for computed in ("alive", "leader_alive", "marked"):
            data.pop(computed)
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
            start_ticks=data.get("start_ticks"),
            stopping=bool(data.get("stopping", False)),
            marker=str(data.get("marker", "")),
            relay_pid=data.get("relay_pid"),
            relay_started=data.get("relay_started"),
        )


def process_matches(pid: int, create_time: float, ticks: int | None = None) -> bool:
    """True while the process ``pid`` is the very one that had ``create_time`` (and ``ticks``)."""
    # imported here, when there is a record to check: `portmanager url` needs none
    from ..kill import identity

    return identity.check(identity.Identity(pid, create_time, ticks), zombie_is_gone=True) is identity.Match.SAME


@dataclass
class StateStore:
    """Read and update the state record at ``path`` (a lock file sits beside it)."""

    path: Path
    is_alive: Callable[[int, float], bool] | None = None   # tests inject one; default: exact identity

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def damaged_copy(self) -> Path:
        return self.path.with_name(self.path.name + ".damaged")

    def _read_raw(self) -> dict[str, dict[str, Any]]:
        units, _ = self._read_checked()
        return units

    def _read_checked(self) -> tuple[dict[str, dict[str, Any]], str | None]:
        """The units, and why the file is damaged (None when it is fine or missing).

        A damaged record must not stop anyone from starting or stopping, so it reads as
        empty -- but it is reported (``damaged``) and kept aside before it is overwritten.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, None
        except (OSError, ValueError) as exc:
            return {}, f"cannot be read ({exc})"
        import json  # only when there is a record: `url` and `env` without one start without it

        try:
            data = json.loads(text)
        except ValueError as exc:
            return {}, f"cannot be read ({exc})"
        units = data.get("units") if isinstance(data, dict) else None
        if not isinstance(units, dict):
            return {}, "has no \"units\" table"
        return {str(k): v for k, v in units.items() if isinstance(v, dict)}, None

    def damaged(self) -> str | None:
        """Why the state record is damaged, as one line naming the file; None when it is fine."""
        _, problem = self._read_checked()
        if problem is None:
            return None
        return (f"{self.path} {problem}: Port Manager may have lost track of services it started; "
                f"check `portmanager status --all` for their ports")

    def _write_raw(self, units: dict[str, dict[str, Any]]) -> None:
        import json

        text = json.dumps({"version": STATE_VERSION, "units": units}, indent=2, sort_keys=True) + "\n"
        write_atomic(self.path, text, backup=False)

    def records(self) -> list[ManagedRecord]:
        """Every record, read fresh from the file, with ``alive`` computed now."""
        recs = []
        for unit, data in sorted(self._read_raw().items()):
            try:
                recs.append(ManagedRecord.from_json(unit, data))
            except (KeyError, TypeError, ValueError):
                continue
        return self._with_liveness(recs)

    def _with_liveness(self, recs: list[ManagedRecord]) -> list[ManagedRecord]:
        """``alive``, ``leader_alive`` and ``marked`` computed now -- one process scan for all
        records whose first process is gone."""
        leaders = {r.unit: self._alive(r) for r in recs}
        lost = [r for r in recs if r.marker and not leaders[r.unit]]
        found: dict[str, list[Any]] = {}
        if lost:
            from .marker import find_marked  # psutil only when a record needs it

            found = find_marked({r.marker for r in lost}, min(r.started_at for r in lost))
        out = []
        for rec in recs:
            marked = tuple(sorted(p.pid for p in found.get(rec.marker, ()))) if not leaders[rec.unit] else ()
            out.append(replace(rec, alive=leaders[rec.unit] or bool(marked), leader_alive=leaders[rec.unit],
                               marked=marked))
        return out

    def _alive(self, rec: ManagedRecord) -> bool:
        if rec.pending:
            return False
        if self.is_alive is not None:
            return self.is_alive(rec.pid, rec.create_time)
        return process_matches(rec.pid, rec.create_time, rec.start_ticks)

    def get(self, unit: str) -> ManagedRecord | None:
        return next((r for r in self.records() if r.unit == unit), None)

    @contextmanager
    def _update(self) -> Iterator[dict[str, dict[str, Any]]]:
        with locked(self.lock_path):
            units, problem = self._read_checked()
            if problem is not None and not self.damaged_copy.exists():
                try:   # keep the damaged file for the user before it is replaced
                    write_atomic(self.damaged_copy, self.path.read_text(encoding="utf-8", errors="replace"),
                                 backup=False)
                except OSError:
                    pass
            yield units
            self._write_raw(units)

    def put(self, record: ManagedRecord) -> None:
        with self._update() as units:
            units[record.unit] = record.to_json()

    def mark_stopping(self, unit: str, pid: int, stopping: bool = True) -> None:
        """Say, before signalling, that ``unit`` (still ``pid``) is being stopped on purpose, so a
        watching supervisor (``up``, the app) does not count its exit as a crash."""
        with self._update() as units:
            current = units.get(unit)
            if current is not None and current.get("pid") == pid:
                current["stopping"] = stopping

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
            recs = []
            for unit, data in list(units.items()):
                try:
                    recs.append(ManagedRecord.from_json(unit, data))
                except (KeyError, TypeError, ValueError):
                    del units[unit]
            for rec in self._with_liveness(recs):
                if not rec.alive:
                    dropped.append(rec)
                    del units[rec.unit]
        return dropped


def store_for(paths: Paths) -> StateStore:
    return StateStore(paths.services_state_file)


def running_port(paths: Paths, unit: str) -> int | None:
    """The port ``unit`` really runs on (a fallback is followed), or None when not running."""
    rec = store_for(paths).get(unit)
    return rec.port if rec is not None and rec.alive else None


__all__ = ["ManagedRecord", "StateStore", "store_for", "running_port", "process_matches"]
