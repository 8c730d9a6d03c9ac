"""Shared test helpers: a polling wait without sleeps, and real child processes on loopback.

- ``wait_for(cond, timeout, interval)``: poll a condition until it is truthy (returns its
  value) or fail the test with ``message``. Waits with ``threading.Event().wait`` -- tests
  never call ``time.sleep``.
- ``Children``: starts ``sys.executable -c`` children that hold a socket (``listen``), or
  connect to one (``connect``), prints what they hold, and kills them all in ``close()``.
  The ``listener`` fixture is a ``Children`` closed after the test, so nothing survives it.

A listener child binds ``host:port`` (port 0: any free port), listens (TCP) or just binds
(UDP), prints ``<port> <pid>`` and blocks reading stdin. Options: ``reuseport`` (two copies
can share the port, as llama-server builds with SO_REUSEPORT do), ``ignore_term`` (ignores
SIGTERM, like a stuck server), ``fork`` (True: forks a grandchild that inherits the socket and
prints ``<port> <pid> <grandchild pid>``; "later": forks when ``Child.fork()`` asks),
``user`` (run as another user; needs root), ``reuseaddr`` (SO_REUSEADDR, as real servers
set it), ``accept`` (accept connections and print ``accepted`` for each: ``wait_accepted``).
"""
from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(cond: Callable[[], T], timeout: float = 10.0, interval: float = 0.02,
             message: str = "condition") -> T:
    """Return ``cond()`` as soon as it is truthy; fail the test after ``timeout`` seconds."""
    pause = threading.Event()
    deadline = _now() + timeout
    while True:
        value = cond()
        if value:
            return value
        if _now() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {message}")
        pause.wait(interval)


def _now() -> float:
    return time.monotonic()


_LISTENER = r"""
import json, os, signal, socket, sys
o = json.loads(sys.argv[1])
if o["ignore_term"]:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
fam = socket.AF_INET6 if ":" in o["host"] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM if o["kind"] == "udp" else socket.SOCK_STREAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
if o["reuseport"]:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
if o["reuseaddr"]:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((o["host"], o["port"]))
if o["kind"] == "tcp":
    s.listen(16)
if o["accept"]:
    import threading
    def serve(conns=[]):  # accepted connections stay open until the child ends
        while True:
            conns.append(s.accept())
            print("accepted", flush=True)
    threading.Thread(target=serve, daemon=True).start()
line = f"{s.getsockname()[1]} {os.getpid()}"
if o["fork"] == "later":
    print(line, flush=True)
    sys.stdin.readline()       # "fork" from the test
if o["fork"] and os.fork() == 0:
    print(f"{line} {os.getpid()}", flush=True)   # the grandchild speaks for both
    sys.stdin.read()
    os._exit(0)
if not o["fork"]:
    print(line, flush=True)
sys.stdin.read()
"""

