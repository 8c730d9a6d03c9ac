"""Lint: registry warnings (not errors), each saying what to change.

Rules: a port used twice; overlapping group ranges; a range containing a service's port
(the ClaraCore migration case: start port 5800 equal to the web UI's 5800 -> use 8100);
privileged ports; ports inside the OS ephemeral range; 5000/7000 on macOS (AirPlay
Receiver); Windows excluded port ranges. OS facts are a parameter (``PlatformFacts``).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..platform.facts import PlatformFacts, airplay_port, current_facts, excluded_range
from .model import DEFAULT_START_PORT, Group, Registry


@dataclass(frozen=True)
class LintWarning:
    """One registry finding: where (key path), what is wrong, what to do."""

    code: str
    key: str            # registry key path, e.g. "services.router.ports[1]" or "groups.large-models"
    message: str        # what is wrong
    fix: str            # what to do

    def __str__(self) -> str:
        return f"{self.key}: {self.message} -> {self.fix}"


def _service_ports(reg: Registry) -> list[tuple[str, int, str]]:
    """(service, port, key path) for every candidate port of every service."""
    return [(name, port, f"services.{name}.ports[{i}]")
            for name, svc in reg.services.items() for i, port in enumerate(svc.ports)]


def _pool_key(group: Group) -> str:
    return "start_port" if group.name == "models" else f"groups.{group.name}"


def _active_pools(reg: Registry) -> list[Group]:
    """Pools that hand out ports: the ungrouped pool only when it has members."""
    return [g for g in reg.pools() if g.members or g.name != "models"]


def _suggest_start(reg: Registry, group: Group) -> int:
    """A start port whose range clashes with nothing else in the registry."""
    busy = {p for _, p, _ in _service_ports(reg)}
    others = [g for g in _active_pools(reg) if g.name != group.name]
    start = DEFAULT_START_PORT
    while start + group.size - 1 <= 65535:
        rng = range(start, start + group.size)
        if not busy.intersection(rng) and not any(o.start_port <= rng[-1] and start <= o.end_port for o in others):
            return start
        start += 100
    return group.start_port


def lint(reg: Registry, facts: PlatformFacts | None = None) -> list[LintWarning]:
    facts = facts or current_facts()
    out: list[LintWarning] = []
    ports = _service_ports(reg)

    first_user: dict[int, tuple[str, str]] = {}
    for name, port, key in ports:
        if port in first_user and first_user[port][0] != name:
            other, other_key = first_user[port]
            out.append(LintWarning("duplicate-port", key, f"port {port} is also used by {other} ({other_key})",
                                   f"give {name} or {other} another port"))
        first_user.setdefault(port, (name, key))

    pools = _active_pools(reg)
    for i, a in enumerate(pools):
        for b in pools[i + 1:]:
            if a.start_port <= b.end_port and b.start_port <= a.end_port:
                out.append(LintWarning(
                    "overlapping-ranges", _pool_key(b),
                    f"range {b.range_text} of {b.name} overlaps {a.name}'s {a.range_text}",
                    f"move {b.name} to start at {_suggest_start(reg, b)}"))
        inside = [(n, p, k) for n, p, k in ports if a.contains(p)]
        for name, port, key in inside:
            fix = f"set {_pool_key(a)}{'' if a.name == 'models' else '.start_port'} to {_suggest_start(reg, a)}"
            room = min(p for _, p, _ in inside) - a.start_port
            if room >= max(1, len(a.members)):
                fix += f", or lower its size to {room}"
            out.append(LintWarning(
                "range-contains-service", _pool_key(a),
                f"range {a.range_text} of {a.name} contains port {port} of {name} ({key})", fix))

    checks = [(n, p, k) for n, p, k in ports] + [(g.name, g.start_port, _pool_key(g)) for g in pools]
    for name, port, key in checks:
        out.extend(_os_warnings(name, port, key, facts))
    return out


def _os_warnings(name: str, port: int, key: str, facts: PlatformFacts) -> list[LintWarning]:
    out = []
    if facts.unprivileged_start and port < facts.unprivileged_start:
        out.append(LintWarning("privileged-port", key,
                               f"port {port} of {name} is below {facts.unprivileged_start}: only root/admin can bind it",
                               "use a port of 1024 or more"))
    lo, hi = facts.ephemeral_range
    if lo <= port <= hi:
        out.append(LintWarning("ephemeral-port", key,
                               f"port {port} of {name} is inside the OS ephemeral range {lo}-{hi}: "
                               "outgoing connections may take it at random",
                               f"use a port below {lo}"))
    if airplay_port(facts, port):
        out.append(LintWarning("airplay-port", key,
                               f"port {port} of {name} is used by macOS AirPlay Receiver",
                               "pick another port, or turn off System Settings > General > AirDrop & Handoff > AirPlay Receiver"))
    excluded = excluded_range(facts, port)
    if excluded is not None:
        a, b = excluded
        out.append(LintWarning("excluded-port", key,
                               f"port {port} of {name} is in a Windows excluded port range {a}-{b} "
                               "(netsh int ipv4 show excludedportrange protocol=tcp)",
                               "pick a port outside it (Hyper-V, WSL and Docker reserve such ranges)"))
    return out
