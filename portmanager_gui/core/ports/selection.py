"""Choosing ports: preferred -> fallback selection, and stable model-slot allocation.

Selection follows the Model Router document exactly: the first free port of
``[preferred, fallback, ...]``; a warning when it is not the first; an error block when
none is free -- never a random port. Model servers get ports in their pool's range, and
keep them: a member's port is remembered (``allocations.json``), so adding or removing a
model never renumbers the others (llama-swap's sorted +1 scheme does).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..file_read import NotAFile, TooLarge, read_small
from ..registry.model import Group, Registry, Service

if TYPE_CHECKING:   # the probe (sockets) and json are imported where used: `url` and `env` need neither
    from .probe import Availability

Probe = Callable[[int], "Availability"]
RULE = "=" * 60


@dataclass(frozen=True)
class Selection:
    """The outcome of trying a service's ports in order."""

    service: str
    tried: tuple[tuple[int, Availability], ...]
    port: int | None

    @property
    def preferred(self) -> int:
        return self.tried[0][0]

    @property
    def fallback(self) -> bool:
        return self.port is not None and self.port != self.preferred

    @property
    def skipped(self) -> tuple[tuple[int, Availability], ...]:
        """The ports tried before the chosen one (all of them when none was free)."""
        return tuple(t for t in self.tried if t[0] != self.port)


def select_port(service: Service, probe: Probe | None = None, ports: Iterable[int] | None = None) -> Selection:
    """First free port of the service's list (or ``ports``), stopping at the first free one
    (``probe``: the bind probe unless given)."""
    from .probe import Availability
    from .probe import probe as bind_probe

    probe = probe or bind_probe
    tried: list[tuple[int, Availability]] = []
    for port in ports if ports is not None else service.ports:
        state = probe(port)
        tried.append((port, state))
        if state is Availability.FREE:
            return Selection(service.name, tuple(tried), port)
    return Selection(service.name, tuple(tried), None)


def fallback_warning(preferred: int, port: int) -> str:
    return f"Port {preferred} is in use, using fallback port {port}"


def all_taken_lines(ports: Iterable[int]) -> list[str]:
    """The document's error block when every port is taken."""
    return [
        RULE,
        "ERROR: All preferred ports are in use!",
        RULE,
        "",
        f"Tried ports: {', '.join(str(p) for p in ports)}",
        "Please free up one of these ports and try again.",
        RULE,
    ]


# -- model slots ----------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSlot:
    """The port a model of a group (pool) gets from the group's range."""

    pool: str
    model: str
    port: int

    @property
    def unit(self) -> str:
        return f"{self.pool}/{self.model}"


class PoolFull(ValueError):
    def __init__(self, group: Group, model: str):
        self.group = group
        self.model = model
        super().__init__(
            f"group {group.name!r} has no free port left for {model!r} in its range "
            f"{group.range_text}; raise its size or move its start port")


def allocate(group: Group, previous: Mapping[str, int], reserved: set[int],
             taken: Callable[[int], bool] | None = None) -> dict[str, int]:
    """Give each member of ``group`` a port in its range; stable across edits.

    A member keeps its previous port while that port is still in the range and not claimed
    elsewhere in the registry (``reserved``) -- even if a process holds it now, because that
    holder is usually the model server itself. New members get the lowest port that is
    unassigned, not reserved and not ``taken`` by a live holder.

    A pool ``numbered_by`` a runtime (llama-swap, ClaraCore) is not allocated here: that
    runtime gives member i ``start_port + i`` whatever holds it, so that is its port.
    """
    if group.numbered_by:
        return {m: group.start_port + i for i, m in enumerate(group.members)}
    out: dict[str, int] = {}
    used: set[int] = set()
    for model in group.members:
        port = previous.get(model)
        if port is not None and group.contains(port) and port not in reserved and port not in used:
            out[model] = port
            used.add(port)
    candidates = (p for p in range(group.start_port, group.end_port + 1)
                  if p not in used and p not in reserved and not (taken and taken(p)))
    for model in group.members:
        if model in out:
            continue
        port = next(candidates, None)
        if port is None:
            raise PoolFull(group, model)
        out[model] = port
        used.add(port)
    return {m: out[m] for m in group.members}


MAX_ALLOCATIONS_BYTES = 4 * 1024 * 1024


def read_allocations(path: Path | None) -> dict[str, dict[str, int]]:
    """The remembered model ports; none when the file is missing or damaged (read without
    blocking: a FIFO in its place never hangs a command)."""
    return _read_allocations(path)[0]


def _read_allocations(path: Path | None) -> tuple[dict[str, dict[str, int]], bytes | None]:
    """The remembered model ports, and the bytes of a damaged regular file (None when fine)."""
    if path is None:
        return {}, None
    raw = b""
    try:
        raw = read_small(Path(path), MAX_ALLOCATIONS_BYTES)
        import json  # only when there is a file: `url` and `env` without one start without it

        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        return {}, None
    except (NotAFile, TooLarge):
        return {}, None    # nothing of ours to keep: the next write replaces it
    except (OSError, ValueError, RecursionError):
        return {}, raw
    if not isinstance(data, dict):
        return {}, raw
    return {str(pool): {str(m): p for m, p in models.items() if isinstance(p, int)}
            for pool, models in data.items() if isinstance(models, dict)}, None


def model_slots(registry: Registry, allocations_file: Path | None = None,
                taken: Callable[[int], bool] | None = None) -> tuple[ModelSlot, ...]:
    """Every model server's slot, pool by pool, sticky to ``allocations_file``. A read: it
    writes nothing (``allocate_slots`` is the one path that remembers them)."""
    return _slots(registry, read_allocations(allocations_file), taken)


def allocate_slots(registry: Registry, allocations_file: Path,
                   taken: Callable[[int], bool] | None = None) -> tuple[ModelSlot, ...]:
    """``model_slots``, then remember them in ``allocations_file`` (only when they changed).

    The explicit write: called when a model server is about to start and after a registry
    save, never from a read (status, url, env, check, the window's table)."""
    previous, damaged = _read_allocations(allocations_file)
    slots = _slots(registry, previous, taken)
    current: dict[str, dict[str, int]] = {}
    for slot in slots:
        current.setdefault(slot.pool, {})[slot.model] = slot.port
    if current != previous or damaged is not None:
        import json

        from ..atomic_write import write_atomic

        if damaged:   # kept for the user before it is replaced: nothing is lost
            write_atomic(Path(f"{allocations_file}.damaged"), damaged.decode("utf-8", "replace"), backup=False)
        write_atomic(Path(allocations_file), json.dumps(current, indent=2) + "\n", backup=False)
    return slots


def _slots(registry: Registry, previous: Mapping[str, Mapping[str, int]],
           taken: Callable[[int], bool] | None) -> tuple[ModelSlot, ...]:
    service_ports = {p for s in registry.services.values() for p in s.ports}
    slots: list[ModelSlot] = []
    claimed: set[int] = set(service_ports)
    for group in registry.pools():
        ports = allocate(group, previous.get(group.name, {}), claimed, taken)
        claimed.update(ports.values())
        slots.extend(ModelSlot(group.name, m, p) for m, p in ports.items())
    return tuple(slots)
