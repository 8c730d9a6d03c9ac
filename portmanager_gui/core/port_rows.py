"""The rows of the port table and the tray's overall state, as pure values.

``build_rows`` turns (Registry, model slots, Snapshot, managed records, failures, the
fallbacks the starts told) into one ``PortRow`` per registry port; the Qt table model, the tray menu and the tooltip
only render these. No Qt and no I/O here, so every state rule is cheap to test. A row says why it is in its
state as facts (``RowNote``); the sentences are made at the edge (``portmanager_gui.text.rows``).
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum

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
class Fallback:
    """What a start on a fallback port found: the preferred port, who held it then, the unit's title."""

    preferred: int
    port: int
    title: str                     # "Model Router"
    holder: Holder | None = None   # None: not seen (or reserved)
    reserved: bool = False         # the OS reserves the preferred port
    free_again: bool = False       # the latest snapshot sees the preferred port free (``fallback_now``)


class NoteKind(str, Enum):
    """Why a row is in its state: which facts of ``RowNote`` apply."""

    NONE = "none"                 # nothing to say beyond the live note / the OS's note
    FALLBACK = "fallback"         # runs on a fallback port: ``fallback`` (as the latest snapshot has it)
    HELD_BY_OURS = "held by ours"  # held by other units Port Manager started: ``units``
    ALSO_CLAIMED = "also claimed"  # taken, and other units claim the port too: ``units``
    RESERVED = "reserved"         # the OS reserves the port: ``os_note`` (its own words) if it gave one
    FAILED = "failed"             # the last start failed: ``failure`` (the presenter's text, as given)
    ON_FALLBACK = "on fallback"   # the preferred port is taken; the unit runs on ``fallback_port``


@dataclass(frozen=True)
class RowNote:
    """Why a row is in its state, as facts; ``portmanager_gui.text.rows.row_note`` words it.

    ``wrong_model``: (the member whose model server holds the slot, the slot's model) when the
    runtime's numbering moved; ``live``: the running llama-swap / ClaraCore's note on a model row;
    ``os_note``: the scan's note on the port (foreign words from ``core/platform``), kept as given."""

    kind: NoteKind = NoteKind.NONE
    fallback: Fallback | None = None
    units: tuple[str, ...] = ()
    failure: str = ""
    fallback_port: int | None = None
    wrong_model: tuple[str, str] | None = None
    live: str = ""
    os_note: str = ""


NO_NOTE = RowNote()


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
    why: RowNote = NO_NOTE      # why the row is in its state, as facts (worded by text.rows)
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


def fallback_of(outcome) -> Fallback | None:
    """The ``Fallback`` of a ``StartOutcome`` that runs off its preferred port, else None."""
    if not outcome.ok or outcome.port is None or outcome.preferred is None or outcome.port == outcome.preferred:
        return None
    first = next((s for s in outcome.fallback_from if s.port == outcome.preferred), None)
    return Fallback(outcome.preferred, outcome.port, outcome.title or outcome.unit,
                    first.holder if first is not None else None,
                    first is not None and first.availability is Availability.RESERVED)


def fallback_now(told: Fallback, snap: Snapshot | None) -> Fallback:
    """What ``told`` is as the latest snapshot has it: who holds the preferred port (the holder the
    start found while it still holds it), or that it is free again."""
    info = snap.info(told.preferred) if snap is not None else None
    if info is not None and not info.taken and info.status is not PortStatus.RESERVED and not told.reserved:
        return replace(told, free_again=True)
    holder = told.holder
    if info is not None and info.holders and (holder is None or holder.pid not in {h.pid for h in info.holders}):
        holder = info.holders[0]
    return replace(told, holder=holder, free_again=False)


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


def _wrong_model(unit: str, holders: Sequence[Holder], members: Sequence[str]) -> tuple[str, str] | None:
    """A runtime-numbered slot held by the model server of another member: (that member, the slot's model)."""
    if not members:
        return None
    # the model-server argv rules: only for runtime-numbered slots, not needed to paint others (issue 16)
    from .interop.live import serving_other

    model = unit.partition("/")[2]
    found = serving_other(model, members, (h.cmdline for h in holders))
    return (found[0], model) if found is not None else None


def _row(unit: str, group: str, port: int, role: Role, url: str, snap: Snapshot,
         by_unit: dict[str, Managed], by_pid: dict[int, Managed], claims: dict[int, list[str]],
         failures: Mapping[str, str], fallbacks: Mapping[str, Fallback], now: float, preferred: int | None = None,
         members: Sequence[str] | None = None, live: str = "") -> PortRow:
    info = snap.info(port)
    holders = info.holders
    mine = by_unit.get(unit)
    owners = {by_pid[h.pid].unit for h in holders if h.pid in by_pid}
    others = [u for u in claims.get(port, []) if u != unit]
    note = NO_NOTE
    if mine is not None and mine.port == port:
        state = RowState.FALLBACK if role is Role.FALLBACK else RowState.OURS
        if state is RowState.FALLBACK and preferred is not None:
            told = fallbacks.get(unit)
            if told is None or (told.preferred, told.port) != (preferred, port):   # adopted, or an earlier run
                told = Fallback(preferred, port, unit)
            note = RowNote(NoteKind.FALLBACK, fallback=fallback_now(told, snap))
    elif owners - {unit}:
        state = RowState.CONFLICT
        note = RowNote(NoteKind.HELD_BY_OURS, units=tuple(sorted(owners - {unit})))
    elif others and info.taken:
        state = RowState.CONFLICT
        note = RowNote(NoteKind.ALSO_CLAIMED, units=tuple(others))
    elif info.status is PortStatus.RESERVED:
        state = RowState.CONFLICT
        note = RowNote(NoteKind.RESERVED)
    elif unit in failures and (role is not Role.FALLBACK or not info.taken):
        state = RowState.FAILED
        note = RowNote(NoteKind.FAILED, failure=failures[unit])
    elif info.taken:
        state = RowState.FOREIGN
        if mine is not None and mine.port is not None and role is Role.PREFERRED:
            told = fallbacks.get(unit)
            note = RowNote(NoteKind.FALLBACK, fallback=fallback_now(told, snap)) \
                if told is not None and told.port == mine.port \
                else RowNote(NoteKind.ON_FALLBACK, fallback_port=mine.port)
    else:
        state = RowState.FREE
    says_nothing = note.kind is NoteKind.NONE or (note.kind is NoteKind.FAILED and not note.failure)
    wrong = _wrong_model(unit, holders, members or ()) if not live and says_nothing and group and info.taken \
        else None
    note = replace(note, wrong_model=wrong, live=live, os_note=info.note)
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
