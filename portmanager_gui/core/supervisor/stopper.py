"""Stopping one unit: identity check, the whole tree, the port released, the record dropped.

A record is stopped only while its pid still has the recorded create time (a reused pid
is never signalled). POSIX: the process group we created is signalled even when its
leader is gone -- the kernel does not hand out a pid again while a group of that id
exists, so surviving members of the group are ours. Windows: the tree's named job is
reopened when this process has no handle on it (started by an earlier run), and what is
left in it is stopped also when the leader is gone. Everywhere: every process carrying the
start's mark (``marker``) is part of the unit -- a daemon that left the group, a worker that
dropped privileges. When the OS says one of them is not ours to signal any more (it runs as
another user now), nothing is signalled and the record is kept: "ours but cannot be stopped".
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil

from ..kill import identity
from ..platform.process_tree import (
    Job,
    Spawned,
    leftovers,
    not_ours_to_signal,
    owner_id,
    reopen_job,
    stop_tree,
)
from .log_sink import RELAY_END_WAIT, settle, wait_relay_ended
from .marker import CREATED_BEFORE_SLACK, find_marked
from .records import ManagedRecord, StateStore
from .start_check import Scanner
from .types import StopEnd, StopFailure, StopOutcome

PORT_RELEASE_WAIT = 5.0


class UnitStopper:
    def __init__(self, store: StateStore, scanner: Scanner, os_name: str, grace_for: Callable[[str], float]):
        self._store = store
        self._scanner = scanner
        self._os = os_name
        self._grace_for = grace_for

    def stop(self, unit: str, spawned: Spawned | None) -> StopOutcome:
        """Stop ``unit`` as recorded; ``spawned`` is our handle on it when we launched it."""
        rec = self._store.get(unit)
        if rec is None:
            reap(spawned)
            return StopOutcome(unit, True, None, None, StopEnd.NOT_RUNNING)
        leader = _process(rec) if rec.leader_alive else None
        pgid = rec.pid if self.group_is_ours(rec) else None
        job = self.job_of(rec, spawned)
        marked = self.marked(rec)
        if leader is None and not marked and not leftovers(pgid, job, self._os):
            hidden = self.unreadable_holder(rec)
            if hidden is not None:   # maybe ours, running as another user: keep the record, say so
                return self._refused(rec, (hidden,), maybe=True)
            self._store.remove(unit, rec.pid)
            reap(spawned, job)
            return StopOutcome(unit, True, rec.pid, rec.port, StopEnd.HAD_ENDED)
        refused = not_ours_to_signal(leader, pgid=pgid, job=job, os_name=self._os, extra=marked)
        if refused:   # asked first: a refused stop changes nothing, not even the record
            return self._refused(rec, refused)
        self._store.mark_stopping(unit, rec.pid)
        result = stop_tree(leader, pgid=pgid, grace=self._grace_for(unit), job=job, os_name=self._os, extra=marked)
        if result.refused:    # its owner changed in between
            self._store.mark_stopping(unit, rec.pid, False)
            return self._refused(rec, result.refused)
        reap(spawned, job)
        wait_relay_ended(rec.relay_pid, rec.relay_started)   # the last lines are in the log
        free = self.wait_released(rec.port, set(result.signalled) | {rec.pid})
        self._store.remove(unit, rec.pid)
        return StopOutcome(unit, free and not result.survivors, rec.pid, rec.port, StopEnd.STOPPED,
                           main_pid=rec.main_pid, forced=bool(result.forced), free=free,
                           survivors=tuple(result.survivors))

    def marked(self, rec: ManagedRecord) -> list[psutil.Process]:
        """The processes of ``rec``'s start found by its mark (also those that left its group)."""
        if not rec.marker:
            return []
        return find_marked([rec.marker], rec.started_at).get(rec.marker, [])

    def unreadable_holder(self, rec: ManagedRecord) -> tuple[int, int | str | None] | None:
        """(pid, owner) of a holder of ``rec``'s port started since ``rec`` whose mark we may not read
        (another user's process: a daemon of ours that also dropped privileges looks like this)."""
        if not rec.marker:
            return None     # no mark was set (an adopted copy, an older record): nothing to go by
        for holder in self._scanner.scan([rec.port]).info(rec.port).holders:
            if holder.pid is None or (holder.create_time or 0.0) < rec.started_at - CREATED_BEFORE_SLACK:
                continue
            try:
                proc = psutil.Process(holder.pid)
                proc.environ()
            except psutil.AccessDenied:
                return holder.pid, owner_id(proc, self._os)
            except psutil.Error:
                continue
        return None

    def _refused(self, rec: ManagedRecord, refused: tuple[tuple[int, int | str | None], ...],
                 maybe: bool = False) -> StopOutcome:
        pid, owner = refused[0]
        return StopOutcome(rec.unit, False, pid, rec.port, StopEnd.REFUSED, failure=StopFailure.OTHER_OWNER,
                           owner=owner, maybe=maybe)

    def job_of(self, rec: ManagedRecord, spawned: Spawned | None) -> Job | None:
        """Windows: our handle on the tree's job, or the job reopened by its name."""
        if spawned is not None and spawned.job is not None:
            return spawned.job
        return reopen_job(rec.pid, rec.create_time, self._os)

    def group_is_ours(self, rec: ManagedRecord) -> bool:
        """May we signal the process group ``rec.pid``? Only if we created it and its pid was
        not reused by another process since (Windows: CTRL_BREAK to the group we created)."""
        if not rec.own_group or rec.pending:
            return False
        if not psutil.pid_exists(rec.pid):
            return True
        return identity.is_same(identity.Identity(rec.pid, rec.create_time, rec.start_ticks))

    def clear_leftover(self, rec: ManagedRecord) -> None:
        """A record whose leader is gone: end what is left of its group, forget it."""
        pgid = rec.pid if self.group_is_ours(rec) else None
        job = self.job_of(rec, None)
        if leftovers(pgid, job, self._os):
            stop_tree(None, pgid=pgid, grace=self._grace_for(rec.unit), job=job, os_name=self._os,
                      extra=self.marked(rec))
        reap(None, job)
        self._store.remove(rec.unit, rec.pid)

    def wait_released(self, port: int, pids: set[int]) -> bool:
        """Wait (a little) until none of ``pids`` listens on ``port``."""
        deadline = time.monotonic() + PORT_RELEASE_WAIT
        pause = threading.Event()
        while True:
            if not any(h.pid in pids for h in self._scanner.scan([port]).info(port).holders):
                return True
            if time.monotonic() > deadline:
                return False
            pause.wait(0.05)


def _process(rec: ManagedRecord) -> psutil.Process | None:
    try:
        return psutil.Process(rec.pid)
    except psutil.Error:
        return None


def reap(spawned: Spawned | None, job: Job | None = None) -> None:
    """Collect our child's exit status (no zombie) and release its job handle(s)."""
    if spawned is not None:
        try:
            spawned.popen.wait(timeout=5)
        except Exception:  # noqa: BLE001 - already reaped through psutil, or stuck: nothing more to do
            pass
        settle(spawned.relay, RELAY_END_WAIT)
    for handle in {id(j): j for j in (spawned.job if spawned else None, job) if j is not None}.values():
        handle.close()
