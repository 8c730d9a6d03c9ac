"""Importing the published ports of a ``docker-compose.yml`` (``services.*.ports``).

Short syntax ``[HOST_IP:]HOST:CONTAINER[/PROTOCOL]`` (``"8080:80"``, ``"127.0.0.1:8080:80"``,
``"[::1]:8080:80"``, ``"53:53/udp"``, ranges ``"8000-8002:8000-8002"``) and long syntax
(``target``/``published``/``host_ip``/``protocol``). Variables are interpolated as compose
does -- ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``$$`` -- from the
project's ``.env`` next to the compose file. A port published for both tcp and udp is one
port. A container port without a host port publishes nothing fixed and is skipped. A
service's first published port keeps the service's name; further ones become
``NAME-TARGET`` (``milvus-9091``).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..registry.model import Registry
from . import dotenv
from .errors import InteropError, read_text
from .naming import safe_name
from .result import Finding, ImportResult, PortEntry, apply_entries
from .yamlsrc import line_of, load_yaml

_PORT = re.compile(r"[0-9]{1,5}")
_RANGE = re.compile(r"(?P<a>[0-9]{1,5})-(?P<b>[0-9]{1,5})")
MAX_RANGE = 20   # a wider published range is reported, not turned into services one by one


def project_env(path: Path) -> dict[str, str]:
    """The variables of the ``.env`` next to the compose file (compose's default project env)."""
    env_file = Path(path).parent / ".env"
    if not env_file.is_file():
        return {}
    try:
        return {e.key: e.value for e in dotenv.parse_file(read_text(env_file)).lines}
    except InteropError:
        return {}


def _short(text: str) -> tuple[str, str]:
    """``[ip:]host:container[/proto]`` -> (host part, "" when none; container part)."""
    text = text.split("/", 1)[0]
    if text.startswith("["):  # [::1]:8080:80
        _, _, text = text.partition("]:")
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return "", parts[0]
    return parts[-2], parts[-1]


def _host_ports(host: str, where: tuple[str, int | None], label: str) -> list[int] | str:
    """The host ports ``host`` publishes, or why none is imported."""
    file, line = where
    host = host.strip()
    if not host:
        return "publishes no fixed host port"
    m = _RANGE.fullmatch(host)
    if m:
        a, b = int(m["a"]), int(m["b"])
        if not (1 <= a <= b <= 65535):
            raise InteropError(file, line, f"{label}: {host[:40]!r} is not a port range; write e.g. 8000-8002")
        if b - a + 1 > MAX_RANGE:
            return f"is a port range of {b - a + 1} ports; add the ones you need to Port Manager by hand"
        return list(range(a, b + 1))
    if not _PORT.fullmatch(host) or not 1 <= int(host) <= 65535:
        raise InteropError(file, line, f"{label}: {host[:40]!r} is not a host port; write a number between 1 and 65535")
    return [int(host)]


def _published(item: Any, env: dict[str, str], where: tuple[str, int | None], label: str) -> tuple[list[int] | str, str]:
    """(host ports or why skipped, container port text)."""
    file, line = where
    if isinstance(item, CommentedMap):
        target = str(item.get("target", "?"))
        pub = item.get("published")
        if pub is None:
            return "publishes no fixed host port", target
        host, missing = dotenv.expand_vars(str(pub), env)
    elif isinstance(item, (str, int)) and not isinstance(item, bool):
        text, missing = dotenv.expand_vars(str(item), env)
        host, target = _short(text)
    else:
        raise InteropError(file, line, f"{label} is not a port mapping; write e.g. \"8080:80\" or use `published:`")
    if missing and not host.strip():
        return (f"uses the variable {missing[0]}, which is set neither in the .env next to the file nor with a "
                "default (without a default)"), target
    return _host_ports(host, where, label), target.split("/", 1)[0]


def import_file(path: Path, registry: Registry) -> ImportResult:
    doc = load_yaml(read_text(path), path)
    services = doc.get("services") if isinstance(doc, CommentedMap) else None
    if not isinstance(services, CommentedMap):
        raise InteropError(path, 1, "is not a docker compose file: it has no `services:` mapping")
    env = project_env(path)
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
        taken: set[str] = set()
        seen: set[int] = set()
        for i, item in enumerate(ports):
            line = line_of(ports, i)
            label = f"services.{raw_name}.ports[{i}]"
            hosts, target = _published(item, env, (str(path), line), label)
            if isinstance(hosts, str):
                findings.append(Finding(str(path), line, f"{label} {hosts}; skipped"))
                continue
            for k, host in enumerate(hosts):
                if host in seen:  # the same port for tcp and udp, or on two addresses: one port
                    continue
                seen.add(host)
                first = target.split("-", 1)[0]
                tgt = str(int(first) + k) if first.isdigit() and len(hosts) > 1 else target
                entry_name = name
                if taken:
                    entry_name = f"{name}-{tgt}" if f"{name}-{tgt}" not in taken else f"{name}-{host}"
                taken.add(entry_name)
                found.append(PortEntry(label, entry_name, host, line, f"{raw_name} (docker compose)"))
    reg, more = apply_entries(registry, found, path)
    return ImportResult(Path(path), "compose", registry, reg, tuple(findings + more))
