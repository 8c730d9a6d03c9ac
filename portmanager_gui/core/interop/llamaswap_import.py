"""Turning a llama-swap / ClaraCore config into a new registry value.

The runtime owns its models' ports, so the registry keeps the runtime's numbering: the
ungrouped pool (``models``) becomes the runtime's pool -- ``start_port`` is the file's
``startPort`` (or the runtime's default), members are the models that get a ``${PORT}``, in
the runtime's sorted order, and ``numbered_by`` names the runtime, so member i has
``start_port + i`` exactly as the runtime gives it. Port Manager's own groups (the 8200+ /
8300+ ranges of model servers Port Manager launches itself) are left as they are; a model
the runtime now owns is taken out of them. The proxy's listen port becomes its service
(``claracore`` or ``llama-swap``). llama-swap/ClaraCore groups have no ports, so they are
only reported -- with a plain word when a ClaraCore file sets a group ``startPort`` that
ClaraCore's loader ignores.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..registry.model import Registry, Service
from .errors import InteropError
from .live import proxy_service
from .llamaswap import CLARACORE, DEFAULT_LISTEN, DEFAULT_START, LlamaSwapConfig, load
from .naming import safe_name
from .result import Finding, ImportResult, StartPortClash, moved

PROXY_DESCRIPTION = {CLARACORE: "ClaraCore web UI and API (model proxy)",
                     "llama-swap": "llama-swap model proxy (OpenAI-compatible API)"}
LABEL = {CLARACORE: "ClaraCore", "llama-swap": "llama-swap"}
CLARACORE_DESCRIPTION = PROXY_DESCRIPTION[CLARACORE]


def _member_names(cfg: LlamaSwapConfig, findings: list[Finding]) -> tuple[str, ...]:
    label = LABEL[cfg.runtime]
    out: dict[str, str] = {}
    for model in cfg.models:
        if model.refused:
            findings.append(Finding(cfg.file, model.line, f"{label} refuses to load model {model.name}: "
                                    f"{model.refused}", "put ${PORT} in its cmd (e.g. --port ${PORT}), or give it "
                                    "a fixed port in both cmd and proxy"))
            continue
        if model.port is None:
            where = f" (proxy {model.proxy})" if model.proxy else ""
            findings.append(Finding(cfg.file, model.line, f"model {model.name} has a fixed port in its command{where}, "
                                    f"not ${{PORT}}; {label} gives it no port from startPort",
                                    "add it as a service with `portmanager import` of a .env or by hand"))
            continue
        # Every numbered model must stay a member (member i is start_port + i), so a name Port
        # Manager cannot use as it is gets its port to make it one: never a refusal.
        name = safe_name(model.name) or f"model-{model.port}"
        if name in out:
            name = f"{name}-{model.port}"
            findings.append(Finding(cfg.file, model.line, f"models {out[safe_name(model.name)]!r} and {model.name!r} "
                                    f"would both be {safe_name(model.name)!r} in Port Manager (names there use "
                                    f"letters, digits, . _ -); the second is called {name!r}"))
        elif name != model.name:
            findings.append(Finding(cfg.file, model.line, f"model {model.name!r} is called {name!r} in Port Manager "
                                    "(names there use letters, digits, . _ -)"))
        out[name] = model.name
    return tuple(out)


def _with_listen(reg: Registry, cfg: LlamaSwapConfig, findings: list[Finding]) -> Registry:
    name = proxy_service(cfg.runtime)
    svc = reg.services.get(name)
    if cfg.listen_port is None:
        if svc is None:
            default = DEFAULT_LISTEN[cfg.runtime]
            findings.append(Finding(cfg.file, None, f"no listen port in the file; {LABEL[cfg.runtime]}'s default "
                                    f"{default} is used (it takes --listen on its command line)"))
            return reg.with_service(Service(name, (default,), PROXY_DESCRIPTION[cfg.runtime]))
        return reg
    if svc is None:
        return reg.with_service(Service(name, (cfg.listen_port,), PROXY_DESCRIPTION[cfg.runtime]))
    if svc.preferred == cfg.listen_port:
        return reg
    return reg.with_service_ports(name, moved(svc.ports, cfg.listen_port))


def _group_findings(cfg: LlamaSwapConfig, findings: list[Finding]) -> None:
    label = LABEL[cfg.runtime]
    for g in cfg.groups:
        for member in g.undefined:
            findings.append(Finding(cfg.file, g.line, f"group {g.name} lists {member!r}, which is not under models:; "
                                    f"{label} loads the file but the member does nothing",
                                    "add the model or remove the member"))
        if g.start_line is None:
            continue
        ports = ", ".join(f"{m} {cfg.port_of(m)}" for m in g.members if cfg.port_of(m) is not None) or "none"
        also = (f" (it is also {label}'s web UI port)" if g.ignored_start == cfg.effective_listen else "")
        findings.append(Finding(
            cfg.file, g.start_line, f"groups.{g.name}.startPort {g.ignored_start!r}{also} is ignored: {label}'s "
            f"config loader has no per-group start port, so its members get ports from the global startPort "
            f"{cfg.effective_start} in model-name order: {ports}",
            "remove the group's startPort; to move the models, change the global startPort, or give each model "
            "a fixed port in both its cmd (--port 8200) and its proxy (http://127.0.0.1:8200)"))


def _sized(reg: Registry, cfg: LlamaSwapConfig, members: tuple[str, ...]) -> Registry:
    start = cfg.effective_start
    size = max(reg.models.size, len(members), 1)
    size = min(size, 65536 - start)
    if size < len(members):
        raise InteropError(cfg.file, cfg.start_line, f"{len(members)} models do not fit between {start} and 65535; "
                           "lower startPort")
    pool = replace(reg.models, start_port=start, size=size, members=members, numbered_by=cfg.runtime)
    return reg.with_group(pool)


def _released(reg: Registry, cfg: LlamaSwapConfig, members: tuple[str, ...], findings: list[Finding]) -> Registry:
    """Models the runtime now owns are taken out of Port Manager's own groups."""
    owned = set(members)
    for group in list(reg.groups.values()):
        taken = [m for m in group.members if m in owned]
        if taken:
            findings.append(Finding(cfg.file, None, f"{', '.join(taken)} left Port Manager's group {group.name}: "
                                    f"{LABEL[cfg.runtime]} starts {'them' if len(taken) > 1 else 'it'} on its own "
                                    "ports"))
            reg = reg.with_group(replace(group, members=tuple(m for m in group.members if m not in owned)))
    return reg


