"""The rows of the port table and the tray's overall state, as pure values.

``build_rows`` turns (Registry, model slots, Snapshot, managed records, failures, the
fallbacks the starts told) into one ``PortRow`` per registry port; the Qt table model, the tray menu and the tooltip
only render these. No Qt and no I/O here, so every state rule is cheap to test.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from .interop.live import serving_other
from .occupancy.snapshot import Holder, PortStatus, Snapshot
from .ports.probe import Availability
from .ports.selection import ModelSlot
from .registry.model import Registry, display_host, format_template


class RowState(str, Enum):
    FREE = "free"
    OURS = "running"            # held by the process Port Manager started for this row
    FOREIGN = "in use"          # held by a process Port Manager did not start
    FALLBACK = "on fallback"    # our service runs here because its preferred port was taken
    CONFLICT = "conflict"       # claimed twice, held by another of our units, or reserved by the OS
    FAILED = "failed"           # the last start of this unit failed / it crashed and gave up


class Overall(str, Enum):
    OK = "ok"
    FALLBACK = "fallback"
    PROBLEM = "problem"


class Role(str, Enum):
    PREFERRED = "preferred"
    FALLBACK = "fallback"
    MODEL = "model slot"


@dataclass(frozen=True)
class Managed:
    """The part of a supervisor record the rows need (pid + port of a unit we started)."""

    unit: str
    pid: int | None
    port: int | None
    alive: bool = True
    marked: tuple[int, ...] = ()   # a daemon of the unit that outlived its first process (its mark)


@dataclass(frozen=True)
class PortRow:
    """One row of the port table and the tray: a registry port and what holds it."""

    unit: str                   # service name or "pool/model"
    group: str                  # the model pool, "" for services
    port: int
    role: Role
    state: RowState
    url: str
    holders: tuple[Holder, ...] = ()
    since: float | None = None  # the holder's start (epoch seconds): uptime is computed when shown
    note: str = ""              # the sentence to show in a tooltip / details pane
    ours: bool = False          # a holder is a process Port Manager started (Stop applies, not Kill)

    def uptime(self, now: float) -> float | None:
        return now - self.since if self.since is not None else None

    @property
    def key(self) -> tuple[str, int]:
        return (self.unit, self.port)

    @property
    def holder(self) -> Holder | None:
        return self.holders[0] if self.holders else None


def _managed_index(records: Iterable[Managed]) -> tuple[dict[str, Managed], dict[int, Managed]]:
    by_unit, by_pid = {}, {}
    for rec in records:
        if not rec.alive:
            continue
        by_unit[rec.unit] = rec
        for pid in (rec.pid, *rec.marked):
            if pid is not None:
                by_pid[pid] = rec
    return by_unit, by_pid


def _claims(registry: Registry, slots: Sequence[ModelSlot]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for name, svc in registry.services.items():
        for port in dict.fromkeys(svc.ports):
            out.setdefault(port, []).append(name)
    for slot in slots:
        out.setdefault(slot.port, []).append(slot.unit)
    return out


@dataclass(frozen=True)
class Fallback:
    """What a start on a fallback port found: the preferred port, who held it then, the unit's title."""

    preferred: int
    port: int
    title: str                     # "Model Router"
    holder: Holder | None = None   # None: not seen (or reserved)
    reserved: bool = False         # the OS reserves the preferred port


def fallback_of(outcome) -> Fallback | None:
    """The ``Fallback`` of a ``StartOutcome`` that runs off its preferred port, else None."""
    if not outcome.ok or outcome.port is None or outcome.preferred is None or outcome.port == outcome.preferred:
        return None
    first = next((s for s in outcome.fallback_from if s.port == outcome.preferred), None)
    return Fallback(outcome.preferred, outcome.port, outcome.title or outcome.unit,
                    first.holder if first is not None else None,
                    first is not None and first.availability is Availability.RESERVED)


def fallback_note(told: Fallback, snap: Snapshot | None) -> str:
    """Why the unit runs on its fallback port, as the latest snapshot has it: who holds the
    preferred port (the holder the start found while it still holds it), or that it is free again."""
    info = snap.info(told.preferred) if snap is not None else None
    if info is not None and not info.taken and info.status is not PortStatus.RESERVED and not told.reserved:
        return f"Port {told.preferred} is free again; {told.title} still runs on fallback port {told.port}"
    holder = told.holder
    if info is not None and info.holders and (holder is None or holder.pid not in {h.pid for h in info.holders}):
        holder = info.holders[0]
    by = f" by {holder.describe()}" if holder is not None else \
        " by the operating system (reserved port)" if told.reserved else ""
    return f"Port {told.preferred} is in use{by}; {told.title} started on fallback port {told.port}"


def build_rows(registry: Registry, slots: Sequence[ModelSlot], snapshot: Snapshot | None,
               records: Iterable[Managed] = (), failures: Mapping[str, str] | None = None,
               fallbacks: Mapping[str, Fallback] | None = None, now: float | None = None,
               live: Mapping[str, str] | None = None) -> tuple[PortRow, ...]:
    """One row per (unit, port) of the registry, in registry order.

    ``live`` is the note for a model row from the running llama-swap / ClaraCore (its real port
    and state beside the registry's); it stands beside whatever else the row says."""
    now = time.time() if now is None else now
    failures = failures or {}
    fallbacks = fallbacks or {}
    by_unit, by_pid = _managed_index(records)
    claims = _claims(registry, slots)
    snap = snapshot or Snapshot(taken_at=now)
    rows: list[PortRow] = []
    for name, svc in registry.services.items():
        for i, port in enumerate(dict.fromkeys(svc.ports)):
            role = Role.PREFERRED if i == 0 else Role.FALLBACK
            rows.append(_row(name, "", port, role, svc.url_for(port), snap, by_unit, by_pid, claims,
                             failures, fallbacks, now, svc.preferred))
    for slot in slots:
        group = registry.pool(slot.pool)
        url = format_template(group.url, port=slot.port, host=display_host(group.host), model=slot.model) \
            if group else ""
        rows.append(_row(slot.unit, slot.pool, slot.port, Role.MODEL, url, snap, by_unit, by_pid, claims,
                         failures, fallbacks, now, members=group.members if group and group.numbered_by else None,
                         live=(live or {}).get(slot.unit, "")))
    return tuple(rows)


