"""The Windows kernel32 calls Port Manager makes, each with its ctypes prototype, and job objects.

Every function gets ``argtypes`` and ``restype`` before it is called: without them ctypes
passes and returns C ``int``, which truncates a 64-bit HANDLE (a job handle above 2**31
then fails with ERROR_INVALID_HANDLE, or worse, names another object).

Job objects (CreateJobObjectW, OpenJobObjectW, AssignProcessToJobObject,
TerminateJobObject, QueryInformationJobObject). A job is *named* after its leader's pid
and start time, in the session namespace (``Local\\``): "the job is destroyed when its
last handle has been closed and all associated processes have exited" (CreateJobObjectW),
so a detached service's tree is reachable by name after the app that started it quit or
restarted -- also when its leader exited and only grandchildren are left.

``load_kernel32`` takes the library as a parameter so tests check the prototypes with a
fake; only ``Job`` and ``ctrl_break`` call the real one.
"""
from __future__ import annotations

import ctypes
import subprocess
from ctypes import wintypes
from typing import Any

JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_BASIC_PROCESS_ID_LIST_CLASS = 3
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9
JOB_OBJECT_QUERY, JOB_OBJECT_TERMINATE = 0x0004, 0x0008
ERROR_FILE_NOT_FOUND, ERROR_ALREADY_EXISTS = 2, 183
CTRL_BREAK_EVENT = 1
ASFW_ANY = 0xFFFFFFFF
MAX_JOB_PIDS = 4096

# Windows' DWORD and BOOL are 32 bits; wintypes spells them c_ulong/c_long, which are 64
# bits on Linux and macOS -- exact-width types keep the structs' layout testable anywhere.
DWORD, BOOL = ctypes.c_uint32, ctypes.c_int32
_H, _D, _B = wintypes.HANDLE, DWORD, BOOL
# name: (restype, argtypes) -- from the Win32 API reference pages of each function.
PROTOTYPES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "CreateJobObjectW": (_H, (ctypes.c_void_p, wintypes.LPCWSTR)),
    "OpenJobObjectW": (_H, (_D, _B, wintypes.LPCWSTR)),
    "SetInformationJobObject": (_B, (_H, ctypes.c_int, ctypes.c_void_p, _D)),
    "QueryInformationJobObject": (_B, (_H, ctypes.c_int, ctypes.c_void_p, _D, ctypes.POINTER(_D))),
    "AssignProcessToJobObject": (_B, (_H, _H)),
    "TerminateJobObject": (_B, (_H, wintypes.UINT)),
    "CloseHandle": (_B, (_H,)),
    "FreeConsole": (_B, ()),
    "AttachConsole": (_B, (_D,)),
    "SetConsoleCtrlHandler": (_B, (ctypes.c_void_p, _B)),
    "GenerateConsoleCtrlEvent": (_B, (_D, _D)),
}
# BOOL CALLBACK EnumWindowsProc(HWND, LPARAM): stdcall on Windows (WINFUNCTYPE exists only there).
WNDENUMPROC = getattr(ctypes, "WINFUNCTYPE", ctypes.CFUNCTYPE)(BOOL, wintypes.HWND, wintypes.LPARAM)
USER32_PROTOTYPES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "AllowSetForegroundWindow": (_B, (_D,)),
    "EnumWindows": (_B, (WNDENUMPROC, wintypes.LPARAM)),
    "GetWindowThreadProcessId": (_D, (wintypes.HWND, ctypes.POINTER(_D))),
    "IsWindowVisible": (_B, (wintypes.HWND,)),
    "GetWindow": (wintypes.HWND, (wintypes.HWND, wintypes.UINT)),
    "PostMessageW": (_B, (wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM)),
}


def load_kernel32(lib: Any = None) -> Any:
    """kernel32 with every prototype set (``lib``: a stand-in for tests)."""
    lib = lib if lib is not None else ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    return _prototype(lib, PROTOTYPES)


def load_user32(lib: Any = None) -> Any:
    lib = lib if lib is not None else ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    return _prototype(lib, USER32_PROTOTYPES)


def _prototype(lib: Any, table: dict[str, tuple[Any, tuple[Any, ...]]]) -> Any:
    for name, (restype, argtypes) in table.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = list(argtypes)
    return lib


def _last_error() -> int:
    return ctypes.get_last_error() if hasattr(ctypes, "get_last_error") else 0


def _error(code: int) -> OSError:
    win_error = getattr(ctypes, "WinError", None)
    return win_error(code) if win_error else OSError(code, f"Windows error {code}")


