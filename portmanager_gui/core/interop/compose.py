"""Importing the published ports of a ``docker-compose.yml`` (``services.*.ports``).

Short syntax ``[HOST_IP:]HOST:CONTAINER[/PROTOCOL]`` (``"8080:80"``, ``"127.0.0.1:8080:80"``,
``"[::1]:8080:80"``, ``"53:53/udp"``, ranges ``"8000-8002:8000-8002"``) and long syntax
(``target``/``published``/``host_ip``/``protocol``). Variables are interpolated as compose
does -- ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``$$`` -- from the
project's ``.env`` next to the compose file. A port published for both tcp and udp is one
port. A container port without a host port publishes nothing fixed and is skipped. Ports are
resolved as compose resolves them: inherited through ``extends`` (a service of this file, or of
another file with ``file:``), merged in with ``<<: *anchor``, replaced by ``!override`` and
dropped by ``!reset``; a service with no body, or an ``extends`` that cannot be followed, is a
note (only a port line may fail an import). A
service's first published port keeps the service's name; further ones become
``NAME-TARGET`` (``milvus-9091``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
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


MAX_EXTENDS = 10   # compose has no limit; a deeper chain is a cycle or a mistake


@dataclass(frozen=True)
class _Port:
    """One ``ports`` item with where it was written (the file of an extended service, too)."""

    item: Any
    file: str
    line: int | None
    label: str


class _Compose:
    """The services of one compose file and of the files their ``extends`` name (read once each)."""

    def __init__(self, path: Path, env: dict[str, str], findings: list[Finding]):
        self.env, self.findings = env, findings
        self.files: dict[Path, CommentedMap] = {}
        self.root = self.services(Path(path))

    def services(self, path: Path) -> CommentedMap:
        path = path.resolve()
        if path not in self.files:
            doc = load_yaml(read_text(path), path)
            services = doc.get("services") if isinstance(doc, CommentedMap) else None
            if not isinstance(services, CommentedMap):
                raise InteropError(path, 1, "is not a docker compose file: it has no `services:` mapping")
            self.files[path] = services
        return self.files[path]

    def ports(self, path: Path, name: str, chain: tuple[tuple[Path, str], ...] = ()) -> list[_Port]:
        """The service's published ports as compose resolves them: those of the service it
        ``extends`` first, then its own (``!override``: only its own; ``!reset``: none)."""
        services = self.services(path)
        svc = services.get(name)
        where = (str(path), line_of(services, name))
        if (path.resolve(), name) in chain or len(chain) > MAX_EXTENDS:
            self.findings.append(Finding(*where, f"services.{name}: `extends` goes round in a circle or deeper than "
                                         f"{MAX_EXTENDS} levels; ports it would inherit are skipped"))
            return []
        if not isinstance(svc, CommentedMap):
            if name in services and chain == ():
                what = "is empty" if svc is None else "is not a mapping"
                self.findings.append(Finding(*where, f"services.{name} {what}; it publishes no port, skipped"))
            return []
        inherited = self._extended(path, name, svc, (*chain, (path.resolve(), name)))
        own = svc.get("ports")
        if chain == () and own is None and not inherited and str(svc.get("network_mode", "")) == "host":
            self.findings.append(Finding(*where, f"services.{name} uses network_mode: host, so compose publishes "
                                         "nothing: it listens on whatever port its program opens. Add that port "
                                         f"to Port Manager by hand (portmanager ports {safe_name(name)} PORT)"))
        tag = getattr(getattr(own, "tag", None), "value", None)
        if own is None:
            return inherited
        if tag == "!reset":
            return []
        if not isinstance(own, CommentedSeq):
            raise InteropError(path, line_of(svc, "ports"), f"services.{name}.ports must be a list")
        mine = [_Port(item, str(path), line_of(own, i), f"services.{name}.ports[{i}]") for i, item in enumerate(own)]
        return mine if tag == "!override" else inherited + mine

    def _extended(self, path: Path, name: str, svc: CommentedMap, chain: tuple) -> list[_Port]:
        ext = svc.get("extends")
        if ext is None:
            return []
        base_file, base = path, ext
        if isinstance(ext, CommentedMap):
            base = ext.get("service")
            if ext.get("file") is not None:
                base_file = path.parent / os.path.expanduser(str(ext["file"]))
        if not isinstance(base, str) or not base:
            self.findings.append(Finding(str(path), line_of(svc, "extends"), f"services.{name}.extends names no "
                                         "service; ports it would inherit are skipped"))
            return []
        if base_file != path and not base_file.is_file():
            self.findings.append(Finding(str(path), line_of(svc, "extends"), f"services.{name} extends {base} in "
                                         f"{base_file}, which does not exist; ports it would inherit are skipped"))
            return []
        if base not in self.services(base_file):
            self.findings.append(Finding(str(path), line_of(svc, "extends"), f"services.{name} extends {base}, "
                                         "which is not defined; ports it would inherit are skipped"))
            return []
        return self.ports(base_file, base, chain)


def import_file(path: Path, registry: Registry) -> ImportResult:
    env = project_env(path)
    findings: list[Finding] = []
    compose = _Compose(Path(path), env, findings)
    found: list[PortEntry] = []
    for raw_name in compose.root:
        name = safe_name(str(raw_name))
        taken: set[str] = set()
        seen: set[int] = set()
        for port in compose.ports(Path(path), raw_name):
            hosts, target = _published(port.item, env, (port.file, port.line), port.label)
            if isinstance(hosts, str):
                findings.append(Finding(port.file, port.line, f"{port.label} {hosts}; skipped"))
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
                line = port.line if port.file == str(path) else None
                found.append(PortEntry(port.label, entry_name, host, line, f"{raw_name} (docker compose)"))
    reg, more = apply_entries(registry, found, path)
    return ImportResult(Path(path), "compose", registry, reg, tuple(findings + more))
