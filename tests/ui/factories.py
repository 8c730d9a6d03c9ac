"""Values for UI tests: a small registry, holders and snapshots built by hand."""
from __future__ import annotations

from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Snapshot,
)
from portmanager_gui.core.ports.selection import ModelSlot
from portmanager_gui.core.registry.model import Group, Registry, Service

ROUTER_PORTS = (3791, 3003)


def registry(router_ports=ROUTER_PORTS) -> Registry:
    services = {
        "router": Service("router", tuple(router_ports), description="Model Router",
                          command=("{python}", "-c", "pass")),
        "backend": Service("backend", (8203,)),
        "redis": Service("redis", (6379,), url="redis://{host}:{port}/0"),
    }
    groups = {"large-models": Group("large-models", 8200, 100, ("model1", "model2"), command=("x",))}
    return Registry(services, groups, Group("models", 8100, 100, ("my-model",), command=("x",)))


def slots() -> tuple[ModelSlot, ...]:
    return (ModelSlot("models", "my-model", 8100), ModelSlot("large-models", "model1", 8210),
            ModelSlot("large-models", "model2", 8211))


def holder(pid: int, name: str = "nginx", port_user: str = "alice", create: float = 1000.0) -> Holder:
    return Holder(pid, name, f"/usr/bin/{name}", (name, "-g", "daemon off;"), port_user, create,
                  ("127.0.0.1",))


def snapshot(held: dict[int, Holder] | None = None, at: float = 2000.0) -> Snapshot:
    ports = {p: PortInfo(p, PortStatus.LISTENING, (h,)) for p, h in (held or {}).items()}
    return Snapshot(at, ports)
