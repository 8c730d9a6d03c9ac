"""Start a service as its own process tree and stop the whole tree -- per OS.

POSIX (Linux, macOS): ``start_new_session=True`` makes the child a session and process
group leader (pgid == pid, setsid(2)), so ``os.killpg`` reaches every descendant that did
not leave the group on purpose, and a Ctrl-C in the supervisor's terminal does not reach
the children (the supervisor stops them in order instead). Stop: SIGTERM to the group,
a grace period, SIGKILL to the group; descendants that moved to another group (a daemon's
own ``setsid``) are found with psutil before signalling and handled the same way.

Windows: ``CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW`` (its own group, id == leader pid,
and its own window-less console) and a named job object (``win32.Job``). With
``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`` the tree also ends when the supervisor that owns
the handle dies, which is what ``portmanager up`` wants; ``portmanager start`` (detached)
must not set it, or its children would end with the command -- a later process reopens
the job by name instead. Stop: CTRL_BREAK_EVENT to the group through a helper attached to
the tree's console (``ctrl_break``), the grace period, TerminateJobObject, and
TerminateProcess for anything of the psutil tree the job did not hold (the child runs for a
moment before it is assigned to the job; a grandchild started then is outside it).

The decisions (which flags, which steps) are plain functions of ``os_name`` so tests can
check all three systems anywhere; only ``spawn``/``stop_tree``/``Job`` touch the OS.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import IO, Any

import psutil

from . import WINDOWS, current_os
from .commands import CREATE_NO_WINDOW
from .win32 import JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, Job, job_name

# winbase.h values (documented constants; subprocess lacks them off Windows).
CREATE_NEW_PROCESS_GROUP = 0x00000200
PROTECTED_PIDS = frozenset({0, 1, 4})   # idle, init/launchd, Windows System


class Step(str, Enum):
    TERM_GROUP = "term_group"       # SIGTERM to the process group
    KILL_GROUP = "kill_group"       # SIGKILL to the process group
    TERM_TREE = "term_tree"         # terminate each process of the psutil tree
    KILL_TREE = "kill_tree"         # kill each process of the psutil tree
    TERMINATE_JOB = "terminate_job"  # TerminateJobObject
    CTRL_BREAK = "ctrl_break"       # Windows: CTRL_BREAK_EVENT to the group, through its console
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
        ask = (Step.CTRL_BREAK, Step.WAIT) if own_group else ()
        end = (Step.TERMINATE_JOB, Step.KILL_TREE) if has_job else (Step.KILL_TREE,)
        return ask + end  # KILL_TREE after the job: what the job did not hold
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


# -- start -------------------------------------------------------------------------------

@dataclass
class Spawned:
    """A child we started: its process, its Windows job, its log relay."""

    popen: subprocess.Popen
    job: Job | None = None
    relay: subprocess.Popen | None = None   # the log relay writing its output (ends after it)


def spawn(argv: Sequence[str], *, cwd: str | None, env: dict[str, str], output: IO[bytes],
          kill_on_close: bool, os_name: str | None = None) -> Spawned:
    """Start ``argv`` (never through a shell) in its own group, output to ``output``."""
    os_name = os_name or current_os()
    popen = subprocess.Popen(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output,
                             stderr=subprocess.STDOUT, close_fds=True, **spawn_kwargs(os_name))
    job = None
    if os_name == WINDOWS:  # pragma: no cover - Windows only
        job = _job_for(popen, kill_on_close)
    return Spawned(popen, job)


def _job_for(popen: subprocess.Popen, kill_on_close: bool) -> Job | None:  # pragma: no cover - Windows only
    """A job named after the child (see ``win32.job_name``) holding it, or None."""
    try:
        name = job_name(popen.pid, psutil.Process(popen.pid).create_time())
    except psutil.Error:
        name = None     # already gone: nothing to hold
    try:
        job = Job.create(name, kill_on_close)
    except OSError:
        return None     # e.g. nested-job limits on old Windows: the psutil tree still works
    try:
        job.assign(popen)
    except OSError:
        job.close()
        return None
    return job


def reopen_job(pid: int, create_time: float, os_name: str) -> Job | None:
    """Windows: the job of a tree started earlier (maybe by another Port Manager process)."""
    if os_name != WINDOWS:
        return None
    try:  # pragma: no cover - Windows only
        return Job.open(job_name(pid, create_time))
    except OSError:  # pragma: no cover - Windows only
        return None


# -- stop --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeStop:
    """What stopping a process tree did."""

    signalled: tuple[int, ...]      # pids we sent a signal to
    survivors: tuple[int, ...]      # pids still alive at the end (refused or unkillable)
    forced: bool                    # a kill was needed after the grace period
    refused: tuple[tuple[int, int | str | None], ...] = ()   # (pid, owner): not ours to signal now


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


def leads_own_group(pid: int, os_name: str) -> bool:
    """POSIX: ``pid`` leads its own process group (a start of ours made it so). Windows: not
    knowable from outside; False, so only the process and its job are used."""
    if os_name == WINDOWS:
        return False
    try:
        return os.getpgid(pid) == pid  # type: ignore[attr-defined]
    except OSError:
        return False


def _tree(leader: psutil.Process | None, pgid: int | None, os_name: str,
          job: Job | None = None) -> list[psutil.Process]:
    """The leader, its descendants, (POSIX) every member of its group and (Windows) every
    process of its job, once each."""
    procs: dict[int, psutil.Process] = {}
    if leader is not None:
        procs[leader.pid] = leader
        try:
            procs.update({p.pid: p for p in leader.children(recursive=True)})
        except psutil.Error:
            pass
    members = leftovers(pgid, job, os_name)
    for pid in members:
        if pid not in procs:
            try:
                procs[pid] = psutil.Process(pid)
            except psutil.Error:
                continue
    return list(procs.values())


def leftovers(pgid: int | None, job: Job | None, os_name: str) -> list[int]:
    """What is left of a tree without its leader: (POSIX) the members of the group we made,
    (Windows) the processes in its job."""
    if os_name == WINDOWS:
        return job.pids() if job is not None else []
    return group_members(pgid) if pgid is not None else []


def may_signal(os_name: str, me: tuple[int, int] | str | None, owner: tuple[int, int] | str | None) -> bool:
    """May a process of ``me`` signal one owned by ``owner``? As the OS decides it.

    POSIX: ``me`` is (real, effective) uid and ``owner`` (real, saved) uid of the target:
    kill(2) allows root, or a sender whose real or effective uid is the target's real or
    saved uid -- so a service that dropped privileges after binding may still be stopped
    by root, never by another ordinary user. Windows: the same user name.
    """
    if me is None or owner is None:
        return False
    if os_name == WINDOWS or isinstance(me, str) or isinstance(owner, str):
        return me == owner
    return me[1] == 0 or bool(set(me) & set(owner))


@dataclass(frozen=True)
class _Me:
    """Who is signalling: OS, our owner, our ancestors."""

    os_name: str
    who: tuple[int, int] | str | None
    ancestors: tuple[int, ...]

    @classmethod
    def now(cls, os_name: str) -> "_Me":
        return cls(os_name, _owner(psutil.Process(), os_name, sender=True), own_ancestors())


def _owner(proc: psutil.Process, os_name: str, sender: bool = False) -> tuple[int, int] | str | None:
    try:
        if os_name == WINDOWS:
            return proc.username()
        uids = proc.uids()
        return (uids.real, uids.effective) if sender else (uids.real, uids.saved)
    except psutil.Error:
        return None


def owner_id(proc: psutil.Process, os_name: str) -> int | str | None:
    """Who owns ``proc`` now: its real uid (POSIX) or user name (Windows)."""
    found = _owner(proc, os_name)
    return found[0] if isinstance(found, tuple) else found


def _signal_allowed(proc: psutil.Process, me: _Me) -> bool:
    if is_protected(proc.pid, ancestors=me.ancestors):
        return False
    return may_signal(me.os_name, me.who, _owner(proc, me.os_name))


def stop_tree(leader: psutil.Process | None, *, pgid: int | None, grace: float, job: Job | None = None,
              os_name: str | None = None, extra: Iterable[psutil.Process] = (),
              ask_windows: Callable[[int, int], bool] | None = None) -> TreeStop:
    """Stop ``leader`` and its tree following ``stop_plan``; never a process the OS says we may
    not signal, nor a protected one.

    ``leader`` must already be identity-checked (pid + create time) by the caller; ``pgid``
    is given only for a group we created, and may outlive a dead leader (on Windows: the
    group id, which is the leader's pid). ``extra``: more processes proven ours (they carry
    the start's mark) that left the tree. When any process of the tree belongs to someone we
    may not signal now (it dropped privileges to another user), nothing is signalled and
    ``refused`` names them: half a service stopped is worse than none.
    ``ask_windows(console_pid, group_id)`` delivers CTRL_BREAK_EVENT (default: the
    ``ctrl_break`` helper process).
    """
    os_name = os_name or current_os()
    me = _Me.now(os_name)
    everything, procs, refused = _sorted_out(leader, pgid, job, os_name, extra, me)
    if refused:
        return TreeStop((), tuple(sorted(p.pid for p in everything)), False, refused)
    if len(procs) != len(everything):
        pgid = None  # a group holding a process we may not signal is not sent group signals
    signalled: set[int] = set()
    forced = False
    asked = os_name != WINDOWS      # Windows: only a delivered CTRL_BREAK is worth waiting for
    plan = stop_plan(os_name, has_job=job is not None, own_group=pgid is not None)
    for step in plan:
        if step is Step.WAIT:
            if asked:
                procs = wait_ended(procs, grace)
            if not procs:
                break
            forced = True
        elif step is Step.CTRL_BREAK and pgid is not None and procs:
            if _ask_group(procs, pgid, ask_windows):
                asked = True
                signalled.update(p.pid for p in procs)
        elif step in (Step.TERM_GROUP, Step.KILL_GROUP) and pgid is not None:
            sig = signal.SIGTERM if step is Step.TERM_GROUP else signal.SIGKILL  # type: ignore[attr-defined]
            if step is Step.KILL_GROUP:  # catch anything the group forked during the grace period
                procs = _merge(procs, _tree(None, pgid, os_name), me)
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
        elif step is Step.TERMINATE_JOB and job is not None:
            # what the job took in during the grace period is ended with it
            procs = _merge(procs, _tree(None, None, os_name, job), me)
            if job.terminate():
                signalled.update(p.pid for p in procs)
            forced = True
    alive = wait_ended(procs, 5.0)
    return TreeStop(tuple(sorted(signalled)), tuple(sorted(p.pid for p in alive)), forced)


def wait_ended(procs: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until each process has ended; return those still running after ``timeout``.

    A zombie counts as ended: it has exited and its sockets are closed; reaping it is its
    parent's job, and an orphan's parent is init, which may take a second or more to get
    round to it (``psutil.wait_procs`` would wait for that and call an obeyed stop "ignored").
    Our own children that ended are reaped on the way.
    """
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while True:
        _, running = psutil.wait_procs(alive, timeout=0)
        alive = [p for p in running if not _ended(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        pause.wait(0.02)


def _ended(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False


def _sorted_out(leader: psutil.Process | None, pgid: int | None, job: Job | None, os_name: str,
                extra: Iterable[psutil.Process], me: _Me
                ) -> tuple[list[psutil.Process], list[psutil.Process], tuple[tuple[int, int | str | None], ...]]:
    """The whole tree, the part we may signal, and (pid, owner) of live members we may not."""
    everything = _tree(leader, pgid, os_name, job)
    known = {p.pid for p in everything}
    everything += [p for p in extra if p.pid not in known]
    procs = [p for p in everything if _signal_allowed(p, me)]
    refused = tuple((p.pid, owner_id(p, os_name)) for p in everything
                    if p not in procs and not is_protected(p.pid, ancestors=me.ancestors) and p.is_running())
    return everything, procs, refused


def not_ours_to_signal(leader: psutil.Process | None, *, pgid: int | None, job: Job | None = None,
                       os_name: str | None = None, extra: Iterable[psutil.Process] = ()
                       ) -> tuple[tuple[int, int | str | None], ...]:
    """(pid, owner) of each process of the tree the OS will not let us signal now (``stop_tree``
    would refuse the whole tree): ask before marking anything as being stopped."""
    os_name = os_name or current_os()
    return _sorted_out(leader, pgid, job, os_name, list(extra), _Me.now(os_name))[2]


def _ask_group(procs: list[psutil.Process], group_id: int,
               ask_windows: Callable[[int, int], bool] | None) -> bool:
    """CTRL_BREAK_EVENT to the group, through the console of its first live process."""
    if ask_windows is None:  # pragma: no cover - the real helper runs on Windows only
        from .ctrl_break import request_stop as ask_windows
    for proc in procs:
        if proc.is_running() and ask_windows(proc.pid, group_id):
            return True
    return False


def _merge(procs: list[psutil.Process], more: list[psutil.Process], me: _Me) -> list[psutil.Process]:
    known = {p.pid for p in procs}
    return procs + [p for p in more if p.pid not in known and _signal_allowed(p, me)]


__all__ = ["Step", "spawn_kwargs", "job_limit_flags", "stop_plan", "is_protected", "spawn", "reopen_job",
           "stop_tree", "TreeStop", "may_signal", "owner_id", "not_ours_to_signal", "Spawned", "Job", "group_members", "leftovers"]
