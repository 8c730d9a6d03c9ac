"""Turning a llama-swap / ClaraCore config into a new registry value.

The proxy's listen port becomes the ``claracore`` service; ``startPort`` the ungrouped pool
(``start_port``) with every ``${PORT}`` model that is in no group; each group becomes a
registry group with its ``startPort`` and members. The config is the authority on which
models exist, so pool members are replaced; nothing else in the registry is removed.
A group without ``startPort`` gets the next free block of 100 -- ClaraCore accepts a
per-group ``startPort``, and write-back puts it in the file so both agree.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..registry.model import DEFAULT_GROUP_SIZE, Group, Registry, Service
from .errors import InteropError
from .llamaswap import (
    CLARACORE_DEFAULT_LISTEN,
    CLARACORE_DEFAULT_START,
    LlamaSwapConfig,
    load,
)
from .naming import safe_name
from .result import Finding, ImportResult, StartPortClash, moved

CLARACORE = "claracore"
CLARACORE_DESCRIPTION = "ClaraCore / llama-swap proxy web UI and API"


def _member_names(cfg: LlamaSwapConfig, names: list[str], findings: list[Finding]) -> tuple[str, ...]:
    out = []
    for raw in names:
        model = next((m for m in cfg.models if m.name == raw), None)
        line = model.line if model else None
        if model is not None and not model.uses_port:
            where = f" (proxy {model.proxy})" if model.proxy else ""
            findings.append(Finding(cfg.file, line, f"model {raw} has a fixed port in its command{where}, not "
                                    "${PORT}; Port Manager does not assign it a port",
                                    "add it as a service with `portmanager import` of a .env or by hand"))
            continue
        name = safe_name(raw)
        if not name:
            raise InteropError(cfg.file, line, f"model name {raw!r} has no letters or digits Port Manager can use")
        if name != raw:
            findings.append(Finding(cfg.file, line, f"model {raw!r} is called {name!r} in Port Manager "
                                    "(names there use letters, digits, . _ -)"))
        out.append(name)
    return tuple(out)


def _next_block(reg: Registry, size: int) -> int:
    """The first block of ``size`` ports on a 100 boundary from 8100 that nothing uses."""
    ranges = [(g.start_port, g.end_port) for g in reg.pools()]
    service_ports = {p for s in reg.services.values() for p in s.ports}
    for start in range(CLARACORE_DEFAULT_START, 65536 - size + 1, 100):
        end = start + size - 1
        if all(end < a or start > b for a, b in ranges) and not any(start <= p <= end for p in service_ports):
            return start
    return CLARACORE_DEFAULT_START


def _sized(group: Group, file: str, line: int | None) -> Group:
    size = max(group.size, len(group.members))
    size = min(size, 65536 - group.start_port)
    if size < len(group.members):
        raise InteropError(file, line, f"{group.name}: {len(group.members)} models do not fit between "
                           f"{group.start_port} and 65535; lower its startPort")
    return replace(group, size=size)


def _with_listen(reg: Registry, cfg: LlamaSwapConfig, findings: list[Finding]) -> Registry:
    svc = reg.services.get(CLARACORE)
    if cfg.listen_port is None:
        if svc is None:
            findings.append(Finding(cfg.file, None, f"no listen port in the file; ClaraCore's default "
                                    f"{CLARACORE_DEFAULT_LISTEN} is used (it takes --listen on its command line)"))
            return reg.with_service(Service(CLARACORE, (CLARACORE_DEFAULT_LISTEN,), CLARACORE_DESCRIPTION))
        return reg
    if svc is None:
        return reg.with_service(Service(CLARACORE, (cfg.listen_port,), CLARACORE_DESCRIPTION))
    if svc.preferred == cfg.listen_port:
        return reg
    return reg.with_service_ports(CLARACORE, moved(svc.ports, cfg.listen_port))


def import_config(cfg: LlamaSwapConfig, registry: Registry) -> ImportResult:
    findings: list[Finding] = []
    reg = _with_listen(registry, cfg, findings)
    start = cfg.start_port
    if start is None:
        start = CLARACORE_DEFAULT_START
        findings.append(Finding(cfg.file, None, f"no startPort in the file; ClaraCore's default {start} is used",
                                "link the file to have Port Manager write startPort into it"))
    grouped = {m for g in cfg.groups for m in g.members}
    ungrouped = _member_names(cfg, [m.name for m in cfg.models if m.name not in grouped], findings)
    reg = reg.with_group(_sized(replace(reg.models, start_port=start, members=ungrouped), cfg.file, cfg.start_line))
    for g in cfg.groups:
        if g.name in reg.services or g.name == "models" or not safe_name(g.name) == g.name:
            raise InteropError(cfg.file, g.line, f"group name {g.name!r} cannot be used in Port Manager (it is a "
                               "service name, 'models', or has characters other than letters, digits, . _ -); "
                               "rename the group")
        members = _member_names(cfg, list(g.members), findings)
        existing = reg.groups.get(g.name)
        if g.start_port is not None:
            gstart = g.start_port
        elif existing is not None:
            gstart = existing.start_port
        else:
            gstart = _next_block(reg, max(DEFAULT_GROUP_SIZE, len(members)))
        if g.start_port is None:
            findings.append(Finding(cfg.file, g.line, f"group {g.name} has no startPort; Port Manager gives it "
                                    f"{gstart} and writes that into the file when it is linked"))
        base = existing if existing is not None else Group(name=g.name, start_port=gstart)
        reg = reg.with_group(_sized(replace(base, start_port=gstart, members=members), cfg.file, g.line))
    return ImportResult(Path(cfg.file), "claracore", registry, reg, tuple(findings), _clash(cfg, reg, findings))


def _clash(cfg: LlamaSwapConfig, reg: Registry, findings: list[Finding]) -> StartPortClash | None:
    """ClaraCore's migration case, and the same mistake on a group's startPort."""
    listen = reg.services[CLARACORE].preferred if CLARACORE in reg.services else cfg.effective_listen
    for g in cfg.groups:
        group = reg.groups.get(g.name)
        if group is not None and group.contains(listen) and listen < group.start_port + max(1, len(group.members)):
            findings.append(Finding(cfg.file, g.start_line or g.line, f"group {g.name} starts at {group.start_port}, "
                                    f"so a model would take ClaraCore's web UI port {listen}",
                                    f"portmanager group {g.name} --start <a free block, e.g. {_next_block(reg, group.size)}>"))
    models = reg.models
    if models.start_port <= listen < models.start_port + max(1, len(models.members)):
        return StartPortClash(cfg.file, cfg.start_line, models.start_port, listen)
    return None


def import_file(path: Path, registry: Registry) -> ImportResult:
    return import_config(load(path), registry)