def _wrong_model(unit: str, pool: str, port: int, holders: Sequence[Holder], members: Sequence[str]) -> str:
    """A runtime-numbered slot held by the model server of another member: the runtime's numbering moved."""
    model = unit.partition("/")[2]
    found = serving_other(model, members, (h.cmdline for h in holders)) if members else None
    if found is None:
        return ""
    return (f"port {port} is held by the model server of {found[0]}, but the runtime's numbering gives it to "
            f"{model}: the config changed since the runtime loaded it, or the registry is out of date "
            "(import the config again)")


def _row(unit: str, group: str, port: int, role: Role, url: str, snap: Snapshot,
         by_unit: dict[str, Managed], by_pid: dict[int, Managed], claims: dict[int, list[str]],
         failures: Mapping[str, str], fallbacks: Mapping[str, Fallback], now: float, preferred: int | None = None,
         members: Sequence[str] | None = None, live: str = "") -> PortRow:
    info = snap.info(port)
    holders = info.holders
    mine = by_unit.get(unit)
    owners = {by_pid[h.pid].unit for h in holders if h.pid in by_pid}
    others = [u for u in claims.get(port, []) if u != unit]
    note = ""
    if mine is not None and mine.port == port:
        state = RowState.FALLBACK if role is Role.FALLBACK else RowState.OURS
        if state is RowState.FALLBACK and preferred is not None:
            told = fallbacks.get(unit)
            if told is None or (told.preferred, told.port) != (preferred, port):   # adopted, or an earlier run
                told = Fallback(preferred, port, unit)
            note = fallback_note(told, snap)
    elif owners - {unit}:
        state = RowState.CONFLICT
        note = f"port {port} is held by {', '.join(sorted(owners - {unit}))}, started by Port Manager"
    elif others and info.taken:
        state = RowState.CONFLICT
        note = f"port {port} is also claimed by {', '.join(others)}"
    elif info.status is PortStatus.RESERVED:
        state = RowState.CONFLICT
        note = info.note or f"the OS reserves port {port}; nothing can listen on it"
    elif unit in failures and (role is not Role.FALLBACK or not info.taken):
        state = RowState.FAILED
        note = failures[unit]
    elif info.taken:
        state = RowState.FOREIGN
        if mine is not None and mine.port is not None and role is Role.PREFERRED:
            told = fallbacks.get(unit)
            note = fallback_note(told, snap) if told is not None and told.port == mine.port \
                else f"{unit} runs on fallback port {mine.port}"
    else:
        state = RowState.FREE
    if live:
        note = f"{note}; {live}" if note else live
    elif not note and group and info.taken:
        note = _wrong_model(unit, group, port, holders, members or ())
    if not note and info.note:
        note = info.note
    holder = holders[0] if holders else None
    since = holder.create_time if holder and holder.create_time else None
    ours = any(h.pid in by_pid for h in holders)
    return PortRow(unit, group, port, role, state, url, holders, since, note, ours)


def back_to_preferred(rows: Sequence[PortRow], unit: str) -> int | None:
    """The preferred port ``unit`` can move back to: it runs on a fallback and that port is free now."""
    if not any(r.unit == unit and r.state is RowState.FALLBACK for r in rows):
        return None
    return next((r.port for r in rows if r.unit == unit and r.role is Role.PREFERRED and r.state is RowState.FREE),
                None)


def overall(rows: Iterable[PortRow]) -> Overall:
    states = {r.state for r in rows}
    if states & {RowState.CONFLICT, RowState.FAILED}:
        return Overall.PROBLEM
    if RowState.FALLBACK in states:
        return Overall.FALLBACK
    return Overall.OK


def summary(rows: Sequence[PortRow]) -> str:
    """The tray tooltip: one line per kind of trouble, the first line the totals."""
    running = sorted({r.unit for r in rows if r.state in (RowState.OURS, RowState.FALLBACK)})
    lines = [f"Port Manager: {len(running)} running, "
             f"{sum(1 for r in rows if r.state is RowState.FOREIGN)} ports held by other programs"]
    for r in rows:
        if r.state is RowState.FALLBACK:
            lines.append(r.note or f"{r.unit} is on fallback port {r.port}")
        elif r.state is RowState.FAILED:
            lines.append(f"{r.unit} failed: {r.note}" if r.note else f"{r.unit} failed")
        elif r.state is RowState.CONFLICT:
            lines.append(f"conflict on {r.port} ({r.unit}): {r.note}")
    if len(lines) == 1:
        lines.append("All good")
    return "\n".join(dict.fromkeys(lines))


def format_uptime(seconds: float | None) -> str:
    """Minutes at most: the table refreshes this column once a minute, not every scan."""
    if seconds is None or seconds < 0:
        return ""
    s = int(seconds)
    if s < 60:
        return "<1m"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def changed_keys(old: Sequence[PortRow], new: Sequence[PortRow]) -> set[tuple[str, int]]:
    """Rows whose holder changed (a different pid, or taken <-> free): to highlight briefly."""
    before = {r.key: tuple(h.identity for h in r.holders) for r in old}
    return {r.key for r in new if r.key in before and before[r.key] != tuple(h.identity for h in r.holders)}
