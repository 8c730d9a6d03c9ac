"""The scanner: real scans off the GUI thread, delivered as signals; never two at once."""
from __future__ import annotations

import threading

from portmanager_gui.core.occupancy.scan import OccupancyScanner
from portmanager_gui.core.occupancy.snapshot import PortStatus, Snapshot
from portmanager_gui.services.background import Fault, JobFailure
from portmanager_gui.services.scanner import Scanner


def test_real_scan_sees_a_listener(qtbot, listener, owned):
    child = listener.listen()
    occ = OccupancyScanner()
    scanner = owned(Scanner(occ.scan, interval_ms=60000))
    scanner.set_ports([child.port])
    with qtbot.waitSignal(scanner.snapshot_changed, timeout=10000) as sig:
        scanner.start()
    info = sig.args[0].info(child.port)
    assert info.status is PortStatus.LISTENING and info.holders[0].pid == child.pid
    assert scanner.shutdown()
    occ.close()


def test_scans_never_overlap_and_run_off_the_gui_thread(qtbot, owned):
    gate = threading.Event()
    running, threads, most = [], [], []

    def scan(ports):
        # Recorded here and asserted on the test's thread: an assert in the worker would only
        # turn into a scan_failed signal that nobody checks.
        running.append(1)
        most.append(len(running))
        threads.append(threading.get_ident())
        gate.wait(10)
        running.pop()
        return Snapshot(0.0)

    scanner = owned(Scanner(scan, records=lambda: ["rec"], interval_ms=60000))
    got = []
    scanner.snapshot_changed.connect(got.append)
    records = []
    scanner.records_changed.connect(records.append)
    scanner.refresh()
    scanner.refresh()          # asked while busy: folded into one more scan
    scanner.refresh()
    assert scanner.busy
    gate.set()
    qtbot.waitUntil(lambda: len(got) == 2 and not scanner.busy, timeout=10000)
    assert records == [["rec"], ["rec"]]
    assert max(most) == 1, "two scans at once"
    assert threading.get_ident() not in threads


def test_scan_failure_is_reported(qtbot, owned):
    def scan(ports):
        raise OSError("netlink said no")

    scanner = owned(Scanner(scan, interval_ms=60000))
    with qtbot.waitSignal(scanner.scan_failed, timeout=5000) as sig:
        scanner.refresh()
    assert sig.args[0] == JobFailure(Fault.OS, "netlink said no")       # a value: the UI words it
    assert not scanner.busy
