"""Naming the container behind a port that Docker or Podman publishes.

A published port is held by the runtime's forwarder (``docker-proxy`` on Linux, Docker
Desktop's backend on macOS and Windows; Podman's ``rootlessport``, ``conmon`` or, on macOS
and Windows, ``gvproxy``), which says nothing about the service. The runtime's own list
does: ``published_ports()`` runs ``docker ps --format '{{json .}}'`` (or ``podman ps
--format json``) -- only when that client is on PATH and its engine answers -- and maps
each published host port to its container. The command runner and ``which`` are
parameters so tests feed real-format output without an engine.
"""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from ..platform.commands import CommandResult, run_command
from .forwarders import DOCKER, FORWARDERS, PODMAN, RUNTIME_OF, is_forwarder, runtime_of  # noqa: F401

PS_ARGS = {DOCKER: ("ps", "--format", "{{json .}}"), PODMAN: ("ps", "--format", "json")}
DOCKER_PS = PS_ARGS[DOCKER]
ENGINE = {DOCKER: "Docker", PODMAN: "Podman"}
_MAPPING = re.compile(r"(?:(?P<ip>.*):)?(?P<host>\d+)(?:-(?P<host_end>\d+))?->(?P<target>\d+)(?:-\d+)?/(?P<proto>\w+)")


Runner = Callable[[Sequence[str], float], CommandResult]


@dataclass(frozen=True)
class Published:
    """One port a container publishes on the host (``docker ps``'s Ports column)."""

    port: int
    container: str
    protocol: str = "tcp"
    host_ip: str = ""
    target: int | None = None


@dataclass(frozen=True)
class DockerPorts:
    """The container engine's answer: the ports its containers publish, or why there is none."""

    available: bool
    reason: str = ""                       # why not available, for a tooltip / status line
    ports: Mapping[tuple[int, str], Published] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", MappingProxyType(dict(self.ports)))

    def container_for(self, port: int, protocol: str = "tcp") -> str | None:
        entry = self.ports.get((port, protocol))
        return entry.container if entry else None


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


def parse_podman_ps(output: str) -> dict[tuple[int, str], Published]:
    """``podman ps --format json`` output (one JSON array) -> port map. Podman 4+ writes
    ``host_port``/``container_port``/``range``; Podman 2-3 wrote ``hostPort``/``containerPort``."""
    try:
        rows = json.loads(output or "[]")
    except json.JSONDecodeError:
        return {}
    ports: dict[tuple[int, str], Published] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        names = row.get("Names") or [row.get("Id") or "?"]
        name = str(names[0] if isinstance(names, list) and names else names)
        for p in row.get("Ports") or []:
            if not isinstance(p, dict):
                continue
            host = p.get("host_port", p.get("hostPort"))
            target = p.get("container_port", p.get("containerPort"))
            if not isinstance(host, int) or host <= 0:
                continue
            proto = str(p.get("protocol") or "tcp")
            for offset in range(max(1, int(p.get("range") or 1))):
                ports.setdefault((host + offset, proto), Published(
                    host + offset, name, proto, str(p.get("host_ip", p.get("hostIP")) or ""),
                    target + offset if isinstance(target, int) else None))
    return ports


def published_ports(which: Callable[[str], str | None] = shutil.which, run: Runner = run_command,
                    timeout: float = 3.0, runtime: str = DOCKER) -> DockerPorts:
    """The ports ``runtime`` (docker or podman) publishes, from its own ``ps``."""
    engine = ENGINE.get(runtime, runtime)
    program = which(runtime)
    if program is None:
        return DockerPorts(False, f"{engine} is not installed (no `{runtime}` command on PATH)")
    result = run([program, *PS_ARGS[runtime]], timeout)
    if result.returncode is None:
        return DockerPorts(False, f"`{runtime} ps` did not answer within {timeout:g} s")
    if result.returncode != 0:
        first = next((ln.strip() for ln in result.stderr.splitlines() if ln.strip()), "no message")
        return DockerPorts(False, f"the {engine} engine is not reachable ({first})")
    return DockerPorts(True, "", parse_podman_ps(result.stdout) if runtime == PODMAN else parse_ps(result.stdout))


def merged(answers: Iterable[DockerPorts]) -> DockerPorts:
    """One view of several runtimes' answers (a port is published by one of them)."""
    answers = list(answers)
    if len(answers) == 1:
        return answers[0]
    ports: dict[tuple[int, str], Published] = {}
    for a in answers:
        for k, v in a.ports.items():
            ports.setdefault(k, v)
    return DockerPorts(any(a.available for a in answers), "; ".join(a.reason for a in answers if a.reason), ports)


def published_by(runtimes: Iterable[str], published: Callable[..., DockerPorts] | None = None) -> DockerPorts:
    """The ports published by each of ``runtimes``, asked one by one."""
    ask = published or published_ports
    return merged([ask(runtime=r) for r in sorted(set(runtimes))] or [DockerPorts(False)])


class StopTrouble(str, Enum):
    """Why ``docker stop NAME`` did not stop the container."""

    NO_PROGRAM = "no program"      # no ``docker``/``podman`` command on PATH
    TIMEOUT = "timeout"            # the command did not finish in time
    REFUSED = "refused"            # the engine said no (``engine_error``: its own words)


@dataclass(frozen=True)
class StopResult:
    """What stopping a container gave."""

    container: str
    ok: bool
    trouble: StopTrouble | None = None     # set exactly when not ok
    runtime: str = DOCKER
    timeout: float | None = None           # TIMEOUT: how long it was given
    returncode: int | None = None          # REFUSED: the command's exit code
    engine_error: str = ""                 # REFUSED: the engine's own first stderr line (foreign text, kept as is)


def stop_argv(docker: str, container: str) -> list[str]:
    """``docker stop NAME``: the runtime's own command, as an argv list (never a shell)."""
    return [docker, "stop", container]


def stop_container(container: str, which: Callable[[str], str | None] = shutil.which, run: Runner = run_command,
                   timeout: float = 30.0, runtime: str = DOCKER) -> StopResult:
    """``docker stop NAME`` (or ``podman stop NAME``: ``runtime``), as an argv list."""
    program = which(runtime)
    if program is None:
        return StopResult(container, False, StopTrouble.NO_PROGRAM, runtime)
    result = run(stop_argv(program, container), timeout)
    if result.returncode == 0:
        return StopResult(container, True, runtime=runtime)
    if result.returncode is None:
        return StopResult(container, False, StopTrouble.TIMEOUT, runtime, timeout=timeout)
    first = next((ln.strip() for ln in result.stderr.splitlines() if ln.strip()), "")
    return StopResult(container, False, StopTrouble.REFUSED, runtime, returncode=result.returncode, engine_error=first)
