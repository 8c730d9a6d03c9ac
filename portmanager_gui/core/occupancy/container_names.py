"""Naming the container behind a port held by a container runtime's forwarder, in a Snapshot.

``docker-proxy`` (or Docker Desktop's backend, or Podman's ``rootlessport``/``conmon``/
``gvproxy``) holding port 8080 says nothing about the service; ``ContainerNames`` turns
that holder's name into ``docker-proxy (container web)`` so the table, the details and the
tray say which container it is. It runs on the scanner's worker thread after each scan.
The steady state costs one name check per holder: a runtime is asked only when its
forwarder holds a port, and then again only when its forwarders change (another pid or
port) or the answer is older than ``max_age_s`` (a container replaced behind Docker
Desktop's one long-lived backend process keeps its pid).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..interop.forwarders import is_forwarder, runtime_of
from .snapshot import Holder, Snapshot

if TYPE_CHECKING:
    from ..interop import docker

MAX_AGE_S = 30.0

_Key = frozenset[tuple[int, int, float | None]]


class ContainerNames:
    """Callable: ``names(snapshot) -> snapshot`` with forwarder holders named after their container.

    ``published(runtime)`` answers for one runtime (``docker``, ``podman``); by default the
    runtime's own ``ps``. Not thread-safe: one instance per scanning thread (the scanner's
    single worker).
    """

    def __init__(self, published: Callable[[str], docker.DockerPorts] | None = None, *,
                 max_age_s: float = MAX_AGE_S, clock: Callable[[], float] = time.monotonic):
        self._published = published
        self._max_age_s = max_age_s
        self._clock = clock
        self._asked: dict[str, tuple[_Key, float, docker.DockerPorts]] = {}   # runtime -> (key, when, answer)
        self._ports: docker.DockerPorts | None = None    # no runtime asked yet
        self.queries = 0          # how often a runtime was asked (tests and benchmarks read it)

    @property
    def last(self) -> docker.DockerPorts:
        """The runtimes' last answer (``.reason`` says why names are missing when not available)."""
        if self._ports is None:
            # The engines' code, imported once a forwarder holds a port (issue 16: paint first).
            from ..interop import docker

            self._ports = docker.DockerPorts(False)
        return self._ports

    def __call__(self, snapshot: Snapshot) -> Snapshot:
        forwarded = {port: info for port, info in snapshot.ports.items()
                     if any(is_forwarder(h.name) for h in info.holders)}
        if not forwarded:
            return snapshot
        from ..interop import docker

        keys: dict[str, set] = {}
        for port, info in forwarded.items():
            for h in info.holders:
                runtime = runtime_of(h.name)
                if runtime:
                    keys.setdefault(runtime, set()).add((port, h.pid, h.create_time))
        now = self._clock()
        answers = []
        for runtime, key in sorted(keys.items()):
            frozen = frozenset(key)
            asked = self._asked.get(runtime)
            if asked is None or asked[0] != frozen or now - asked[1] >= self._max_age_s:
                asked = (frozen, now, self._ask(runtime))
                self._asked[runtime] = asked
                self.queries += 1
            answers.append(asked[2])
        merged = docker.merged(answers)
        last = self.last
        if merged is not last and (merged.available, merged.reason, dict(merged.ports)) != \
                (last.available, last.reason, dict(last.ports)):
            self._ports = merged          # the same answer stays the same value (callers compare identity)
        if not self._ports.available:
            return snapshot
        named = dict(snapshot.ports)
        for port, info in forwarded.items():
            holders = tuple(self._named(h, port) for h in info.holders)
            if holders != info.holders:
                named[port] = replace(info, holders=holders)
        return replace(snapshot, ports=named)

    def _ask(self, runtime: str) -> docker.DockerPorts:
        if self._published is not None:
            return self._published(runtime)
        # Looked up here, not bound at import: tests stand in for the runtime via the module.
        from ..interop import docker

        return docker.published_ports(runtime=runtime)

    def _named(self, holder: Holder, port: int) -> Holder:
        if not is_forwarder(holder.name):
            return holder
        container = self._ports.container_for(port, holder.protocol.value)
        return replace(holder, name=f"{holder.name} (container {container})") if container else holder
