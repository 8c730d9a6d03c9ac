"""The test helpers' port reservation: a port one test run chose is never handed to another."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import helpers

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the reservation is a POSIX flock (one suite per CI runner)")


def _held_elsewhere(port: int) -> bool:
    """Can another process lock ``port``'s reservation? (False: it is held.)"""
    code = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "try: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError: sys.exit(1)\n")
    return subprocess.run([sys.executable, "-c", code, str(helpers.RESERVED_DIR / f"{port}.lock")],
                          timeout=30).returncode == 1


def test_chosen_ports_are_held_until_released_and_skipped_while_held():
    ports = helpers.free_ports(3)
    assert len(set(ports)) == 3 and all(_held_elsewhere(p) for p in ports)
    # a second choice in the same test (or another run on the machine) skips them
    assert not any(helpers._free_and_reserved(p) for p in ports)
    helpers.release_reserved_ports()
    assert not any(_held_elsewhere(p) for p in ports)


def test_a_port_with_a_time_wait_leftover_is_not_handed_out():
    """The product's probe calls such a port free (a server with SO_REUSEADDR binds it), but the
    tests' plain listeners bind without SO_REUSEADDR and would fail with EADDRINUSE for up to a
    minute: a demo server (SO_REUSEADDR, like most servers) that closed an HTTP connection first
    leaves its port in TIME_WAIT."""
    import socket

    [port] = helpers.free_ports(1)
    helpers.release_reserved_ports()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)    # as the demo servers bind (POSIX)
    server.bind(("127.0.0.1", port))
    server.listen()
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    accepted, _ = server.accept()
    accepted.close()                 # the server's side closes first: its socket goes to TIME_WAIT
    assert client.recv(1) == b""     # the client saw the close
    client.close()
    server.close()
    try:
        assert not helpers._free_and_reserved(port)
    finally:
        helpers.release_reserved_ports()
