"""Pre-flight of the whole plan: every service and model slot against live ports and lint.

One report that both ``portmanager check``/``plan`` and the desktop app render.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..platform.facts import PlatformFacts
from ..registry.lint import LintWarning, lint
from ..registry.model import Registry
from .probe import Availability, probe
from .selection import ModelSlot, PoolFull, Selection, model_slots, select_port


@dataclass(frozen=True)
class SlotCheck:
    """A model slot's port and whether it is free now."""

    slot: ModelSlot
    availability: Availability


@dataclass(frozen=True)
class Preflight:
    """Before a start: each service's port selection, each model slot, and the lint findings."""

    selections: tuple[Selection, ...]
    slots: tuple[SlotCheck, ...]
    warnings: tuple[LintWarning, ...]
    errors: tuple[str, ...] = ()          # e.g. a pool with no room left

    @property
    def ok(self) -> bool:
        return not self.errors and all(s.port is not None for s in self.selections)

    @property
    def availability(self) -> dict[int, Availability]:
        """Every port probed, for the per-port listing."""
        out = {port: state for sel in self.selections for port, state in sel.tried}
        out.update({c.slot.port: c.availability for c in self.slots})
        return out


def run(registry: Registry, names: Iterable[str] = (), *, allocations_file: Path | None = None,
        probe: Callable[[int], Availability] = probe, facts: PlatformFacts | None = None,
        full: bool = False) -> Preflight:
    """Check ``names`` (services; groups check their slots), or everything when empty.

    With ``full`` every candidate port of a service is probed, not only up to the first
    free one, so a report can show each port's availability.
    """
    wanted = list(names)
    services = [s for n, s in registry.services.items() if not wanted or n in wanted]
    selections = []
    for svc in services:
        sel = select_port(svc, probe)
        if full and sel.port is not None:
            rest = tuple((p, probe(p)) for p in svc.ports[len(sel.tried):])
            sel = Selection(sel.service, sel.tried + rest, sel.port)
        selections.append(sel)
    errors: list[str] = []
    try:
        slots = model_slots(registry, allocations_file)
    except PoolFull as exc:
        slots, errors = (), [str(exc)]
    checked = tuple(SlotCheck(s, probe(s.port)) for s in slots if not wanted or s.pool in wanted)
    return Preflight(tuple(selections), checked, tuple(lint(registry, facts)), tuple(errors))
