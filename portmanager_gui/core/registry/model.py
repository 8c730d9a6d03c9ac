"""The registry as values: frozen dataclasses describing services, groups and ports.

A ``Registry`` is never mutated. Edits produce a new value (``with_service_ports``,
``with_group_range``, ...) which the caller hands to ``yamlio.save``. Loading and
saving live in ``registry_load`` and ``yamlio``; the defaults in ``defaults``.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

DEFAULT_HOST = "127.0.0.1"
DEFAULT_GROUP_SIZE = 100
DEFAULT_START_PORT = 8100
UNGROUPED = "models"
RESTART_POLICIES = ("no", "on-failure", "always")
# Runtimes that number a pool's ports themselves (``numbered_by``): member i gets start_port + i.
RUNTIME_NUMBERING = ("llama-swap", "claracore")


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Service:
    """One service: a name, its ordered candidate ports and how to start it."""

    name: str
    ports: tuple[int, ...]
    description: str = ""
    host: str = DEFAULT_HOST
    command: tuple[str, ...] = ()
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    url: str = "http://{host}:{port}/"
    endpoints: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    health: str | None = None
    banner: str = ""
    expose: bool = False
    restart: str = "no"
    start_timeout: float = 60.0
    stop_timeout: float = 10.0

    @property
    def preferred(self) -> int:
        return self.ports[0]

    @property
    def fallbacks(self) -> tuple[int, ...]:
        return self.ports[1:]

    @property
    def bind_host(self) -> str:
        """Where the service listens: loopback unless the entry says ``expose: true``."""
        return "0.0.0.0" if self.expose and self.host == DEFAULT_HOST else self.host

    def url_for(self, port: int) -> str:
        return format_template(self.url, port=port, host=display_host(self.bind_host))

    def endpoint_urls(self, port: int) -> tuple[tuple[str, str], ...]:
        """``(label, url)`` for each endpoint, e.g. ``("API Base", "http://localhost:3791/api")``."""
        base = f"http://{display_host(self.bind_host)}:{port}"
        return tuple((label, base + ("" if path == "/" else path)) for label, path in self.endpoints.items())


@dataclass(frozen=True)
class Group:
    """A range of model-server ports: ``[start_port, start_port + size)``."""

    name: str
    start_port: int
    size: int = DEFAULT_GROUP_SIZE
    members: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    description: str = ""
    host: str = DEFAULT_HOST
    health: str | None = "/health"
    url: str = "http://{host}:{port}/"
    expose: bool = False
    restart: str = "no"
    start_timeout: float = 120.0
    stop_timeout: float = 10.0
    # "" : Port Manager gives members ports (sticky, first free). "llama-swap"/"claracore": that
    # runtime owns the ports; members are stored in its order and member i has start_port + i.
    numbered_by: str = ""

    @property
    def end_port(self) -> int:
        """The last port of the range (inclusive)."""
        return self.start_port + self.size - 1

    def contains(self, port: int) -> bool:
        return self.start_port <= port <= self.end_port

    @property
    def range_text(self) -> str:
        return f"{self.start_port}-{self.end_port}"


@dataclass(frozen=True)
class Registry:
    """The whole registry. ``groups`` holds the named groups; ``models`` the ungrouped pool."""

    services: Mapping[str, Service]
    groups: Mapping[str, Group]
    models: Group
    path: Path | None = None
    version: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))

    @property
    def start_port(self) -> int:
        return self.models.start_port

    def pools(self) -> tuple[Group, ...]:
        """Every model pool: the ungrouped one first, then the named groups."""
        return (self.models, *self.groups.values())

    def pool(self, name: str) -> Group | None:
        if name == UNGROUPED:
            return self.models
        return self.groups.get(name)

    def service(self, name: str) -> Service:
        try:
            return self.services[name]
        except KeyError:
            raise UnknownName(name, self) from None

    def names(self) -> tuple[str, ...]:
        return (*self.services, *self.groups)

    # -- edits: each returns a new Registry -------------------------------------------
    def with_service(self, service: Service) -> "Registry":
        services = dict(self.services)
        services[service.name] = service
        return replace(self, services=services)

    def without_service(self, name: str) -> "Registry":
        self.service(name)
        return replace(self, services={k: v for k, v in self.services.items() if k != name})

    def with_service_ports(self, name: str, ports: tuple[int, ...]) -> "Registry":
        return self.with_service(replace(self.service(name), ports=tuple(ports)))

    def with_group(self, group: Group) -> "Registry":
        if group.name == UNGROUPED:
            return replace(self, models=group)
        groups = dict(self.groups)
        groups[group.name] = group
        return replace(self, groups=groups)

    def without_group(self, name: str) -> "Registry":
        if name not in self.groups:
            raise UnknownName(name, self)
        return replace(self, groups={k: v for k, v in self.groups.items() if k != name})

    def with_group_range(self, name: str, start: int, size: int | None = None) -> "Registry":
        group = self.pool(name)
        if group is None:
            raise UnknownName(name, self)
        return self.with_group(replace(group, start_port=start, size=size or group.size))


class UnknownName(LookupError):
    """A service or group name the registry does not have."""

    def __init__(self, name: str, registry: Registry):
        self.name = name
        known = ", ".join(registry.names()) or "none"
        super().__init__(f"unknown service or group {name!r} (known: {known})")


def display_host(host: str) -> str:
    """The host to put in a URL: wildcard binds are reached through localhost."""
    if host in ("0.0.0.0", "", "::"):
        return "localhost"
    if ":" in host:
        return f"[{host}]"
    return host


def format_template(text: str, **values: object) -> str:
    """Substitute ``{port}``, ``{host}``, ``{python}``, ``{model}`` and leave other braces alone."""
    values.setdefault("python", sys.executable)
    out = text
    for key, value in values.items():
        out = out.replace("{" + key + "}", str(value))
    return out
