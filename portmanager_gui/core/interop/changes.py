"""What an import or an edit changes, as values: the preview, and the units to restart.

``diff(old, new)`` lists the differences a user has to approve before an import is saved
("added service rag on port 8602", "ports of backend: 8203 -> 9000", ...).
``changed_units`` answers the document's step 3, "restart related services": of the units
running now, which ones listen on a port that the edit moved.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from ..registry.model import UNGROUPED, Group, Registry


class ChangeKind(str, Enum):
    ADD_SERVICE = "add-service"
    PORTS = "ports"
    ADD_GROUP = "add-group"
    RANGE = "range"
    MEMBERS = "members"


@dataclass(frozen=True)
class Change:
    """One difference between two registries. ``old``/``new`` are ports, a range or members."""

    kind: ChangeKind
    name: str
    old: tuple = ()
    new: tuple = ()

    def describe(self) -> str:
        if self.kind is ChangeKind.ADD_SERVICE:
            return f"add service {self.name} on port {_ports(self.new)}"
        if self.kind is ChangeKind.PORTS:
            return f"change ports of {self.name} from {_ports(self.old)} to {_ports(self.new)}"
        if self.kind is ChangeKind.ADD_GROUP:
            return f"add group {self.name} with ports {_range(self.new)}"
        if self.kind is ChangeKind.RANGE:
            label = "ungrouped models" if self.name == UNGROUPED else f"group {self.name}"
            return f"move {label} from {_range(self.old)} to {_range(self.new)}"
        label = "ungrouped models" if self.name == UNGROUPED else f"group {self.name}"
        return f"set members of {label} to {', '.join(self.new) or 'none'} (was {', '.join(self.old) or 'none'})"


def _ports(ports: tuple) -> str:
    return ", ".join(str(p) for p in ports)


def _range(rng: tuple) -> str:
    start, size = rng
    return f"{start}-{start + size - 1}"


def _pool_changes(old: Group | None, new: Group) -> list[Change]:
    rng = (new.start_port, new.size)
    if old is None:
        out = [Change(ChangeKind.ADD_GROUP, new.name, (), rng)]
        if new.members:
            out.append(Change(ChangeKind.MEMBERS, new.name, (), new.members))
        return out
    out = []
    if (old.start_port, old.size) != rng:
        out.append(Change(ChangeKind.RANGE, new.name, (old.start_port, old.size), rng))
    if old.members != new.members:
        out.append(Change(ChangeKind.MEMBERS, new.name, old.members, new.members))
    return out


def diff(old: Registry, new: Registry) -> tuple[Change, ...]:
    """Additions and changes from ``old`` to ``new`` (imports never remove anything)."""
    out: list[Change] = []
    for name, svc in new.services.items():
        before = old.services.get(name)
        if before is None:
            out.append(Change(ChangeKind.ADD_SERVICE, name, (), svc.ports))
        elif before.ports != svc.ports:
            out.append(Change(ChangeKind.PORTS, name, before.ports, svc.ports))
    for group in new.pools():
        out.extend(_pool_changes(old.pool(group.name), group))
    return tuple(out)


def _service_moved(old: Registry, new: Registry, name: str) -> bool:
    """The preferred port changed, or a port it may be running on was dropped."""
    before, after = old.services.get(name), new.services.get(name)
    if before is None or after is None:
        return False
    return before.preferred != after.preferred or not set(before.ports) <= set(after.ports)


def _model_moved(old: Registry, new: Registry, unit: str) -> bool:
    """A model server's range moved or it changed pools (its slot is then re-allocated)."""
    pool, _, model = unit.partition("/")
    before, after = old.pool(pool), new.pool(pool)
    if before is None or after is None or model not in after.members:
        return False
    return (before.start_port, before.size) != (after.start_port, after.size)


def changed_units(old: Registry, new: Registry, running_units: Iterable[str], *,
                  consumers: Iterable[str] = ()) -> list[str]:
    """The running units to restart after ``old`` became ``new``, in ``running_units`` order.

    A unit is a service name or ``pool/model``. ``consumers`` are units that read the
    generated config files (the frontend reading ``config.js``): they are listed whenever
    any port moved, as the document says to restart the frontend after regenerating.
    """
    running = list(dict.fromkeys(running_units))
    moved = [u for u in running
             if (_model_moved(old, new, u) if "/" in u else _service_moved(old, new, u))]
    any_moved = any(_service_moved(old, new, n) for n in new.services) or any(
        (g.start_port, g.size) != (new.pool(g.name).start_port, new.pool(g.name).size)
        for g in old.pools() if new.pool(g.name) is not None)
    consumers = set(consumers)
    return [u for u in running if u in moved or (any_moved and u in consumers)]