_CLIENT = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print(f"{c.getsockname()[1]}", flush=True)
sys.stdin.read()
"""


@dataclass
class Child:
    """A started child: its process, the port it holds (or its local port, for a client)."""

    proc: subprocess.Popen
    port: int
    grandchild: int | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def fork(self) -> int:
        """For ``fork="later"``: fork now; returns the grandchild's pid once it exists."""
        self.proc.stdin.write("fork\n")
        self.proc.stdin.flush()
        self.grandchild = int(self.proc.stdout.readline().split()[2])
        return self.grandchild

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_accepted(self) -> None:
        """For ``accept=True``: block until the child has accepted one more connection."""
        assert self.proc.stdout.readline().strip() == "accepted"

    def stop(self) -> None:
        """Kill the child now (``Children.close()`` does it for every child at the end)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@dataclass
class Children:
    """Every child a test started; ``close()`` kills them (and forked grandchildren)."""

    started: list[Child] = field(default_factory=list)

    def listen(self, host: str = "127.0.0.1", port: int = 0, kind: str = "tcp", *, reuseport: bool = False,
               ignore_term: bool = False, fork: bool | str = False, user: str | None = None,
               reuseaddr: bool = False, accept: bool = False) -> Child:
        # A UDP child does not take port 0: the OS would pick it from the ephemeral range, where another
        # program's TCP client socket may use the same number -- then it is not "a port only UDP holds".
        # A TCP child does (a reserved port could still have a TIME_WAIT leftover, which a bind without
        # SO_REUSEADDR refuses; the OS never picks such a port).
        if kind == "udp" and not port:
            port = free_ports(1)[0]
        opts = {"host": host, "port": port, "kind": kind, "reuseport": reuseport,
                "ignore_term": ignore_term, "fork": fork, "reuseaddr": reuseaddr, "accept": accept}
        return self._start([sys.executable, "-c", _LISTENER, json.dumps(opts)], user)

    def connect(self, port: int, host: str = "127.0.0.1") -> Child:
        """A client connected to ``host:port``; its ``port`` is the client's own local port."""
        return self._start([sys.executable, "-c", _CLIENT, host, str(port)], None)

    def _start(self, argv: list[str], user: str | None) -> Child:
        kwargs = {}
        if user:
            kwargs["user"] = user
            argv = [python_for_others(), *argv[1:]]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **kwargs)
        line = proc.stdout.readline().split()      # blocks until the child holds its socket
        if not line:
            proc.kill()
            proc.wait()
            proc.stdin.close()                     # not left to the collector (a ResourceWarning later)
            proc.stdout.close()
            raise RuntimeError(f"child {argv[3:]} failed to start (exit {proc.returncode})")
        child = Child(proc, int(line[0]), int(line[2]) if len(line) > 2 else None)
        self.started.append(child)
        return child

    def close(self) -> None:
        for child in self.started:
            if child.proc.poll() is None:
                child.proc.kill()
            child.proc.wait(timeout=10)
            if child.grandchild is not None:      # orphaned now: init (or a subreaper) reaps it
                _kill_if_ours(child.grandchild)
            for stream in (child.proc.stdin, child.proc.stdout):
                stream.close()
        self.started.clear()


def _kill_if_ours(pid: int) -> None:
    """Kill a forked grandchild, unless its pid already went to an unrelated process."""
    import psutil
    try:
        proc = psutil.Process(pid)
        if sys.executable in proc.cmdline() or os.path.basename(sys.executable) in proc.name():
            proc.send_signal(signal.SIGKILL)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return
    wait_for(lambda: not _running(proc), message=f"grandchild {pid} to end")


