"""Real child processes that hold ports, for tests of the probe and the planner.

A child binds (and listens on) a port, prints the port on stdout, then blocks reading
stdin: closing stdin (or ``stop()``) ends it, so a crashed test leaves no orphan behind.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

_CHILD = r"""
import socket, sys, threading
host, port, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
if kind == "tcp":  # as real servers do (http.server, uvicorn, llama-server)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
if kind == "tcp":
    s.listen()
    def serve(conns=[]):  # accepted connections stay open until the child ends
        while True:
            conns.append(s.accept())
            print("accepted", flush=True)
    threading.Thread(target=serve, daemon=True).start()
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


@dataclass
class Child:
    proc: subprocess.Popen
    port: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_accepted(self) -> None:
        """Block until the child has accepted one more connection."""
        assert self.proc.stdout.readline().strip() == "accepted"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                stream.close()


def hold_port(host: str = "127.0.0.1", port: int = 0, kind: str = "tcp") -> Child:
    """Start a child holding ``host:port`` (0 = any free port) and wait until it does."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, host, str(port), kind],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # blocks until the socket is bound (or the child died)
    if not line.strip().isdigit():
        proc.kill()
        proc.wait()
        raise RuntimeError(f"child could not hold {host}:{port}")
    return Child(proc, int(line))
