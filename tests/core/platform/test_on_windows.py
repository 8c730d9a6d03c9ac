"""Windows only: the job object, Ctrl+Break, the registry, netsh and the exclusive bind,
against the real OS (CI runs them on windows-2022). The same decisions are checked on any
OS with the facts injected in test_windows_stop.py, test_autostart.py and
test_platform_windows_macos.py."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import psutil
import pytest

from portmanager_gui.core.platform import WINDOWS, autostart, process_tree, win32
from portmanager_gui.core.platform import facts as pf
from portmanager_gui.core.ports.probe import Availability, probe
from tests.helpers import free_ports, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("win"),
                                reason="Windows only: job objects, consoles, winreg and netsh exist there")

# a child that starts a grandchild and reports its pid; both wait for stdin to close
_PARENT = r"""
import subprocess, sys
gc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
print(gc.pid, flush=True)
sys.stdin.read()
"""
# a console child that ends cleanly on CTRL_BREAK and says so in a file
_BREAKABLE = r"""
import signal, sys, threading
done = threading.Event()
def on_break(signum, frame):
    open(sys.argv[1], "w").write("break")
    done.set()
signal.signal(signal.SIGBREAK, on_break)
print("ready", flush=True)
done.wait(120)
"""


def _spawn(code: str, *args: str, kill_on_close: bool = False, tmp_path=None) -> process_tree.Spawned:
    log = tmp_path / "out.txt"
    with open(log, "wb") as output:          # the child holds its own handle
        return process_tree.spawn([sys.executable, "-c", code, *args], cwd=None, env=dict(os.environ),
                                  output=output, kill_on_close=kill_on_close, os_name=WINDOWS)


def _grandchild(spawned: process_tree.Spawned, tmp_path) -> int:
    """Wait (on the process table, with a timeout) for the child's own child."""
    return wait_for(lambda: next(iter(psutil.Process(spawned.popen.pid).children()), None), timeout=30).pid


def test_the_job_ends_a_grandchild(tmp_path):
    spawned = _spawn(_PARENT, tmp_path=tmp_path)
    assert spawned.job is not None and spawned.job.name.startswith("Local\\PortManager-job-")
    gc = _grandchild(spawned, tmp_path)
    assert gc in spawned.job.pids()
    assert spawned.job.terminate()
    assert not psutil.wait_procs([psutil.Process(gc)], timeout=10)[1]
    spawned.popen.wait(timeout=10)
    spawned.job.close()


def test_kill_on_close_ends_the_tree_with_the_last_handle(tmp_path):
    spawned = _spawn(_PARENT, kill_on_close=True, tmp_path=tmp_path)
    gc = psutil.Process(_grandchild(spawned, tmp_path))
    spawned.job.close()
    assert not psutil.wait_procs([gc], timeout=10)[1]
    spawned.popen.wait(timeout=10)


def test_a_detached_job_is_reopened_by_name_after_its_handle_closed(tmp_path):
    spawned = _spawn(_PARENT, tmp_path=tmp_path)
    leader = psutil.Process(spawned.popen.pid)
    gc = psutil.Process(_grandchild(spawned, tmp_path))
    spawned.job.close()                                     # the app that started it quit
    job = process_tree.reopen_job(leader.pid, leader.create_time(), WINDOWS)
    assert job is not None and gc.pid in job.pids()
    result = process_tree.stop_tree(leader, pgid=leader.pid, grace=5, job=job, os_name=WINDOWS)
    job.close()
    assert result.survivors == () and not gc.is_running()
    spawned.popen.wait(timeout=10)


def test_ctrl_break_stops_a_console_child_gracefully(tmp_path):
    marker = tmp_path / "marker.txt"
    spawned = _spawn(_BREAKABLE, str(marker), tmp_path=tmp_path)
    wait_for(lambda: "ready" in (tmp_path / "out.txt").read_text(errors="replace"), timeout=30)
    leader = psutil.Process(spawned.popen.pid)
    result = process_tree.stop_tree(leader, pgid=leader.pid, grace=30, job=spawned.job, os_name=WINDOWS)
    spawned.popen.wait(timeout=10)
    spawned.job.close()
    assert not result.forced, "the child needed TerminateJobObject: CTRL_BREAK did not reach it"
    assert marker.read_text() == "break"