def import_config(cfg: LlamaSwapConfig, registry: Registry) -> ImportResult:
    label = LABEL[cfg.runtime]
    findings: list[Finding] = [Finding(cfg.file, None, f"read as a {label} config ({cfg.runtime_reason}); ports "
                                       f"are numbered the way {label} numbers them")]
    reg = _with_listen(registry, cfg, findings)
    if cfg.start_port is None:
        findings.append(Finding(cfg.file, None, f"no startPort in the file; {label}'s default "
                                f"{DEFAULT_START[cfg.runtime]} is used"))
    members = _member_names(cfg, findings)
    reg = _released(_sized(reg, cfg, members), cfg, members, findings)
    _group_findings(cfg, findings)
    clash = _clash(cfg, reg)
    return ImportResult(Path(cfg.file), "claracore", registry, reg, tuple(findings), clash, cfg.runtime)


def _clash(cfg: LlamaSwapConfig, reg: Registry) -> StartPortClash | None:
    """ClaraCore's migration case: a model's port is the proxy's own web UI port."""
    name = proxy_service(cfg.runtime)
    listen = reg.services[name].preferred if name in reg.services else cfg.effective_listen
    models = reg.models
    count = max(1, len(models.members))
    if models.start_port <= listen < models.start_port + count:
        fix = DEFAULT_START[CLARACORE]
        if fix <= listen < fix + count:
            fix = listen + 1
        return StartPortClash(cfg.file, cfg.start_line, models.start_port, listen, fix, LABEL[cfg.runtime])
    return None


def import_file(path: Path, registry: Registry, runtime: str | None = None) -> ImportResult:
    return import_config(load(path, runtime), registry)
