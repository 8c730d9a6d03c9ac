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

A damaged record (cut short, not JSON, not UTF-8, not a file, entries that cannot be read)
never stops a start or a stop and is never silently "nothing running": ``read`` says what is
wrong (``StateDamage``, a typed value the CLI and the app word) and finds the services the
record lost by their marks (``marker.find_unrecorded``), which count as recorded again; the
next update writes them back and keeps the damaged file aside (``.damaged``).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..paths import Paths
from ..platform.file_lock import locked
from .state_damage import (
    Damaged,
    DamageKind,
    StateDamage,
    damaged_copy_of,
    read_state_text,
)

STATE_VERSION = 1
RECOVER_EVERY = 30.0    # seconds a search of the marks for a damaged record is reused (``StateStore.read``)


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
    # what the marks gave back for one damaged file (kind, mtime, size), looked again for every
    # RECOVER_EVERY s: the app reads every scan, and each look reads every process's environment
    _recovered: tuple[object, list[ManagedRecord]] = field(default=(None, []), init=False, repr=False,
                                                           compare=False)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def damaged_copy(self) -> Path:
        return damaged_copy_of(self.path)

    def _read_raw(self) -> dict[str, dict[str, Any]]:
        units, _ = self._read_checked()
        return units

    def _read_checked(self) -> tuple[dict[str, dict[str, Any]], StateDamage | None]:
        """The units (as stored), and what is wrong with the file (None when it is fine or missing)."""
        try:
            text = read_state_text(self.path)
        except FileNotFoundError:
            return {}, None
        except Damaged as exc:
            return {}, exc.damage
        import json  # only when there is a record: `url` and `env` without one start without it

        try:
            data = json.loads(text)
        except ValueError as exc:
            return {}, StateDamage(self.path, DamageKind.NOT_JSON, getattr(exc, "msg", str(exc)),
                                   getattr(exc, "lineno", None), getattr(exc, "colno", None))
        except RecursionError:
            return {}, StateDamage(self.path, DamageKind.NOT_JSON, "nested too deeply")
        units = data.get("units") if isinstance(data, dict) else None
        if not isinstance(units, dict):
            return {}, StateDamage(self.path, DamageKind.NO_UNITS)
        good = {str(k): v for k, v in units.items() if _entry_ok(str(k), v)}
        bad = tuple(sorted(str(k) for k in units if str(k) not in good))
        return good, (StateDamage(self.path, DamageKind.BAD_ENTRIES, entries=bad) if bad else None)

    def read(self) -> "StateRead":
        """Every record with ``alive`` computed now, and what is wrong with the file. While it is
        damaged, the services it lost are found by their marks and come back as records."""
        units, damage = self._read_checked()
        recs = _parse(units)
        if damage is not None:
            key = (damage.kind, _stamp(self.path), int(time.monotonic() // RECOVER_EVERY))
            if self._recovered[0] != key:
                self._recovered = (key, self._recover(recs))
            have = {r.unit for r in recs} | {r.marker for r in recs if r.marker}
            found = [r for r in self._recovered[1] if r.unit not in have and r.marker not in have]
            recs += found
            damage = replace(damage, found=tuple((r.unit, r.pid) for r in found))
        return StateRead(tuple(self._with_liveness(sorted(recs, key=lambda r: r.unit))), damage)

    def _recover(self, recs: list[ManagedRecord]) -> list[ManagedRecord]:
        """Records rebuilt from the marks of processes this record no longer has (one per unit)."""
        from .marker import find_unrecorded, scope_of

        have = {r.unit for r in recs}
        out = []
        for lost in find_unrecorded(scope_of(self.path), {r.marker for r in recs if r.marker}):
            if lost.unit not in have:
                rec = _rebuilt(lost.unit, lost.marker, lost.pids)
                if rec is not None:
                    have.add(rec.unit)
                    out.append(rec)
        return out

    def damage(self) -> StateDamage | None:
        """What is wrong with the state record (with what was found running), None when it is fine."""
        return self.read().damage

    def _write_raw(self, units: dict[str, dict[str, Any]]) -> None:
        import json

        from ..atomic_write import (
            write_atomic,  # a read (url, env, the app's scans) writes nothing
        )

        text = json.dumps({"version": STATE_VERSION, "units": units}, indent=2, sort_keys=True) + "\n"
        write_atomic(self.path, text, backup=False)

    def records(self) -> list[ManagedRecord]:
        """Every record, read fresh from the file, with ``alive`` computed now (``read``)."""
        return list(self.read().records)

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
            if problem is not None:
                self._keep_damaged()
                for rec in self._recover(_parse(units)):   # what it lost, found by the marks
                    units[rec.unit] = rec.to_json()
            yield units
            self._write_raw(units)

    def _keep_damaged(self) -> None:
        """Keep the damaged file for the user before it is replaced (the latest damage)."""
        from ..atomic_write import write_atomic

        try:
            write_atomic(self.damaged_copy, read_state_text(self.path, lenient=True), backup=False)
        except (OSError, Damaged):
            pass

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

    @contextmanager
    def stopping_for(self, pids: Collection[int]) -> Iterator[tuple[str, ...]]:
        """For a kill of ``pids`` (``portmanager kill PORT``, the app's kill): the units those
        processes belong to (by pid or mark) are marked as stopped on purpose for the block, so
        a watching supervisor does not restart them; afterwards the ones that ended are
        forgotten and the others unmarked. Yields the units; writes nothing when there are none."""
        from .marker import marks_of

        wanted = set(pids)
        marks = marks_of(wanted)

        def ours(entry: dict[str, Any]) -> bool:
            return entry.get("pid") in wanted or bool(entry.get("marker")) and entry.get("marker") in marks

        units = tuple(u for u, e in self._read_raw().items() if ours(e))
        if not units:
            yield ()
            return
        with self._update() as data:
            for unit in units:
                if unit in data and ours(data[unit]):
                    data[unit]["stopping"] = True
        try:
            yield units
        finally:
            alive = {r.unit for r in self.records() if r.alive}
            with self._update() as data:
                for unit in units:
                    if unit in data and unit not in alive:
                        del data[unit]
                    elif unit in data:
                        data[unit]["stopping"] = False

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
            for rec in self._with_liveness(_parse(units)):
                if not rec.alive:
                    dropped.append(rec)
                    del units[rec.unit]
        return dropped


@dataclass(frozen=True)
class StateRead:
    """One read of the state record: its records (liveness computed) and its damage, if any."""

    records: tuple[ManagedRecord, ...]
    damage: StateDamage | None = None

    def __iter__(self) -> Iterator[ManagedRecord]:
        """The records: a read iterates like the list of records it replaced."""
        return iter(self.records)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _entry_ok(unit: str, data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    try:
        ManagedRecord.from_json(unit, data)
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _parse(units: dict[str, dict[str, Any]]) -> list[ManagedRecord]:
    return [ManagedRecord.from_json(unit, data) for unit, data in sorted(units.items())]


def _rebuilt(unit: str, mark: str, pids: tuple[int, ...]) -> ManagedRecord | None:
    """A record for the start ``mark`` from its live processes (oldest first): the oldest is
    taken as its first process, the port is the one they listen on."""
    import psutil

    from ..kill import identity
    from ..platform import current_os
    from ..platform.process_tree import leads_own_group

    for pid in pids:
        try:
            now = identity.current(pid)
            argv = tuple(psutil.Process(pid).cmdline())
        except psutil.Error:
            continue
        own_group = leads_own_group(pid, current_os())
        return ManagedRecord(unit, pid, float(now.create_time or 0.0), _listening_port(pids), argv,
                             float(now.create_time or 0.0), "", own_group=own_group, start_ticks=now.ticks,
                             marker=mark)
    return None


def _listening_port(pids: tuple[int, ...]) -> int:
    """The lowest TCP port one of ``pids`` listens on (0 when none does yet)."""
    import psutil

    ports = set()
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="inet")
        except psutil.Error:
            continue
        ports |= {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN and c.laddr}
    return min(ports, default=0)


def store_for(paths: Paths) -> StateStore:
    return StateStore(paths.services_state_file)


def running_port(paths: Paths, unit: str) -> int | None:
    """The port ``unit`` really runs on (a fallback is followed), or None when not running."""
    rec = store_for(paths).get(unit)
    return rec.port if rec is not None and rec.alive else None


__all__ = ["DamageKind", "ManagedRecord", "StateDamage", "StateRead", "StateStore", "store_for", "running_port",
           "process_matches"]
