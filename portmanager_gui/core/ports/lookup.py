"""Which port and URL a name stands for: what ``url``, ``env`` and the Python API answer.

A service started by Port Manager answers with the port it really got (from the state
record, so a fallback is followed); otherwise with its preferred port. A model server
("pool/model") answers with its allocated slot.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..registry.model import Registry, UnknownName, display_host, format_template
from .selection import ModelSlot, model_slots

RunningPort = Callable[[str], "int | None"]


@dataclass(frozen=True)
class Resolved:
    """A service or model's port and URL, for ``portmanager url`` and ``env``."""

    name: str
    port: int
    url: str
    running: bool


def _no_state(unit: str) -> int | None:
    return None


def resolve(registry: Registry, name: str, allocations_file: Path | None = None,
            running_port: RunningPort = _no_state) -> Resolved:
    """The port and URL of a service or of a model server ("pool/model" or a bare model id)."""
    if name in registry.services:
        svc = registry.services[name]
        live = running_port(name)
        port = live or svc.preferred
        return Resolved(name, port, svc.url_for(port), live is not None)
    slot = _find_slot(registry, name, allocations_file)
    group = registry.pool(slot.pool)
    assert group is not None
    live = running_port(slot.unit)
    port = live or slot.port
    url = format_template(group.url, port=port, host=display_host(group.host), model=slot.model)
    return Resolved(slot.unit, port, url, live is not None)


def _find_slot(registry: Registry, name: str, allocations_file: Path | None) -> ModelSlot:
    slots = model_slots(registry, allocations_file)
    for slot in slots:
        if name in (slot.unit, slot.model):
            return slot
    raise UnknownName(name, registry)


def env_name(name: str) -> str:
    """``large-models/model1`` -> ``LARGE_MODELS_MODEL1_PORT``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() + "_PORT"


def env_lines(registry: Registry, allocations_file: Path | None = None,
              running_port: RunningPort = _no_state) -> list[str]:
    lines = []
    for name in registry.services:
        lines.append(f"{env_name(name)}={resolve(registry, name, allocations_file, running_port).port}")
    for slot in model_slots(registry, allocations_file):
        lines.append(f"{env_name(slot.unit)}={running_port(slot.unit) or slot.port}")
    return lines
