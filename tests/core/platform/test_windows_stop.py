"""The Windows stop -- CTRL_BREAK first, the grace period, then the named job -- checked here
with the OS facts injected: a fake kernel32 for the ctypes calls, and real child process
trees whose "CTRL_BREAK" is delivered as SIGTERM to their group by a stand-in helper.
The same steps against the real kernel32 are in ``test_on_windows.py``."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from portmanager_gui.core.occupancy.snapshot import Snapshot
from portmanager_gui.core.platform import WINDOWS, ctrl_break, win32
from portmanager_gui.core.platform import process_tree as pt
from portmanager_gui.core.supervisor import stopper as stopper_module
from portmanager_gui.core.supervisor.records import ManagedRecord, StateStore
from portmanager_gui.core.supervisor.stopper import UnitStopper
from portmanager_gui.core.supervisor.types import StopEnd
from tests.helpers import has_ended

POSIX_ONLY = pytest.mark.skipif(sys.platform.startswith("win"), reason="stands in for CTRL_BREAK with POSIX signals")

# -- kernel32 prototypes and calls (fake library) --------------------------------------------


class _Function:
    """A foreign function that refuses to be called before its prototype is set."""

    def __init__(self, lib: "_FakeKernel32", name: str):
        self.lib, self.name = lib, name
        self.restype: object = "unset"
        self.argtypes: object = "unset"

    def __call__(self, *args):
        assert self.restype != "unset" and self.argtypes != "unset", f"{self.name} called without a prototype"
        self.lib.calls.append((self.name, *args))
        return self.lib.answers.get(self.name, 1)


class _FakeKernel32:
    def __init__(self, **answers):
        self.calls: list[tuple] = []
        self.answers = {"CreateJobObjectW": 0x1F4, "OpenJobObjectW": 0x2F4, **answers}

    def __getattr__(self, name):
        fn = _Function(self, name)
        self.__dict__[name] = fn
        return fn


def test_every_kernel32_function_gets_its_prototype():
    lib = win32.load_kernel32(_FakeKernel32())
    for name, (restype, argtypes) in win32.PROTOTYPES.items():
        fn = getattr(lib, name)
        assert fn.restype is restype and fn.argtypes == list(argtypes), name
    # a HANDLE comes back whole (c_int would cut a 64-bit handle), a DWORD is 32 bits as on Windows
    assert win32.PROTOTYPES["CreateJobObjectW"][0] is ctypes.wintypes.HANDLE
    assert ctypes.sizeof(win32.PROTOTYPES["AttachConsole"][1][0]) == 4
    user32 = win32.load_user32(_FakeKernel32())
    assert win32.allow_set_foreground(1234, user32) and user32.calls == [("AllowSetForegroundWindow", 1234)]


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the 64-bit layout")
def test_extended_limit_information_has_the_64_bit_windows_layout():
    info = win32.JobObjectExtendedLimitInformation
    basic = info.Basic
    # winnt.h: JOBOBJECT_BASIC_LIMIT_INFORMATION is 64 bytes on x64, the extended one 144.
    assert (ctypes.sizeof(basic), ctypes.sizeof(info)) == (64, 144)
    assert (basic.LimitFlags.offset, basic.Affinity.offset, basic.SchedulingClass.offset) == (16, 48, 60)
    assert (info.IoInfo.offset, info.ProcessMemoryLimit.offset, info.PeakJobMemoryUsed.offset) == (64, 112, 136)
    assert win32.JobProcessIdList.ProcessIdList.offset == 8


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the 64-bit layout")
def test_a_named_job_with_kill_on_close():
    k32 = win32.load_kernel32(_FakeKernel32())
    job = win32.Job.create("Local\\PortManager-job-7-1", kill_on_close=True, k32=k32)
    assert k32.calls[0] == ("CreateJobObjectW", None, "Local\\PortManager-job-7-1")
    name, handle, info_class, info_ref, size = k32.calls[1]
    assert (name, handle, info_class, size) == ("SetInformationJobObject", 0x1F4, 9, 144)
    assert info_ref._obj.BasicLimitInformation.LimitFlags == 0x2000   # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    job.assign(type("P", (), {"_handle": 0x2A8})())
    assert job.terminate()
    job.close()
    job.close()   # a second close does nothing
    assert k32.calls[2:] == [("AssignProcessToJobObject", 0x1F4, 0x2A8),
                             ("TerminateJobObject", 0x1F4, 1), ("CloseHandle", 0x1F4)]


def test_a_detached_job_sets_no_limits():
    k32 = win32.load_kernel32(_FakeKernel32())
    job = win32.Job.create("Local\\x", kill_on_close=False, k32=k32)
    assert [c[0] for c in k32.calls] == ["CreateJobObjectW"] and job.name == "Local\\x"


def test_a_job_is_reopened_by_name_and_lists_its_processes():
    k32 = win32.load_kernel32(_FakeKernel32())

    def query(handle, info_class, ref, size, returned):
        k32.calls.append(("QueryInformationJobObject", handle, info_class))
        ref._obj.NumberOfAssignedProcesses = ref._obj.NumberOfProcessIdsInList = 2
        ref._obj.ProcessIdList[0], ref._obj.ProcessIdList[1] = 4242, 4343
        return 1
    k32.QueryInformationJobObject.__class__ = type("Q", (_Function,), {"__call__": lambda self, *a: query(*a)})
    job = win32.Job.open("Local\\PortManager-job-7-1", k32=k32)
    assert k32.calls[0] == ("OpenJobObjectW", 0x0004 | 0x0008, False, "Local\\PortManager-job-7-1")
    assert job.pids() == [4242, 4343]
    assert k32.calls[1] == ("QueryInformationJobObject", 0x2F4, 3)


def test_a_job_that_is_gone_reopens_as_none():
    k32 = win32.load_kernel32(_FakeKernel32(OpenJobObjectW=0))
    assert win32.Job.open("Local\\PortManager-job-7-1", k32=k32) is None


def test_job_names_follow_the_leader_and_its_start_time():
    a = win32.job_name(4242, 1_700_000_000.1234567)
    assert a == win32.job_name(4242, 1_700_000_000.1234567)      # the record gives the name again
    assert a.startswith("Local\\") and "\\" not in a[len("Local\\"):]  # the session namespace, one name
    assert a != win32.job_name(4242, 1_700_000_100.0)              # a reused pid has another job
    assert a != win32.job_name(4243, 1_700_000_000.1234567)
    assert len(a) < 260                                           # MAX_PATH


# -- the CTRL_BREAK helper -------------------------------------------------------------------

def test_the_helper_attaches_to_the_service_console_and_breaks_its_group():
    k32 = win32.load_kernel32(_FakeKernel32())
    assert ctrl_break.send_ctrl_break(4242, 4200, k32) == ctrl_break.SENT
    assert k32.calls == [("FreeConsole",), ("AttachConsole", 4242), ("SetConsoleCtrlHandler", None, True),
                         ("GenerateConsoleCtrlEvent", 1, 4200), ("FreeConsole",)]


def test_the_helper_sends_nothing_when_it_cannot_attach():
    k32 = win32.load_kernel32(_FakeKernel32(AttachConsole=0))
    assert ctrl_break.send_ctrl_break(4242, 4200, k32) == ctrl_break.NO_CONSOLE
    assert "GenerateConsoleCtrlEvent" not in [c[0] for c in k32.calls]
    k32 = win32.load_kernel32(_FakeKernel32(GenerateConsoleCtrlEvent=0))
    assert ctrl_break.send_ctrl_break(4242, 4200, k32) == ctrl_break.NOT_SENT
    assert k32.calls[-1] == ("FreeConsole",)


def test_the_helper_command_line_and_flags():
    argv = ctrl_break.helper_argv("C:\\PortManager\\PortManager.exe", 4242, 4200)
    assert argv == ["C:\\PortManager\\PortManager.exe", "-m", "portmanager_gui.core.platform.ctrl_break",
                    "4242", "4200"]
    # DETACHED_PROCESS: no console of its own to free; CREATE_NEW_PROCESS_GROUP: not hit by its own event
    assert ctrl_break.helper_flags() == 0x8 | 0x200
    assert ctrl_break.main(["4242"]) == ctrl_break.NOT_SENT
    assert ctrl_break.main(["x", "1"]) == ctrl_break.NOT_SENT


# -- the stop steps on real process trees -----------------------------------------------------

_TREE = r"""
import signal, subprocess, sys
mode = sys.argv[1]
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)    # inherited by the grandchild
gc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
print(gc.pid, flush=True)
if mode != "orphan":
    sys.stdin.read()
