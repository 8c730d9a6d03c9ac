"""The Python API for services, in the spirit of ``ports_config.py``::

    from portmanager_gui import registry
    registry.port("backend")      # 8203, or the fallback it really got when started by Port Manager
    registry.url("llm")           # "http://127.0.0.1:8611/"

The registry is the user's (or ``PORTMANAGER_HOME``'s, or ``PORTMANAGER_REGISTRY``'s) and
is read on every call, so a change saved in the app is seen at once.
"""
from __future__ import annotations

import os
from pathlib import Path

from .core import paths
from .core.ports import lookup
from .core.registry import save as yamlio
from .core.registry.load import load
from .core.registry.model import Registry
from .core.supervisor import records as state

REGISTRY_ENV = "PORTMANAGER_REGISTRY"


def _context() -> tuple[Registry, paths.Paths]:
    p = paths.resolve()
    explicit = os.environ.get(REGISTRY_ENV)
    if explicit:
        return load(Path(explicit)), p
    return yamlio.load_or_create(p.registry_file), p


def _resolve(name: str) -> lookup.Resolved:
    reg, p = _context()
    return lookup.resolve(reg, name, p.allocations_file, lambda unit: state.running_port(p, unit))


def port(name: str) -> int:
    """The port of a service or model server (``"large-models/model1"`` or ``"model1"``)."""
    return _resolve(name).port


def url(name: str) -> str:
    """The URL of a service (its ``url`` template) or model server."""
    return _resolve(name).url


def load_registry() -> Registry:
    return _context()[0]


__all__ = ["port", "url", "load_registry", "REGISTRY_ENV"]