def test_every_kernel32_prototype_names_a_real_function():
    k32 = win32.load_kernel32()
    for name in win32.PROTOTYPES:
        assert getattr(k32, name).argtypes is not None
    assert win32.load_user32().AllowSetForegroundWindow.restype is win32.BOOL


def test_winreg_round_trip_under_a_temporary_key():
    import winreg

    key = rf"Software\PortManagerTest-{uuid.uuid4().hex}"
    entry = autostart.AutostartEntry(WINDOWS, key + r"\Run", '"C:\\Port Manager\\Port Manager.exe"', "PortManager")
    try:
        autostart.enable(entry, winreg)
        assert autostart.read_entry(entry, winreg) == entry.content
        autostart.disable(entry, winreg)
        assert autostart.read_entry(entry, winreg) is None
    finally:
        for sub in (key + r"\Run", key):
            try:
                winreg.DeleteKey(winreg.HKEY_CURRENT_USER, sub)
            except FileNotFoundError:
                pass


def test_the_real_netsh_is_parsed():
    dyn = pf.parse_netsh_dynamic(pf._run(["netsh", "int", "ipv4", "show", "dynamicport", "tcp"], WINDOWS))
    assert dyn is not None and 1024 <= dyn[0] < dyn[1] <= 65535
    for family in ("ipv4", "ipv6"):
        text = pf._run(["netsh", "int", family, "show", "excludedportrange", "protocol=tcp"], WINDOWS)
        assert all(1 <= a <= b <= 65535 for a, b in pf.parse_netsh_excluded(text))
    facts = pf.read_facts(WINDOWS)
    assert facts.ephemeral_range == dyn


def test_the_probe_agrees_with_a_server_restarting_on_the_same_port():
    # a server holding the port: taken; its connection left in TIME_WAIT after it closed
    # first: the probe answers what a restarting server's bind meets
    port = free_ports(1)[0]
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    assert probe(port) is Availability.IN_USE
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()                    # the server side closes first: its end goes to TIME_WAIT
    client.close()
    server.close()
    verdict = probe(port)
    restarted = socket.socket()
    restarted.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    try:
        restarted.bind(("127.0.0.1", port))
        could_bind = True
    except OSError:
        could_bind = False
    finally:
        restarted.close()
    assert (verdict is Availability.FREE) == could_bind


# a windowed program holding a port; its window's close (WM_CLOSE) is a clean exit, said in a file
_WINDOWED = r"""
import socket, sys, tkinter
sock = socket.socket()
sock.bind(("127.0.0.1", int(sys.argv[2])))
sock.listen()
root = tkinter.Tk()
root.title("Port Manager test window")
def on_close():
    open(sys.argv[1], "w").write("closed")
    root.destroy()
root.protocol("WM_DELETE_WINDOW", on_close)
root.after(0, lambda: print("ready", flush=True))
root.mainloop()
"""


def test_a_windowed_holder_is_asked_to_close_with_wm_close(tmp_path):
    from portmanager_gui.core.kill.policy import kill, plan_kill
    from portmanager_gui.core.occupancy.scan import OccupancyScanner
    from portmanager_gui.core.platform import window_close

    pytest.importorskip("tkinter", reason="a Python without Tk: no window to close")
    marker, [port] = tmp_path / "closed.txt", free_ports(1)
    proc = subprocess.Popen([sys.executable, "-c", _WINDOWED, str(marker), str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        wait_for(lambda: window_close.close_targets(WINDOWS, [proc.pid], window_close.top_level_windows()), 30,
                 message="the test program's main window")
        with OccupancyScanner() as scanner:
            result = kill(plan_kill(port, scanner), timeout=30.0, scanner=scanner)
        assert [h.pid for h in result.killed] == [proc.pid] and result.forced == (), result
        assert marker.read_text() == "closed", "ended without its window being asked to close"
        assert proc.wait(timeout=30) == 0 and probe(port) is Availability.FREE
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
