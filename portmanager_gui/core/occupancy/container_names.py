"""Naming the Docker container behind a port held by Docker's forwarder, in a Snapshot.

``docker-proxy`` (or Docker Desktop's backend) holding port 8080 says nothing about the
service; ``ContainerNames`` turns that holder's name into ``docker-proxy (container web)``
so the table, the details and the tray say which container it is. It runs on the scanner's
worker thread after each scan. The steady state costs one name check per holder: Docker is
asked only when a forwarder holds a port, and then again only when the forwarders change
(another pid or port) or the answer is older than ``max_age_s`` (a container replaced
behind Docker Desktop's one long-lived backend process keeps its pid).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from ..interop import docker
from .snapshot import Holder, Snapshot

MAX_AGE_S = 30.0

_Key = frozenset[tuple[int, int, float | None]]


class ContainerNames:
    """Callable: ``names(snapshot) -> snapshot`` with forwarder holders named after their container.

    Not thread-safe: one instance per scanning thread (the scanner's single worker).
    """

    def __init__(self, published: Callable[[], docker.DockerPorts] | None = None, *,
                 max_age_s: float = MAX_AGE_S, clock: Callable[[], float] = time.monotonic):
        self._published = published
        self._max_age_s = max_age_s
        self._clock = clock
        self._key: _Key | None = None
        self._asked_at = 0.0
        self._ports = docker.DockerPorts(False)
        self.queries = 0          # how often Docker was asked (tests and benchmarks read it)

    @property
    def last(self) -> docker.DockerPorts:
        """Docker's last answer (``.reason`` says why names are missing when not available)."""
        return self._ports

    def __call__(self, snapshot: Snapshot) -> Snapshot:
        forwarded = {port: info for port, info in snapshot.ports.items()
                     if any(docker.is_forwarder(h.name) for h in info.holders)}
        if not forwarded:
            return snapshot
        key = frozenset((port, h.pid, h.create_time) for port, info in forwarded.items()
                        for h in info.holders if docker.is_forwarder(h.name))
        now = self._clock()
        if key != self._key or now - self._asked_at >= self._max_age_s:
            # Looked up here, not bound at import: tests stand in for Docker via the module.
            self._ports = (self._published or docker.published_ports)()
            self._key, self._asked_at = key, now
            self.queries += 1
        if not self._ports.available:
            return snapshot
        named = dict(snapshot.ports)
        for port, info in forwarded.items():
            holders = tuple(self._named(h, port) for h in info.holders)
            if holders != info.holders:
                named[port] = replace(info, holders=holders)
        return replace(snapshot, ports=named)

    def _named(self, holder: Holder, port: int) -> Holder:
        if not docker.is_forwarder(holder.name):
            return holder
        container = self._ports.container_for(port, holder.protocol.value)
        return replace(holder, name=f"{holder.name} (container {container})") if container else holder
