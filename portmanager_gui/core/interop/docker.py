"""Naming the container behind a port that Docker publishes.

A published port is held by Docker's forwarder (``docker-proxy`` on Linux, Docker
Desktop's backend on macOS and Windows), which says nothing about the service. ``docker ps``
does: ``published_ports()`` runs ``docker ps --format '{{json .}}'`` -- only when a
``docker`` client is on PATH and its engine answers -- and maps each published host port to
its container. The command runner and ``which`` are parameters so tests feed real-format
output without an engine.
"""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from ..platform.commands import CommandResult, run_command

DOCKER_PS = ("ps", "--format", "{{json .}}")
# The processes that hold a published port for Docker: docker-proxy (Linux), Docker
# Desktop's backend (macOS, Windows) and the user-space forwarders of rootless setups.
FORWARDERS = frozenset({"docker-proxy", "com.docker.backend", "com.docker.backend.exe", "com.docker.vpnkit",
                        "vpnkit", "vpnkit.exe", "wslrelay.exe", "rootlessport", "rootlesskit"})
_MAPPING = re.compile(r"(?:(?P<ip>.*):)?(?P<host>\d+)(?:-(?P<host_end>\d+))?->(?P<target>\d+)(?:-\d+)?/(?P<proto>\w+)")


Runner = Callable[[Sequence[str], float], CommandResult]


@dataclass(frozen=True)
class Published:
    port: int
    container: str
    protocol: str = "tcp"
    host_ip: str = ""
    target: int | None = None


@dataclass(frozen=True)
class DockerPorts:
    available: bool
    reason: str = ""                       # why not available, for a tooltip / status line
    ports: Mapping[tuple[int, str], Published] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", MappingProxyType(dict(self.ports)))

    def container_for(self, port: int, protocol: str = "tcp") -> str | None:
        entry = self.ports.get((port, protocol))
        return entry.container if entry else None


def is_forwarder(process_name: str) -> bool:
    """True when ``process_name`` is Docker's port forwarder rather than the service itself."""
    return process_name.lower() in FORWARDERS


def parse_ports(text: str, container: str) -> list[Published]:
    """``0.0.0.0:8080->80/tcp, :::8080->80/tcp, 9000/tcp`` -> the published host ports."""
    out: list[Published] = []
    for item in (p.strip() for p in text.split(",")):
        m = _MAPPING.fullmatch(item)
        if m is None:
            continue  # "9000/tcp": exposed inside Docker's network, not published on the host
        first, last = int(m["host"]), int(m["host_end"] or m["host"])
        for offset, port in enumerate(range(first, last + 1)):
            out.append(Published(port, container, m["proto"], (m["ip"] or "").strip("[]"), int(m["target"]) + offset))
    return out


def parse_ps(output: str) -> dict[tuple[int, str], Published]:
    """``docker ps --format '{{json .}}'`` output (one JSON object per line) -> port map."""
    ports: dict[tuple[int, str], Published] = {}
    for line in output.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(row, dict):
            continue
        name = str(row.get("Names") or row.get("ID") or "?").split(",")[0]
        for pub in parse_ports(str(row.get("Ports") or ""), name):
            ports.setdefault((pub.port, pub.protocol), pub)  # 0.0.0.0 and :: rows name one container
    return ports


def published_ports(which: Callable[[str], str | None] = shutil.which, run: Runner = run_command,
                    timeout: float = 3.0) -> DockerPorts:
    docker = which("docker")
    if docker is None:
        return DockerPorts(False, "Docker is not installed (no `docker` command on PATH)")
    result = run([docker, *DOCKER_PS], timeout)
    if result.returncode is None:
        return DockerPorts(False, f"`docker ps` did not answer within {timeout:g} s")
    if result.returncode != 0:
        first = next((ln.strip() for ln in result.stderr.splitlines() if ln.strip()), "no message")
        return DockerPorts(False, f"the Docker engine is not reachable ({first})")
    return DockerPorts(True, "", parse_ps(result.stdout))


@dataclass(frozen=True)
class StopResult:
    container: str
    ok: bool
    message: str = ""          # the engine's own words when it failed


def stop_argv(docker: str, container: str) -> list[str]:
    """``docker stop NAME``: the runtime's own command, as an argv list (never a shell)."""
    return [docker, "stop", container]


def stop_container(container: str, which: Callable[[str], str | None] = shutil.which, run: Runner = run_command,
                   timeout: float = 30.0, runtime: str = "docker") -> StopResult:
    """``docker stop NAME`` (or ``podman stop NAME``: ``runtime``), as an argv list."""
    program = which(runtime)
    if program is None:
        return StopResult(container, False, f"no `{runtime}` command on PATH")
    result = run(stop_argv(program, container), timeout)
    if result.returncode == 0:
        return StopResult(container, True)
    if result.returncode is None:
        return StopResult(container, False, f"`{runtime} stop {container}` did not finish within {timeout:g} s")
    first = next((ln.strip() for ln in result.stderr.splitlines() if ln.strip()), f"exit {result.returncode}")
    return StopResult(container, False, first)
