"""Which processes forward a container's published port, and whose runtime they are.

Separate from ``docker`` (the engines' command lines and their answers): the scanner asks
this of every holder of every scan, from the first one on, while an engine is asked only
when one of these holds a port.
"""
from __future__ import annotations

DOCKER, PODMAN = "docker", "podman"
# The processes that hold a published port for a container, and whose runtime it is:
# docker-proxy (Linux), Docker Desktop's backend (macOS, Windows), rootless Docker's
# rootlesskit; Podman's rootlessport (rootless), conmon (rootful: it keeps the port open)
# and gvproxy (the podman machine on macOS and Windows).
RUNTIME_OF = {"docker-proxy": DOCKER, "com.docker.backend": DOCKER, "com.docker.vpnkit": DOCKER, "vpnkit": DOCKER,
              "wslrelay": DOCKER, "rootlesskit": DOCKER, "rootlessport": PODMAN, "rootlessport-child": PODMAN,
              "conmon": PODMAN, "gvproxy": PODMAN}
FORWARDERS = frozenset(RUNTIME_OF)


def runtime_of(process_name: str) -> str:
    """``docker`` or ``podman`` when ``process_name`` is that runtime's port forwarder, else ""."""
    name = process_name.lower()
    return RUNTIME_OF.get(name[:-4] if name.endswith(".exe") else name, "")


def is_forwarder(process_name: str) -> bool:
    """True when ``process_name`` is a container runtime's port forwarder, not the service."""
    return bool(runtime_of(process_name))
