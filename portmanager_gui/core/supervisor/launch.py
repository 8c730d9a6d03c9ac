"""Launch one unit on one port: log file, argv, environment, record, spawn, verify.

The record -- with the start's mark (``marker``), which the child and all its descendants
inherit -- is written *before* the spawn and completed with the pid right after, so if this
process dies at any point a later command still finds (and can stop) the child. When the
record cannot be written the child is not started, or is stopped again at once: nothing of
ours runs untracked. A start that does not verify is stopped again (its whole tree, also
what left it) and its record removed. A daemon (fork, setsid, fork) is followed by its mark:
its first process exiting 0 is not the end of the start.

Why a launch failed is handed back as facts (``LaunchProblem``); the one line written into the
service's own log when its program cannot run is part of that log, like its header line.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from ..kill import identity
from ..paths import Paths
from ..platform.commands import command_line_text
from ..platform.process_tree import Spawned, spawn, stop_tree
from ..platform.search_path import CommandNotFound, resolve_command, search_path_value
from . import logfiles
from .health import health_url
from .log_sink import RELAY_END_WAIT, LogSink, settle
from .marker import MARKER_ENV, find_marked, marked_pids, new_marker, scope_of
from .records import ManagedRecord, StateStore
from .start_check import Scanner, Verdict, Verification, tree_pids, wait_until_running
from .types import LaunchProblem, LaunchTrouble
from .unit_spec import UnitSpec, argv_for, child_env

FAILED_START_GRACE = 3.0


@dataclass(frozen=True)
class LaunchResult:
    """A launch and its verification."""

    verification: Verification
    spawned: Spawned | None = None
    pid: int | None = None
    state_error: bool = False       # the state record or the log could not be written (nothing left running)


class Launcher:
    def __init__(self, paths: Paths, scanner: Scanner, store: StateStore, owns_children: bool,
                 registry_path: Path | None, os_name: str, cancel: threading.Event | None = None):
        self._paths = paths
        self._scanner = scanner
        self._store = store
        self._owns = owns_children
        self._registry_path = registry_path
        self._os = os_name
        self._cancel = cancel

    def _cwd(self, spec: UnitSpec) -> str | None:
        """A relative ``cwd`` is relative to the registry file's folder."""
        if spec.cwd is None:
            return None
        cwd = Path(spec.cwd).expanduser()
        if not cwd.is_absolute() and self._registry_path is not None:
            cwd = self._registry_path.parent / cwd
        return str(cwd)

    def launch(self, spec: UnitSpec, port: int) -> LaunchResult:
        log = logfiles.log_path(self._paths, spec.unit)
        argv = argv_for(spec, port)
        env = child_env(spec, port, registry_path=self._registry_path)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            logfiles.rotate_if_large(log)
            output = logfiles.open_for_child(log, f"=== {stamp} Port Manager: starting {spec.unit} on port {port}: "
                                                  f"{command_line_text(argv, self._os)}")
        except OSError as exc:   # a full disk, a read-only or odd log folder: not the service's fault
            return self._own_file_failure(spec, log, exc)
        offset = logfiles.size(log)
        try:
            # Apps started from Finder/Explorer get a minimal PATH: look in the usual bin folders too.
            argv[0] = resolve_command(argv[0], self._os, env, service=spec.unit)
            env["PATH"] = search_path_value(self._os, env, Path.home())
        except CommandNotFound as exc:
            output.write((str(exc) + "\n").encode())
            output.close()
            return LaunchResult(Verification(Verdict.EXITED, problem=LaunchProblem(
                LaunchTrouble.NOT_FOUND, exc.command, searched=exc.searched)))
        cwd = self._cwd(spec)
        if cwd is not None and not Path(cwd).is_dir():
            output.write((f"{spec.unit}: its working folder (cwd) {cwd} does not exist or is not a folder; "
                          f"fix `cwd` in the registry\n").encode())
            output.close()
            return LaunchResult(Verification(Verdict.EXITED, problem=LaunchProblem(LaunchTrouble.NO_CWD, cwd)))
        mark = new_marker(spec.unit, scope_of(self._store.path))
        env[MARKER_ENV] = mark
        started_at = time.time()
        pending = ManagedRecord(spec.unit, 0, 0.0, port, tuple(argv), started_at, str(log), own_group=True,
                                preferred=spec.preferred, owner_pid=os.getpid(), marker=mark)
        try:
            self._store.put(pending)   # before the spawn: no child of ours ever runs without a record
        except OSError as exc:
            output.close()
            return self._state_failure(spec, exc, None)
        sink = LogSink.start(output, log, self._os)
        try:
            spawned = spawn(argv, cwd=cwd, env=env,
                            output=sink.output, kill_on_close=self._owns, os_name=self._os)
        except OSError as exc:
            sink.output.write((f"{spec.unit}: cannot run {argv[0]!r} ({exc.strerror or exc}); check the command "
                               f"in the registry (the program must be installed and on PATH)\n").encode())
            self._forget(spec.unit, 0)
            sink.handed_over()
            sink.settle()
            return LaunchResult(Verification(Verdict.EXITED, problem=LaunchProblem(
                LaunchTrouble.CANNOT_RUN, argv[0], exc.strerror or str(exc))))
        sink.handed_over()  # the child holds its own descriptor
        spawned.relay = sink.relay
        pid = spawned.popen.pid
        try:
            now = identity.current(pid)
            ctime, ticks = now.create_time, now.ticks
        except psutil.Error:
            ctime, ticks = time.time(), None  # already gone: verification below reports how it ended
        relay = _relay_identity(sink)
        try:
            self._store.put(replace(pending, pid=pid, create_time=ctime, start_ticks=ticks,
                                    relay_pid=relay[0], relay_started=relay[1]))
        except OSError as exc:
            self._undo(spawned, spec, mark, started_at, record_pid=0)
            return self._state_failure(spec, exc, spawned)

        def poll() -> int | None:
            rc = spawned.popen.poll()
            # daemonized: it lives on. Looked for twice: one scan lists the pids, then reads
            # each; a fork's middle process can exit between the two, before its child was listed.
            if rc == 0 and (marked_pids(mark, started_at) or marked_pids(mark, started_at)):
                return None
            if rc is not None:
                sink.settle()   # its last lines (an "address in use") reach the log first
            return rc

        url = health_url(spec.host, port, spec.health) if spec.health else None
        result = wait_until_running(poll=poll, root_pid=pid, port=port, scanner=self._scanner,
                                    health_url=url, timeout=spec.start_timeout, log_path=log, log_offset=offset,
                                    cancel=self._cancel,
                                    ours=lambda: tree_pids(pid, self._os) | marked_pids(mark, started_at))
        if result.verdict is not Verdict.RUNNING:
            self._undo(spawned, spec, mark, started_at)
        return LaunchResult(result, spawned, pid)

    def _state_failure(self, spec: UnitSpec, exc: OSError, spawned: Spawned | None) -> LaunchResult:
        return self._own_file_failure(spec, self._store.path, exc, spawned, LaunchTrouble.STATE_NOT_WRITTEN)

    def _own_file_failure(self, spec: UnitSpec, path: Path, exc: OSError, spawned: Spawned | None = None,
                          trouble: LaunchTrouble = LaunchTrouble.LOG_NOT_WRITTEN) -> LaunchResult:
        """A file of Port Manager's own (the state record, the log) could not be written."""
        problem = LaunchProblem(trouble, str(path), exc.strerror or str(exc), stopped_again=spawned is not None)
        pid = spawned.popen.pid if spawned is not None else None
        return LaunchResult(Verification(Verdict.EXITED, problem=problem), spawned, pid, state_error=True)

    def _forget(self, unit: str, pid: int) -> None:
        try:
            self._store.remove(unit, pid)
        except OSError:
            pass   # a record left with no live process is dropped by the next start or stop

    def _undo(self, spawned: Spawned, spec: UnitSpec, mark: str, since: float, record_pid: int | None = None) -> None:
        pid = spawned.popen.pid
        leader = None
        if spawned.popen.poll() is None:
            try:
                leader = psutil.Process(pid)
            except psutil.Error:
                leader = None
        stop_tree(leader, pgid=pid, grace=min(spec.stop_timeout, FAILED_START_GRACE), job=spawned.job,
                  os_name=self._os, extra=find_marked([mark], since).get(mark, []))
        try:
            spawned.popen.wait(timeout=5)
        except Exception:  # noqa: BLE001 - reaped by psutil already
            pass
        if spawned.job is not None:
            spawned.job.close()
        settle(spawned.relay, RELAY_END_WAIT)
        self._forget(spec.unit, pid if record_pid is None else record_pid)


def _relay_identity(sink: LogSink) -> tuple[int | None, float | None]:
    if sink.relay is None:
        return None, None
    try:
        return sink.relay.pid, psutil.Process(sink.relay.pid).create_time()
    except psutil.Error:
        return None, None
