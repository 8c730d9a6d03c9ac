"""Container names for ports held by Docker's forwarder: asked only when needed, cached."""
from __future__ import annotations

from pathlib import Path

from portmanager_gui.core.interop import docker
from portmanager_gui.core.occupancy.container_names import ContainerNames
from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Snapshot,
)

PS = (Path(__file__).resolve().parents[2] / "fixtures" / "interop" / "docker_ps.jsonl").read_text(encoding="utf-8")


def _snap(*infos: PortInfo) -> Snapshot:
    return Snapshot(0.0, {i.port: i for i in infos})


def _held(port: int, name: str, pid: int = 100) -> PortInfo:
    return PortInfo(port, PortStatus.LISTENING, (Holder(pid, name, create_time=1.0),))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _published(runtime="docker"):
    return docker.DockerPorts(True, "", docker.parse_ps(PS))


def test_no_forwarder_never_asks_docker():
    def boom(runtime):
        raise AssertionError("docker asked")
    names = ContainerNames(boom)
    snap = _snap(_held(8080, "python3"), PortInfo(9000, PortStatus.FREE))
    assert names(snap) is snap and names.queries == 0


def test_forwarder_is_named_after_its_container_and_cached():
    port = next(iter(docker.parse_ps(PS)))[0]
    container = docker.parse_ps(PS)[(port, "tcp")].container
    clock = Clock()
    names = ContainerNames(_published, max_age_s=30, clock=clock)
    snap = _snap(_held(port, "docker-proxy"), _held(1234, "python3", pid=7))
    out = names(snap)
    assert out.info(port).holders[0].name == f"docker-proxy (container {container})"
    assert out.info(port).holders[0].pid == 100
    assert out.info(1234) == snap.info(1234)
    names(snap)
    clock.now = 10
    names(snap)
    assert names.queries == 1                         # same forwarders, answer still fresh
    names(_snap(_held(port, "docker-proxy", pid=101)))
    assert names.queries == 2                         # another docker-proxy: asked again
    clock.now = 100
    names(_snap(_held(port, "docker-proxy", pid=101)))
    assert names.queries == 3                         # too old: asked again


def test_docker_not_reachable_leaves_the_holder_as_it_is():
    names = ContainerNames(lambda runtime: docker.DockerPorts(False, "the Docker engine is not reachable"))
    snap = _snap(_held(8080, "docker-proxy"))
    assert names(snap).info(8080).holders[0].name == "docker-proxy"
    assert names.last.reason == "the Docker engine is not reachable"


def test_a_podman_forwarder_asks_podman_only():
    asked = []
    podman = docker.DockerPorts(True, "", {(16379, "tcp"): docker.Published(16379, "cache")})

    def published(runtime):
        asked.append(runtime)
        return podman if runtime == "podman" else docker.DockerPorts(False, "Docker is not installed")
    names = ContainerNames(published)
    out = names(_snap(_held(16379, "conmon")))
    assert asked == ["podman"] and out.info(16379).holders[0].name == "conmon (container cache)"
    both = names(_snap(_held(16379, "conmon"), _held(8080, "docker-proxy", pid=5)))
    assert asked == ["podman", "docker"]            # podman's answer is still fresh; docker asked once
    assert both.info(16379).holders[0].name == "conmon (container cache)" and names.last.available