def job_name(pid: int, create_time: float) -> str:
    """The job's name for the tree led by ``pid`` started at ``create_time`` (seconds).

    The start time keeps a reused pid from reaching an older tree's job; Windows reports a
    process's start time exactly (GetProcessTimes), so the record's value gives the name again.
    """
    return f"Local\\PortManager-job-{pid}-{round(create_time * 1000)}"


class JobObjectExtendedLimitInformation(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (winnt.h), natural alignment as on Windows."""

    class Basic(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", DWORD), ("SchedulingClass", DWORD)]

    class IoCounters(ctypes.Structure):
        _fields_ = [(n, ctypes.c_ulonglong) for n in (
            "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
            "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

    _fields_ = [("BasicLimitInformation", Basic), ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


class JobProcessIdList(ctypes.Structure):
    """JOBOBJECT_BASIC_PROCESS_ID_LIST with room for MAX_JOB_PIDS ids."""

    _fields_ = [("NumberOfAssignedProcesses", DWORD), ("NumberOfProcessIdsInList", DWORD),
                ("ProcessIdList", ctypes.c_size_t * MAX_JOB_PIDS)]


class Job:
    """A Windows job object holding one service's tree."""

    def __init__(self, handle: int, name: str | None, k32: Any):
        self.handle = handle
        self.name = name
        self._k32 = k32

    @classmethod
    def create(cls, name: str | None, kill_on_close: bool, k32: Any = None) -> Job:
        """A new job (``name``: see ``job_name``). An existing one of that name is refused:
        it holds another tree, and ours must not be stopped with it."""
        k32 = k32 or load_kernel32()
        if hasattr(ctypes, "set_last_error"):
            ctypes.set_last_error(0)    # a new object leaves it alone; an existing one sets ALREADY_EXISTS
        handle = k32.CreateJobObjectW(None, name)
        if not handle:
            raise _error(_last_error())
        if name is not None and _last_error() == ERROR_ALREADY_EXISTS:
            k32.CloseHandle(handle)
            raise FileExistsError(f"a job named {name} already exists")
        job = cls(handle, name, k32)
        if kill_on_close:
            info = JobObjectExtendedLimitInformation()
            info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
            if not k32.SetInformationJobObject(handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
                                               ctypes.byref(info), ctypes.sizeof(info)):
                code = _last_error()
                job.close()
                raise _error(code)
        return job

    @classmethod
    def open(cls, name: str, k32: Any = None) -> Job | None:
        """The job of that name, or None when it is gone (every process in it ended)."""
        k32 = k32 or load_kernel32()
        handle = k32.OpenJobObjectW(JOB_OBJECT_QUERY | JOB_OBJECT_TERMINATE, False, name)
        if not handle:
            if _last_error() in (ERROR_FILE_NOT_FOUND, 0):
                return None
            raise _error(_last_error())
        return cls(handle, name, k32)

    def assign(self, popen: subprocess.Popen) -> None:
        if not self._k32.AssignProcessToJobObject(self.handle, int(popen._handle)):  # type: ignore[attr-defined]
            raise _error(_last_error())

    def pids(self) -> list[int]:
        """The processes in the job now (empty once all ended or when it cannot be asked)."""
        if not self.handle:
            return []
        info = JobProcessIdList()
        if not self._k32.QueryInformationJobObject(self.handle, JOB_OBJECT_BASIC_PROCESS_ID_LIST_CLASS,
                                                   ctypes.byref(info), ctypes.sizeof(info), None):
            return []
        return [int(info.ProcessIdList[i]) for i in range(min(info.NumberOfProcessIdsInList, MAX_JOB_PIDS))]

    def terminate(self, exit_code: int = 1) -> bool:
        return bool(self.handle) and bool(self._k32.TerminateJobObject(self.handle, exit_code))

    def close(self) -> None:
        if self.handle:
            self._k32.CloseHandle(self.handle)
            self.handle = None


def allow_set_foreground(pid: int = ASFW_ANY, user32: Any = None) -> bool:
    """Let ``pid`` (the first instance) bring its window to the front: Windows gives the
    foreground only to the process that last received input -- the second launch."""
    user32 = user32 or load_user32()
    return bool(user32.AllowSetForegroundWindow(pid))


__all__ = ["Job", "job_name", "load_kernel32", "load_user32", "allow_set_foreground", "PROTOTYPES",
           "JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE", "CTRL_BREAK_EVENT"]
