"""Start a service as its own process tree and stop the whole tree -- per OS.

POSIX (Linux, macOS): ``start_new_session=True`` makes the child a session and process
group leader (pgid == pid, setsid(2)), so ``os.killpg`` reaches every descendant that did
not leave the group on purpose, and a Ctrl-C in the supervisor's terminal does not reach
the children (the supervisor stops them in order instead). Stop: SIGTERM to the group,
a grace period, SIGKILL to the group; descendants that moved to another group (a daemon's
own ``setsid``) are found with psutil before signalling and handled the same way.

Windows: ``CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW`` and a job object (CreateJobObjectW,
AssignProcessToJobObject; TerminateJobObject ends every process in it). With
``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`` the tree also ends when the supervisor that owns
the handle dies, which is what ``portmanager up`` wants; ``portmanager start`` (detached)
must not set it, or its children would end with the command. A GUI app has no console to
deliver CTRL_BREAK_EVENT through, so there is no graceful step: the job ends the tree, or,
from a later process that has no job handle, each process of the tree found with psutil is
terminated (TerminateProcess). The child runs for a moment before it is assigned to the
job; a grandchild started in that moment is still found through the psutil tree.

The decisions (which flags, which steps) are plain functions of ``os_name`` so tests can
check all three systems anywhere; only ``spawn``/``stop_tree``/``Job`` touch the OS.
"""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import IO, Any

import psutil

from . import WINDOWS, current_os
from .commands import CREATE_NO_WINDOW

# winbase.h / winnt.h values (documented constants; subprocess lacks them off Windows).
CREATE_NEW_PROCESS_GROUP = 0x00000200
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9
PROTECTED_PIDS = frozenset({0, 1, 4})   # idle, init/launchd, Windows System


class Step(str, Enum):
    TERM_GROUP = "term_group"       # SIGTERM to the process group
    KILL_GROUP = "kill_group"       # SIGKILL to the process group
    TERM_TREE = "term_tree"         # terminate each process of the psutil tree
    KILL_TREE = "kill_tree"         # kill each process of the psutil tree
    TERMINATE_JOB = "terminate_job"  # TerminateJobObject
    WAIT = "wait"                   # the grace period


def has_process_groups(os_name: str) -> bool:
    """POSIX starts each service as the leader of its own process group, so a stop can signal
    the whole group; Windows has no groups to signal (a job object ends the tree instead)."""
    return os_name != WINDOWS


def spawn_kwargs(os_name: str) -> dict[str, Any]:
    """Extra ``subprocess.Popen`` arguments that give the child its own group."""
    if os_name == WINDOWS:
        return {"creationflags": CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW}
    return {"start_new_session": True}


def job_limit_flags(kill_on_close: bool) -> int:
    return JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE if kill_on_close else 0


def stop_plan(os_name: str, *, has_job: bool, own_group: bool) -> tuple[Step, ...]:
    """The steps that stop a tree, in order.

    ``own_group``: the leader heads a process group we made (not a shell's job group).
    """
    if os_name == WINDOWS:
        first = Step.TERMINATE_JOB if has_job else Step.KILL_TREE
        return (first, Step.KILL_TREE)  # the second pass catches what the job did not hold
    if own_group:
        return (Step.TERM_GROUP, Step.TERM_TREE, Step.WAIT, Step.KILL_GROUP, Step.KILL_TREE)
    return (Step.TERM_TREE, Step.WAIT, Step.KILL_TREE)


def is_protected(pid: int, self_pid: int | None = None, ancestors: Iterable[int] = ()) -> bool:
    """PIDs never to signal: 0/1/4, ourselves and our ancestors."""
    self_pid = os.getpid() if self_pid is None else self_pid
    return pid in PROTECTED_PIDS or pid == self_pid or pid in set(ancestors)


def own_ancestors() -> tuple[int, ...]:
    out = []
    try:
        proc = psutil.Process().parent()
        while proc is not None:
            out.append(proc.pid)
            proc = proc.parent()
    except psutil.Error:
        pass
    return tuple(out)


# -- Windows job object (ctypes) --------------------------------------------------------

class Job:  # pragma: no cover - exercised on Windows only
    """A Windows job object holding one service's tree."""

    def __init__(self, kill_on_close: bool):
        import ctypes
        from ctypes import wintypes

        self._k32 = ctypes.WinDLL("kernel32", use_last_error=True)
        self._k32.CreateJobObjectW.restype = wintypes.HANDLE
        self.handle = self._k32.CreateJobObjectW(None, None)
        if not self.handle:
            raise ctypes.WinError(ctypes.get_last_error())
        flags = job_limit_flags(kill_on_close)
        if flags:
            info = _extended_limit_info(ctypes, wintypes)()
            info.BasicLimitInformation.LimitFlags = flags
            ok = self._k32.SetInformationJobObject(self.handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
                                                   ctypes.byref(info), ctypes.sizeof(info))
            if not ok:
                raise ctypes.WinError(ctypes.get_last_error())

    def assign(self, popen: subprocess.Popen) -> None:
        import ctypes

        if not self._k32.AssignProcessToJobObject(self.handle, int(popen._handle)):  # type: ignore[attr-defined]
            raise ctypes.WinError(ctypes.get_last_error())

    def terminate(self, exit_code: int = 1) -> None:
        if self.handle:
            self._k32.TerminateJobObject(self.handle, exit_code)

    def close(self) -> None:
        if self.handle:
            self._k32.CloseHandle(self.handle)
            self.handle = None