"""


class _FakeJob:
    """Holds a fixed set of pids; terminate() kills them as TerminateJobObject would."""

    def __init__(self, pids):
        self._pids = list(pids)
        self.terminated = self.closed = False

    def pids(self):
        return [p for p in self._pids if psutil.pid_exists(p)]

    def terminate(self):
        self.terminated = True
        for pid in self.pids():
            os.kill(pid, signal.SIGKILL)
        return True

    def close(self):
        self.closed = True


@pytest.fixture
def tree():
    started = []

    def start(mode):
        popen = subprocess.Popen([sys.executable, "-c", _TREE, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True, start_new_session=True)
        grandchild = int(popen.stdout.readline())
        started.append((popen, grandchild))
        return popen, grandchild
    yield start
    for popen, grandchild in started:
        for pid in (popen.pid, grandchild):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        popen.wait(timeout=10)
        popen.stdin.close()
        popen.stdout.close()


def _break(calls):
    def ask(console_pid, group_id):   # what the helper does, as the group sees it
        calls.append((console_pid, group_id))
        os.killpg(group_id, signal.SIGTERM)
        return True
    return ask


@POSIX_ONLY
def test_a_windows_stop_asks_first_and_needs_no_force_when_the_tree_obeys(tree):
    popen, grandchild = tree("polite")
    job, calls = _FakeJob([popen.pid, grandchild]), []
    result = pt.stop_tree(psutil.Process(popen.pid), pgid=popen.pid, grace=30, job=job, os_name=WINDOWS,
                          ask_windows=_break(calls))
    assert calls == [(popen.pid, popen.pid)]            # through the leader's console, to its group
    assert not result.forced and not job.terminated and result.survivors == ()
    assert has_ended(grandchild)


@POSIX_ONLY
def test_a_windows_stop_ends_the_job_after_the_grace_period(tree):
    popen, grandchild = tree("stubborn")
    job, calls = _FakeJob([popen.pid, grandchild]), []
    result = pt.stop_tree(psutil.Process(popen.pid), pgid=popen.pid, grace=0.3, job=job, os_name=WINDOWS,
                          ask_windows=_break(calls))
    assert calls and result.forced and job.terminated and result.survivors == ()
    assert {popen.pid, grandchild} <= set(result.signalled)


@POSIX_ONLY
def test_a_windows_stop_reaches_a_grandchild_through_the_job_after_the_leader_exited(tree, tmp_path: Path,
                                                                                      monkeypatch):
    popen, grandchild = tree("orphan")
    popen.wait(timeout=10)
    job, calls = _FakeJob([popen.pid, grandchild]), []
    # the stopper of a later run: no handle of its own, the job reopened by its name
    store = StateStore(tmp_path / "state.json")
    store.put(ManagedRecord("router", popen.pid, 1.0, 9, ("x",), 0.0, "", own_group=True))
    opened = []
    scanner = type("S", (), {"scan": lambda self, ports: Snapshot(0.0)})()
    stopper = UnitStopper(store, scanner, WINDOWS, lambda unit: 30.0)
    monkeypatch.setattr(stopper_module, "reopen_job",
                        lambda pid, ctime, os_name: opened.append((pid, ctime, os_name)) or job)
    monkeypatch.setattr(stopper_module, "stop_tree",
                        lambda *a, **kw: pt.stop_tree(*a, **kw, ask_windows=_break(calls)))
    outcome = stopper.stop("router", None)
    assert opened == [(popen.pid, 1.0, WINDOWS)]
    assert calls == [(grandchild, popen.pid)]           # the grandchild's console, the group it is in
    assert has_ended(grandchild)
    assert outcome.end is StopEnd.STOPPED and job.closed
    assert store.get("router") is None


def test_reopen_job_is_windows_only():
    assert pt.reopen_job(4242, 1.0, "linux") is None and pt.reopen_job(4242, 1.0, "darwin") is None


@POSIX_ONLY
def test_a_windows_stop_does_not_wait_for_a_tree_it_could_not_ask(tree):
    # a windowed program has no console to attach to: the helper fails, nothing was asked,
    # so the grace period would only be a delay before the job ends the tree
    popen, grandchild = tree("polite")
    job = _FakeJob([popen.pid, grandchild])
    result = pt.stop_tree(psutil.Process(popen.pid), pgid=popen.pid, grace=600, job=job, os_name=WINDOWS,
                          ask_windows=lambda console_pid, group_id: False)
    assert result.forced and job.terminated and result.survivors == ()


def test_children_of_a_windows_bundle_run_the_console_exe():
    from portmanager_gui.core.platform.commands import python_for_children

    app = "C:\\Programs\\Port Manager\\Port Manager.exe"
    console = "C:\\Programs\\Port Manager\\portmanager.exe"
    assert python_for_children(WINDOWS, True, app, exists=lambda p: p == console) == console
    assert python_for_children(WINDOWS, True, app, exists=lambda p: False) == app     # an older bundle
    assert python_for_children(WINDOWS, False, "C:\\Python311\\python.exe", exists=lambda p: True) \
        == "C:\\Python311\\python.exe"
    assert python_for_children("darwin", True, "/A.app/Contents/MacOS/PortManager", exists=lambda p: True) \
        == "/A.app/Contents/MacOS/PortManager"
