"""Checking an edit before it is saved: a service's port list, a group's range.

The editors call these on every keystroke, so they are pure: the registry, the latest
snapshot and the OS facts come in as values. Errors block saving; warnings are shown but
do not (a port held right now may be held by the service itself, or be freed later).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..occupancy.snapshot import Snapshot
from ..platform import unusable_file_name
from ..platform.facts import PlatformFacts
from ..ports.selection import ModelSlot, PoolFull, allocate
from .lint import lint
from .model import UNGROUPED, Group, Registry

_PORT_TEXT = re.compile(r"[1-9][0-9]{0,4}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class EntryCheck:
    """One entry of an edited port list, checked."""

    text: str
    port: int | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortListCheck:
    """An edited port list, checked entry by entry and as a whole."""

    entries: tuple[EntryCheck, ...]
    errors: tuple[str, ...] = ()       # about the list as a whole

    @property
    def ok(self) -> bool:
        return not self.errors and all(not e.errors for e in self.entries)

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(e.port for e in self.entries if e.port is not None)

    def messages(self) -> list[str]:
        out = list(self.errors)
        for e in self.entries:
            out += [f"{e.text or '(empty)'}: {m}" for m in e.errors + e.warnings]
        return out


def _mentions(name: str, text: str) -> bool:
    """``name`` as a whole word: "models" must not match inside "large-models"."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def parse_port(text: str) -> int | None:
    text = text.strip()
    if not _PORT_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if value <= 65535 else None


def _holder_text(snapshot: Snapshot | None, port: int) -> str:
    if snapshot is None or not snapshot.info(port).taken:
        return ""
    holders = snapshot.holders(port)
    who = ", ".join(h.describe() for h in holders) or "a process that cannot be seen"
    return f"held right now by {who}"


def check_port_list(registry: Registry, service: str, texts: Sequence[str],
                    snapshot: Snapshot | None = None, slots: Sequence[ModelSlot] = (),
                    own_pids: frozenset[int] = frozenset()) -> PortListCheck:
    """Validate the ordered candidate ports typed for ``service`` (preferred first)."""
    used_by = {p: n for n, s in registry.services.items() if n != service for p in s.ports}
    slot_of = {s.port: s.unit for s in slots}
    seen: dict[int, int] = {}
    entries = []
    for i, raw in enumerate(texts):
        port = parse_port(raw)
        errors: list[str] = []
        warnings: list[str] = []
        if port is None:
            errors.append("not a port: type a whole number from 1 to 65535")
        else:
            if port in seen:
                errors.append(f"duplicate of entry {seen[port] + 1}")
            seen.setdefault(port, i)
            if port in used_by:
                errors.append(f"port {port} is used by service {used_by[port]}")
            if port in slot_of:
                errors.append(f"port {port} is the slot of model server {slot_of[port]}")
            pool = next((g for g in registry.pools() if g.contains(port) and (g.members or g.name != UNGROUPED)),
                        None)
            if pool is not None and port not in slot_of:
                warnings.append(f"inside the range {pool.range_text} of group {pool.name}")
            if port < 1024:
                warnings.append("below 1024: may need admin rights to bind")
            held = _holder_text(snapshot, port)
            if held and not (set(h.pid for h in snapshot.holders(port)) & own_pids):
                warnings.append(held)
        entries.append(EntryCheck(raw, port, tuple(errors), tuple(warnings)))
    list_errors = () if entries else ("a service needs at least one port",)
    return PortListCheck(tuple(entries), list_errors)


@dataclass(frozen=True)
class GroupPreview:
    """An edited group: the ports its members would get, and what is wrong."""

    group: Group | None
    assignment: tuple[tuple[str, int], ...] = ()
    errors: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()     # warnings: lint findings and ports held right now

    @property
    def ok(self) -> bool:
        return self.group is not None and not self.errors


def preview_group(registry: Registry, name: str, start: int, size: int, members: Sequence[str],
                  snapshot: Snapshot | None = None, previous: Mapping[str, Mapping[str, int]] | None = None,
                  facts: PlatformFacts | None = None, original_name: str | None = None) -> GroupPreview:
    """What saving this group would assign, and every conflict, before it is saved.

    ``previous`` is the remembered allocation (``planner.read_allocations``) so the preview
    shows the same sticky ports the planner will hand out.
    """
    errors: list[str] = []
    name = name.strip()
    if not _NAME.fullmatch(name):
        errors.append("the group needs a name of letters, digits, '.', '_' or '-'")
    elif unusable_file_name(name):
        errors.append(f"the name {name!r} cannot be used: {unusable_file_name(name)}")
    elif name != original_name and (name in registry.groups or name == UNGROUPED or name in registry.services):
        errors.append(f"the name {name!r} is already used in the registry")
    if not 1 <= start <= 65535:
        errors.append(f"start port {start} is not a port (1-65535)")
    if size < 1 or start + size - 1 > 65535:
        errors.append(f"size {size} makes the range end past 65535")
    clean = [m.strip() for m in members]
    for m in clean:
        if not _NAME.fullmatch(m):
            errors.append(f"member {m!r} is not a valid model name")
        elif unusable_file_name(m):
            errors.append(f"member {m!r} cannot be used: {unusable_file_name(m)}")
    dups = sorted({m for m in clean if clean.count(m) > 1})
    if dups:
        errors.append(f"member listed twice: {', '.join(dups)}")
    if errors:
        return GroupPreview(None, errors=tuple(errors))

    base = registry.pool(original_name or name) or Group(name=name, start_port=start)
    group = replace(base, name=name, start_port=start, size=size, members=tuple(clean))
    candidate = registry
    if original_name and original_name != name and original_name in registry.groups:
        candidate = candidate.without_group(original_name)
    candidate = candidate.with_group(group)
    reserved = {p for s in candidate.services.values() for p in s.ports}
    prev = previous or {}
    for other in candidate.pools():
        if other.name == group.name:
            continue
        try:
            reserved.update(allocate(other, prev.get(other.name, {}), set(reserved)).values())
        except PoolFull:
            pass
    try:
        assignment = allocate(group, prev.get(original_name or name, {}), reserved)
    except PoolFull as exc:
        return GroupPreview(group, errors=(str(exc),))
    conflicts = [f"{w.message} -> {w.fix}" for w in lint(candidate, facts) if _mentions(name, w.key + " " + w.message)]
    for model, port in assignment.items():
        held = _holder_text(snapshot, port)
        if held:
            conflicts.append(f"{model} -> {port}: {held}")
    return GroupPreview(group, tuple(assignment.items()), (), tuple(dict.fromkeys(conflicts)))
