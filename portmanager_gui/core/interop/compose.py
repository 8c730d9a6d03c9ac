"""Importing the published ports of a ``docker-compose.yml`` (``services.*.ports``).

Short syntax: ``"8080:80"``, ``"127.0.0.1:8080:80"``, ``"8080:80/tcp"``,
``"${BACKEND_PORT:-8203}:8203"`` (the default is taken); long syntax: ``published:``.
A container port without a host port (``"80"``) publishes nothing fixed and is skipped, as
are ranges. A service's first published port keeps the service's name; further ones become
``NAME-TARGET`` (``milvus-9091``).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..registry.model import Registry
from .errors import InteropError, read_text
from .naming import safe_name
from .result import Finding, ImportResult, PortEntry, apply_entries
from .yamlsrc import line_of, load_yaml

_VAR = re.compile(r"\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")
_PORT = re.compile(r"[1-9][0-9]{0,4}")


def _expand(text: str) -> str | None:
    """``${VAR:-8203}`` -> ``8203``; None when a variable has no default (value unknown here)."""
    missing = False

    def sub(m: re.Match) -> str:
        nonlocal missing
        if m["default"] is None:
            missing = True
            return ""
        return m["default"]

    out = _VAR.sub(sub, text)
    return None if missing else out


def _split_short(spec: str) -> tuple[str | None, str]:
    """``[ip:]host:container[/proto]`` -> (host part or None, container part)."""
    spec = spec.split("/", 1)[0]
    if spec.startswith("["):  # [::1]:8080:80
        _, _, spec = spec.partition("]:")
    parts = spec.rsplit(":", 2)
    if len(parts) == 1:
        return None, parts[0]
    return parts[-2], parts[-1]


def _published(item: Any, where: tuple[str, int | None]) -> tuple[int | None, str, str]:
    """(host port or None, container port text, why skipped)."""
    file, line = where
    if isinstance(item, CommentedMap):
        pub, target = item.get("published"), str(item.get("target", "?"))
        if pub is None:
            return None, target, "publishes no fixed host port"
        host = _expand(str(pub))
    elif isinstance(item, (str, int)) and not isinstance(item, bool):
        expanded = _expand(str(item))
        if expanded is None:
            return None, str(item), "uses a variable without a default"
        host, target = _split_short(expanded)
        if not host:  # "80" or "127.0.0.1::80": Docker picks a random host port
            return None, target, "publishes no fixed host port"
    else:
        raise InteropError(file, line, f"{item!r} is not a port mapping; write e.g. \"8080:80\" or use `published:`")
    if host is None:
        return None, target, "uses a variable without a default"
    if "-" in host:
        return None, target, "is a port range; add the ports to Port Manager one by one"
    if not _PORT.fullmatch(host) or int(host) > 65535:
        raise InteropError(file, line, f"{host!r} is not a host port; write a number between 1 and 65535")
    return int(host), target.split("/", 1)[0], ""


def import_file(path: Path, registry: Registry) -> ImportResult:
    doc = load_yaml(read_text(path), path)
    services = doc.get("services") if isinstance(doc, CommentedMap) else None
    if not isinstance(services, CommentedMap):
        raise InteropError(path, 1, "is not a docker compose file: it has no `services:` mapping")
    found: list[PortEntry] = []
    findings: list[Finding] = []
    for raw_name, svc in services.items():
        name = safe_name(str(raw_name))
        if not isinstance(svc, CommentedMap):
            raise InteropError(path, line_of(services, raw_name), f"services.{raw_name} must be a mapping")
        ports = svc.get("ports")
        if ports is None:
            continue
        if not isinstance(ports, CommentedSeq):
            raise InteropError(path, line_of(svc, "ports"), f"services.{raw_name}.ports must be a list")
        first = True
        for i, item in enumerate(ports):
            line = line_of(ports, i)
            host, target, why = _published(item, (str(path), line))
            if host is None:
                findings.append(Finding(str(path), line, f"services.{raw_name}.ports[{i}] {why}; skipped"))
                continue
            entry_name = name if first else f"{name}-{target}"
            found.append(PortEntry(f"services.{raw_name}.ports[{i}]", entry_name, host, line,
                                   f"{raw_name} (docker compose)"))
            first = False
    reg, more = apply_entries(registry, found, path)
    return ImportResult(Path(path), "compose", registry, reg, tuple(findings + more))