def _running(proc) -> bool:
    import psutil
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def has_ended(pid: int) -> bool:
    """``pid`` exited: gone, or a zombie its parent has not reaped yet (an orphan waits for
    init, which in a container may take a second or more)."""
    import psutil
    try:
        return not _running(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def listener():
    """A ``Children`` for the test; every child it started is killed afterwards."""
    children = Children()
    yield children
    children.close()


def _below_ephemeral() -> int:
    """The first port of the OS ephemeral range: outgoing connections take their local
    port from there at any moment, so a port a test reserves, releases and binds again later
    must come from below it, or a health check's client socket may grab it in between."""
    from portmanager_gui.core.platform.facts import current_facts
    return current_facts().ephemeral_range[0]


# Ports a test chose, reserved until it ends (``release_reserved_ports``, an autouse fixture):
# the test suites of other checkouts running on the same machine pick from the same range and,
# between the choice and the child's bind, one of them could take the port. Each choice holds
# an exclusive lock on a file named for the port, and every run skips a port whose lock is held
# elsewhere -- so concurrent runs (and two calls in one test) never hand out the same port.
RESERVED_DIR = Path(tempfile.gettempdir()) / "portmanager-test-ports"
_reserved: list[int] = []        # descriptors of the lock files this process holds


def _reserve(port: int) -> bool:
    """Lock ``port`` for this test (POSIX ``flock``; where there is none, nothing is shared)."""
    try:
        import fcntl
    except ImportError:
        return True
    RESERVED_DIR.mkdir(mode=0o777, exist_ok=True)
    fd = os.open(RESERVED_DIR / f"{port}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _reserved.append(fd)
    return True


def _unreserve_last() -> None:
    if _reserved:
        os.close(_reserved.pop())


def release_reserved_ports() -> None:
    """End every reservation of this process (after each test)."""
    while _reserved:
        os.close(_reserved.pop())


def _free_and_reserved(port: int) -> bool:
    from portmanager_gui.core.ports.probe import is_free

    if not _reserve(port):
        return False
    if is_free(port) and _plain_bind_works(port):
        return True
    _unreserve_last()
    return False


def _plain_bind_works(port: int) -> bool:
    """Can a socket without SO_REUSEADDR bind ``port`` (as the listeners here do)? The product's
    probe ignores a TIME_WAIT leftover of a server that used SO_REUSEADDR, as servers do; a
    plain bind fails on it for up to a minute."""
    import socket
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue                     # no IPv6 on this machine
        try:
            sock.bind((addr, port))
        except OSError as exc:
            if family == socket.AF_INET6 and exc.errno == errno.EADDRNOTAVAIL:
                continue                 # ::1 not configured
            return False
        finally:
            sock.close()
    return True


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports, free right now on every loopback/wildcard address, chosen at
    random below the ephemeral range (see ``_below_ephemeral``) and reserved for the test
    (see ``RESERVED_DIR``)."""
    top = min(_below_ephemeral(), 65536) - 1
    rng = random.Random()
    out: list[int] = []
    for _ in range(2000):
        port = rng.randint(15000, top)
        if port not in out and _free_and_reserved(port):
            out.append(port)
            if len(out) == n:
                return out
    raise RuntimeError(f"no {n} free ports found between 15000 and {top}")


def free_port_block(n: int) -> int:
    """The first of ``n`` consecutive ports, each free right now and reserved for the test (a model
    pool numbers its models from a start port: another run must not pick one of them)."""
    top = min(_below_ephemeral(), 65536) - n
    rng = random.Random()
    for _ in range(2000):
        start = rng.randint(15000, top)
        taken = 0
        while taken < n and _free_and_reserved(start + taken):
            taken += 1
        if taken == n:
            return start
        for _ in range(taken):
            _unreserve_last()
    raise RuntimeError(f"no {n} consecutive free ports found between 15000 and {top + n - 1}")


def free_port_pair() -> tuple[int, int]:
    """Two free ports where the first's digits are a prefix of the second's (3000 / 30001).

    For "kill 3000 must not touch 30001": P and P*10+d, both free right now, below the
    ephemeral range and reserved for the test.
    """
    top = min(_below_ephemeral(), 65536) - 1
    rng = random.Random()
    for _ in range(2000):
        short = rng.randint(1500, top // 10)
        long = short * 10 + rng.randint(0, 9)
        if long <= top and _free_and_reserved(short):
            if _free_and_reserved(long):
                return short, long
            _unreserve_last()
    raise RuntimeError("no free prefix port pair found")



def python_for_others() -> str:
    """An interpreter another user may run (a venv under /root is out of its reach)."""
    import shutil
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if candidate and _world_runnable(os.path.realpath(candidate)):
            return candidate
    pytest.skip("no Python interpreter that another user may run")


def _world_runnable(path: str) -> bool:
    parts = path.split(os.sep)
    for i in range(2, len(parts) + 1):
        try:
            mode = os.stat(os.sep.join(parts[:i]) or os.sep).st_mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
    return True


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def run_cli(capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """Run the ``portmanager`` command in-process: (exit code, stdout, stderr)."""
    import io

    from portmanager_gui.cli import main

    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as exc:      # argparse rejects bad arguments this way
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


__all__ = ["free_ports", "run_cli", "wait_for", "Children", "Child", "listener", "free_port_pair", "is_root"]


class FakeLlamaSwap:
    """A real HTTP server on 127.0.0.1 answering ``GET /running`` as llama-swap does
    (``{"running": [{"model", "state", "proxy", ...}]}``); ``running`` may be changed while it serves."""

    def __init__(self, running: list[dict]):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        owner = self
        self.running = running
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                owner.requests += 1
                if self.path != "/running":
                    self.send_error(404)
                    return
                body = json.dumps({"running": owner.running}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)


_MODEL_SERVER = ("import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[sys.argv.index('--port') + 1]))); "
                 "s.listen(); print('ready', flush=True); sys.stdin.read()")


class FakeLlamaServer:
    """A real child process whose command line is a llama-server's (argv[0] is a ``llama-server``
    link to Python) listening on 127.0.0.1:``port`` with ``--port port`` and the given options."""

    def __init__(self, folder, port: int, *options: str):
        exe = folder / "llama-server"
        if not exe.exists():
            exe.symlink_to(sys.executable)
        self.port = port
        self.proc = subprocess.Popen([str(exe), "-c", _MODEL_SERVER, "--port", str(port), *options],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise AssertionError(f"the fake llama-server did not listen on {port}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc.stdin.close()
        self.proc.stdout.close()