def _extended_limit_info(ctypes: Any, wintypes: Any) -> type:  # pragma: no cover - Windows only
    class IoCounters(ctypes.Structure):
        _fields_ = [(n, ctypes.c_ulonglong) for n in (
            "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
            "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

    class BasicLimit(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class ExtendedLimit(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", BasicLimit), ("IoInfo", IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

    return ExtendedLimit


# -- start -------------------------------------------------------------------------------

@dataclass
class Spawned:
    popen: subprocess.Popen
    job: Job | None = None


def spawn(argv: Sequence[str], *, cwd: str | None, env: dict[str, str], output: IO[bytes],
          kill_on_close: bool, os_name: str | None = None) -> Spawned:
    """Start ``argv`` (never through a shell) in its own group, output to ``output``."""
    os_name = os_name or current_os()
    popen = subprocess.Popen(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output,
                             stderr=subprocess.STDOUT, close_fds=True, **spawn_kwargs(os_name))
    job = None
    if os_name == WINDOWS:  # pragma: no cover - Windows only
        try:
            job = Job(kill_on_close)
            job.assign(popen)
        except OSError:
            job = None  # e.g. nested-job limits on old Windows: the psutil tree still works
    return Spawned(popen, job)


# -- stop --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeStop:
    signalled: tuple[int, ...]      # pids we sent a signal to
    survivors: tuple[int, ...]      # pids still alive at the end (refused or unkillable)
    forced: bool                    # a kill was needed after the grace period


def group_members(pgid: int, pids: Callable[[], Iterable[int]] = psutil.pids,
                  getpgid: Callable[[int], int] | None = None) -> list[int]:
    """Every pid whose process group is ``pgid`` (POSIX)."""
    # Looked up here, not as a default value: Windows' os has no getpgid, and a default
    # would be evaluated when this module is imported there.
    getpgid = getpgid or os.getpgid  # type: ignore[attr-defined]
    out = []
    for pid in pids():
        try:
            if getpgid(pid) == pgid:
                out.append(pid)
        except OSError:
            continue
    return out


def _tree(leader: psutil.Process | None, pgid: int | None, os_name: str) -> list[psutil.Process]:
    """The leader, its descendants and (POSIX) every member of its group, once each."""
    procs: dict[int, psutil.Process] = {}
    if leader is not None:
        procs[leader.pid] = leader
        try:
            procs.update({p.pid: p for p in leader.children(recursive=True)})
        except psutil.Error:
            pass
    if pgid is not None and os_name != WINDOWS:
        for pid in group_members(pgid):
            if pid not in procs:
                try:
                    procs[pid] = psutil.Process(pid)
                except psutil.Error:
                    continue
    return list(procs.values())


def _signal_allowed(proc: psutil.Process, username: str, ancestors: tuple[int, ...]) -> bool:
    if is_protected(proc.pid, ancestors=ancestors):
        return False
    try:
        return proc.username() == username
    except psutil.Error:
        return False


def stop_tree(leader: psutil.Process | None, *, pgid: int | None, grace: float, job: Job | None = None,
              os_name: str | None = None) -> TreeStop:
    """Stop ``leader`` and its tree following ``stop_plan``; never another user's process.

    ``leader`` must already be identity-checked (pid + create time) by the caller; ``pgid``
    is given only for a group we created (POSIX), and may outlive a dead leader.
    """
    os_name = os_name or current_os()
    username = psutil.Process().username()
    ancestors = own_ancestors()
    everything = _tree(leader, pgid, os_name)
    procs = [p for p in everything if _signal_allowed(p, username, ancestors)]
    if len(procs) != len(everything):
        pgid = None  # a group holding a process we may not signal is not sent group signals
    signalled: set[int] = set()
    forced = False
    plan = stop_plan(os_name, has_job=job is not None, own_group=pgid is not None)
    for step in plan:
        if step is Step.WAIT:
            _, alive = psutil.wait_procs(procs, timeout=grace)
            procs = list(alive)
            if not procs:
                break
            forced = True
        elif step in (Step.TERM_GROUP, Step.KILL_GROUP) and pgid is not None:
            sig = signal.SIGTERM if step is Step.TERM_GROUP else signal.SIGKILL  # type: ignore[attr-defined]
            if step is Step.KILL_GROUP:  # catch anything the group forked during the grace period
                procs = _merge(procs, _tree(None, pgid, os_name), username, ancestors)
            try:
                os.killpg(pgid, sig)  # type: ignore[attr-defined]
                signalled.update(p.pid for p in procs)
            except (ProcessLookupError, PermissionError):
                pass
        elif step in (Step.TERM_TREE, Step.KILL_TREE):
            for proc in procs:
                try:
                    proc.terminate() if step is Step.TERM_TREE else proc.kill()
                    signalled.add(proc.pid)
                except psutil.Error:
                    continue
        elif step is Step.TERMINATE_JOB and job is not None:  # pragma: no cover - Windows only
            job.terminate()
            signalled.update(p.pid for p in procs)
            forced = True
    _, alive = psutil.wait_procs(procs, timeout=5.0)
    return TreeStop(tuple(sorted(signalled)), tuple(sorted(p.pid for p in alive)), forced)


def _merge(procs: list[psutil.Process], more: list[psutil.Process], username: str,
           ancestors: tuple[int, ...]) -> list[psutil.Process]:
    known = {p.pid for p in procs}
    return procs + [p for p in more if p.pid not in known and _signal_allowed(p, username, ancestors)]


__all__ = ["Step", "spawn_kwargs", "job_limit_flags", "stop_plan", "is_protected", "spawn",
           "stop_tree", "TreeStop", "Spawned", "Job", "group_members"]
