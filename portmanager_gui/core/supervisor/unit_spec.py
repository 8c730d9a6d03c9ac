"""What the supervisor starts: "units" -- a service, or one model server ("pool/model").

``expand`` turns a name on the command line (service, group, ``models``, ``pool/model`` or
a bare model id) into units; ``UnitSpec`` holds everything needed to launch one, and
``argv_for``/``child_env`` make the real argv and environment for a chosen port.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..platform import current_os
from ..platform.commands import python_for_children
from ..ports.selection import ModelSlot, model_slots
from ..registry.model import (
    UNGROUPED,
    Group,
    Registry,
    Service,
    UnknownName,
    format_template,
)
from ..resources import is_frozen

# The registry decides host and port; llama-server would otherwise take them from these.
DROPPED_ENV = ("LLAMA_ARG_HOST", "LLAMA_ARG_PORT")
REGISTRY_ENV = "PORTMANAGER_REGISTRY"


@dataclass(frozen=True)
class UnitSpec:
    """What the supervisor needs to start one unit (a service or a model server)."""

    unit: str
    title: str                          # "Model Router": for messages
    candidates: tuple[int, ...]         # ports to try, preferred first
    command: tuple[str, ...]
    host: str                           # where the child binds ({host})
    expose: bool = False
    health: str | None = None
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    model: str = ""
    restart: str = "no"
    start_timeout: float = 60.0
    stop_timeout: float = 10.0

    @property
    def preferred(self) -> int:
        return self.candidates[0]


def title_of(description: str, unit: str) -> str:
    """The description up to any " (" -- "Model Router (web UI at /...)" -> "Model Router"."""
    head = description.split(" (", 1)[0].strip()
    return head or unit


def service_spec(service: Service) -> UnitSpec:
    return UnitSpec(
        unit=service.name, title=title_of(service.description, service.name), candidates=service.ports,
        command=service.command, host=service.bind_host, expose=service.expose, health=service.health,
        cwd=service.cwd, env=service.env, restart=service.restart,
        start_timeout=service.start_timeout, stop_timeout=service.stop_timeout,
    )


def model_spec(group: Group, slot: ModelSlot, others: set[int]) -> UnitSpec:
    """A model server: its allocated port first, then the rest of its pool's free range."""
    rest = tuple(p for p in range(group.start_port, group.end_port + 1) if p != slot.port and p not in others)
    host = "0.0.0.0" if group.expose and group.host == "127.0.0.1" else group.host
    return UnitSpec(
        unit=slot.unit, title=slot.unit, candidates=(slot.port, *rest), command=group.command, host=host,
        expose=group.expose, health=group.health, model=slot.model, restart=group.restart,
        start_timeout=group.start_timeout, stop_timeout=group.stop_timeout,
    )


def expand(registry: Registry, name: str, allocations_file: Path | None = None) -> list[str]:
    """Units named by ``name``: a service, a group / ``models``, ``pool/model`` or a model id."""
    if name in registry.services:
        return [name]
    slots = model_slots(registry, allocations_file)
    if name == UNGROUPED or name in registry.groups:
        return [s.unit for s in slots if s.pool == name]
    units = [s.unit for s in slots if name in (s.unit, s.model)]
    if not units:
        raise UnknownName(name, registry)
    return units[:1]


def default_names(registry: Registry) -> list[str]:
    """``portmanager up`` with no names: every service and pool that has a command.

    A pool numbered by llama-swap/ClaraCore is left out: that runtime starts its models."""
    names = [n for n, s in registry.services.items() if s.command]
    names += [g.name for g in registry.pools() if g.command and g.members and not g.numbered_by]
    return names


def specs(registry: Registry, units: list[str], allocations_file: Path | None = None) -> list[UnitSpec]:
    """A ``UnitSpec`` per unit, in order."""
    slots = {s.unit: s for s in model_slots(registry, allocations_file)} if any(
        u not in registry.services for u in units) else {}
    claimed = {p for s in registry.services.values() for p in s.ports} | {s.port for s in slots.values()}
    out = []
    for unit in units:
        if unit in registry.services:
            out.append(service_spec(registry.services[unit]))
            continue
        slot = slots.get(unit)
        group = registry.pool(slot.pool) if slot else None
        if slot is None or group is None:
            raise UnknownName(unit, registry)
        out.append(model_spec(group, slot, claimed - {slot.port}))
    return out


def argv_for(spec: UnitSpec, port: int) -> list[str]:
    """The command with ``{port}``, ``{host}``, ``{python}``, ``{model}`` filled in -- an argv, no shell."""
    python = python_for_children(current_os(), is_frozen(), sys.executable)
    return [format_template(arg, port=port, host=spec.host, model=spec.model, python=python)
            for arg in spec.command]


def child_env(spec: UnitSpec, port: int, base: Mapping[str, str] | None = None,
              registry_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for key in DROPPED_ENV:
        env.pop(key, None)
    env.update({k: format_template(v, port=port, host=spec.host, model=spec.model) for k, v in spec.env.items()})
    env["PORT"] = str(port)
    env.setdefault("PYTHONUNBUFFERED", "1")  # a Python child's log lines reach the file as they happen
    if registry_path is not None:
        env[REGISTRY_ENV] = str(registry_path)  # the demo router lists this registry's model servers
    return env
