"""Machine-wide rows: labels, system processes, containers, services; the tray's pick."""
from __future__ import annotations

import os

import psutil

from portmanager_gui.core.occupancy.listeners import listeners, tray_others
from portmanager_gui.core.occupancy.recognition import Kind
from portmanager_gui.core.occupancy.scan import OccupancyScanner
from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Protocol,
    Snapshot,
)


def _snap(*infos: PortInfo) -> Snapshot:
    return Snapshot(0.0, {i.port: i for i in infos})


def _held(port: int, holder: Holder) -> PortInfo:
    return PortInfo(port, PortStatus.LISTENING, (holder,))


OLLAMA = Holder(100, "ollama", "/usr/local/bin/ollama", ("ollama", "serve"), "alice", 50.0, ("127.0.0.1",))
LLAMA = Holder(101, "llama-server", "", ("llama-server", "-m", "/m/qwen.gguf"), "alice", 80.0, ("127.0.0.1",))
SSHD = Holder(5, "sshd", "/usr/sbin/sshd", (), "root", 1.0, ("0.0.0.0",))
PROXY = Holder(7, "docker-proxy", "/usr/bin/docker-proxy", (), "root", 60.0, ("0.0.0.0",))
BOB = Holder(200, "node", "", ("node", "x.js"), "bob", 90.0, ("::",))


def test_rows_carry_label_system_flag_container_and_service():
    snap = _snap(_held(11434, OLLAMA), _held(8081, LLAMA), _held(22, SSHD), _held(8080, PROXY),
                 PortInfo(631, PortStatus.HIDDEN, (), "held by a process you cannot see"))
    rows = {r.port: r for r in listeners(snap, "linux", {8081: "chat"}, lambda p, proto: "web" if p == 8080 else None)}
    assert rows[11434].label == "Ollama" and rows[11434].kind is Kind.AI and not rows[11434].system
    assert rows[8081].label == "llama-server (qwen)" and rows[8081].service == "chat"
    assert rows[22].system and rows[631].system and rows[631].holder is None
    assert rows[8080].container == "web" and not rows[8080].system


def test_tray_others_are_mine_not_system_not_registry_newest_first_capped():
    snap = _snap(_held(11434, OLLAMA), _held(8081, LLAMA), _held(22, SSHD), _held(8080, PROXY), _held(3000, BOB))
    rows = listeners(snap, "linux")
    assert [r.port for r in tray_others(rows, "alice", "linux")] == [8081, 8080, 11434]
    assert [r.port for r in tray_others(rows, "alice", "linux", registry_ports=[8081])] == [8080, 11434]
    assert len(tray_others(rows, "alice", "linux", limit=1)) == 1


def test_a_real_listener_is_in_the_machine_wide_scan_and_leaves_it(listener):
    child = listener.listen("127.0.0.1")
    with OccupancyScanner() as scanner:
        rows = listeners(scanner.scan_all(), scanner.os_name, me_user=psutil.Process().username())
        (row,) = [r for r in rows if r.port == child.port]
        assert row.pid == child.pid and row.user == psutil.Process(os.getpid()).username()
        assert not row.system and row.protocol is Protocol.TCP
        child.proc.kill()
        child.proc.wait()
        assert child.port not in scanner.scan_all().ports
