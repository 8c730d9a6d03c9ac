"""The launch's first walk of /proc in a helper process (Linux), seeding the first scan.

The seeded scan must name exactly the holders an unseeded scan names -- forks sharing a
socket, sockets opened or forked after the helper looked -- while reading no process's fds
when nothing changed, and the helper must never outlive its answer (no zombie)."""
from __future__ import annotations

import os
import sys

import pytest

from portmanager_gui.core.occupancy import owner_seed_linux
from portmanager_gui.core.occupancy.scan import OccupancyScanner

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the /proc walk is Linux-only")


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _holders(scanner: OccupancyScanner, port: int) -> list[int]:
    return sorted(h.pid for h in scanner.scan([port]).holders(port))


def test_a_seeded_first_scan_reads_no_process_and_names_every_holder(listener):
    shared = listener.listen("127.0.0.1", fork=True)        # two processes hold one socket
    alone = listener.listen("::1")
    seed = owner_seed_linux.start()
    ports = [shared.port, alone.port]
    with OccupancyScanner("linux", owner_seed=seed) as seeded, OccupancyScanner("linux") as plain:
        assert dict(seeded.scan(ports).ports) == dict(plain.scan(ports).ports)
        assert seeded._backends["linux"].full_scans == 0
        assert plain._backends["linux"].full_scans == 1
        assert _holders(seeded, shared.port) == sorted([shared.pid, shared.grandchild])
    assert _reaped(seed.pid)


def test_a_socket_opened_after_the_helper_looked_costs_one_walk_and_is_found(listener):
    seed = owner_seed_linux.start()
    answer = seed.take()
    assert answer is not None
    late = listener.listen("127.0.0.1")
    with OccupancyScanner("linux", owner_seed=_Given(answer)) as scanner:
        assert _holders(scanner, late.port) == [late.pid]
        assert scanner._backends["linux"].full_scans == 1


def test_a_fork_after_the_helper_looked_is_a_holder_too(listener):
    parent = listener.listen("127.0.0.1", fork="later")
    seed = owner_seed_linux.start()
    answer = seed.take()
    child = parent.fork()                                     # a new process inherits the known socket
    with OccupancyScanner("linux", owner_seed=_Given(answer)) as scanner:
        assert _holders(scanner, parent.port) == sorted([parent.pid, child])
        assert scanner._backends["linux"].full_scans == 0


def test_a_holder_gone_since_the_helper_looked_is_not_named(listener):
    first = listener.listen("127.0.0.1", reuseport=True)
    answer = owner_seed_linux.start().take()
    second = listener.listen("127.0.0.1", port=first.port, reuseport=True)
    first.stop()
    with OccupancyScanner("linux", owner_seed=_Given(answer)) as scanner:
        assert _holders(scanner, first.port) == [second.pid]


def test_a_big_registry_scan_takes_the_seed_too(listener):
    """More than 64 ports: the machine-wide path (``resolve_all``) starts from the seed."""
    held = [listener.listen("127.0.0.1") for _ in range(3)]
    answer = owner_seed_linux.start().take()
    ports = [c.port for c in held] + list(range(40000, 40070))
    with OccupancyScanner("linux", owner_seed=_Given(answer)) as scanner:
        snapshot = scanner.scan(ports)
        assert [[h.pid for h in snapshot.holders(c.port)] for c in held] == [[c.pid] for c in held]
        assert scanner._backends["linux"].full_scans == 0


class _Given:
    """An answer already taken, handed to a scanner as the helper would hand it."""

    def __init__(self, answer):
        self.answer = answer

    def take(self):
        answer, self.answer = self.answer, None
        return answer


def test_a_helper_that_never_answers_is_killed_reaped_and_the_scan_walks(listener):
    child = listener.listen("127.0.0.1")
    seed = owner_seed_linux.start([sys.executable, "-c", "import signal; signal.pause()"])
    assert seed.take(timeout=0.2) is None
    assert _reaped(seed.pid)
    with OccupancyScanner("linux", owner_seed=seed) as scanner:    # taken: the scan walks itself
        assert _holders(scanner, child.port) == [child.pid]
        assert scanner._backends["linux"].full_scans == 1


@pytest.mark.parametrize("output", [b"", b"not marshal", b"\xe9\x00garbage"])
def test_a_garbled_answer_is_no_seed(output):
    seed = owner_seed_linux.start([sys.executable, "-c", f"import sys; sys.stdout.buffer.write({output!r})"])
    assert seed.take() is None
    assert _reaped(seed.pid)


def test_an_answer_of_another_shape_is_no_seed():
    import marshal
    assert owner_seed_linux.parse(marshal.dumps((owner_seed_linux.FORMAT, [1], b"", bytes(8), bytes(16), b""))) is None
    assert owner_seed_linux.parse(marshal.dumps((owner_seed_linux.FORMAT - 1, [], [], [], [], []))) is None
    assert owner_seed_linux.parse(marshal.dumps({"a": 1})) is None


def test_a_helper_no_one_took_is_stopped_and_reaped_by_discard():
    seed = owner_seed_linux.start([sys.executable, "-c", "import signal; signal.pause()"])
    seed.discard()
    assert _reaped(seed.pid)
    assert seed.take() is None
    seed.discard()                                             # twice is harmless


def test_no_helper_where_no_python_runs_it(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)   # a bundle's executable is the app
    assert owner_seed_linux.start() is None
    assert owner_seed_linux.start(["/nonexistent/python"]) is None
