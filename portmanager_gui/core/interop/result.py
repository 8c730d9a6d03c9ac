"""The value an import produces: the new registry, its preview, and findings to show.

Flat sources (``ports_config.py``, ``.env``, compose) all yield ``PortEntry`` values that
``apply_entries`` merges into a registry the same way: an existing service gets the new
preferred port (its fallbacks stay); an unknown name becomes a new service.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..registry.model import Registry, Service
from .changes import Change, diff
from .errors import InteropError


@dataclass(frozen=True)
class Finding:
    """Something the user should know about the imported file, with the fix when there is one."""

    file: str
    line: int | None
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" + (f" Fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class StartPortClash:
    """ClaraCore's migration case: ``startPort`` equal to ClaraCore's own web UI port."""

    file: str
    line: int | None
    start_port: int
    listen_port: int
    fix_port: int = 8100
    runtime: str = "ClaraCore"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.start_port == self.listen_port:
            what = (f"startPort {self.start_port} is {self.runtime}'s own web UI port, so the first model server "
                    "would collide with it")
        else:
            what = (f"startPort {self.start_port} puts a model server on {self.runtime}'s own web UI port "
                    f"{self.listen_port}, so they would collide")
        return f"{where}: {what}. Fix: startPort {self.fix_port} (models start from {self.fix_port})."


@dataclass(frozen=True)
class ImportResult:
    """An import's outcome: the registry it would save, what changes, and the findings."""

    source: Path
    kind: str                      # "claracore" | "python" | "env" | "compose"
    base: Registry                 # the registry the import started from
    registry: Registry             # the registry to save when the user accepts
    findings: tuple[Finding, ...] = ()
    clash: StartPortClash | None = None
    runtime: str = ""              # "llama-swap" | "claracore" for a model-proxy config

    @property
    def changes(self) -> tuple[Change, ...]:
        return diff(self.base, self.registry)

    def with_clash_fixed(self) -> "ImportResult":
        """The same import with the ungrouped models moved to the fix port (8100)."""
        if self.clash is None:
            return self
        reg = self.registry.with_group_range("models", self.clash.fix_port)
        return replace(self, registry=reg, clash=None)


@dataclass(frozen=True)
class PortEntry:
    """One port read from a flat source: ``BACKEND_PORT = 8203`` on line 7."""

    key: str
    name: str
    port: int
    line: int | None = None
    description: str = ""


def moved(ports: tuple[int, ...], preferred: int) -> tuple[int, ...]:
    """The preferred port replaced, fallbacks kept (the old preferred port is not one)."""
    return (preferred, *(p for p in ports[1:] if p != preferred))


def apply_entries(registry: Registry, entries: Iterable[PortEntry], file: Path | str) -> tuple[Registry, list[Finding]]:
    """Merge ``entries`` into ``registry``. Two keys naming one service is an error."""
    seen: dict[str, PortEntry] = {}
    findings: list[Finding] = []
    reg = registry
    for e in entries:
        if e.name in seen:
            first = seen[e.name]
            raise InteropError(file, e.line, f"{e.key} and {first.key} (line {first.line}) both stand for the "
                               f"service {e.name!r}; keep one of them")
        seen[e.name] = e
        if e.name in reg.groups or e.name == "models":
            findings.append(Finding(str(file), e.line, f"{e.key} names the model group {e.name!r}, not a service; "
                                    "skipped", "set group ranges with `portmanager group`"))
            continue
        svc = reg.services.get(e.name)
        if svc is None:
            reg = reg.with_service(Service(name=e.name, ports=(e.port,), description=e.description))
        elif svc.preferred != e.port:
            reg = reg.with_service_ports(e.name, moved(svc.ports, e.port))
    if not seen:       # "no changes" alone would read as "the registry already has these ports"
        findings.append(Finding(str(file), None, "has no port for a service in it (the other notes say why, if "
                                "any); nothing to import"))
    return reg, findings
