"""Launch one unit on one port: log file, argv, environment, spawn, record, verify.

The record is written right after the spawn -- before verification -- so if this process
dies while waiting, a later command still finds (and can stop) the child. A start that
does not verify is stopped again (its whole tree) and its record removed.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from ..kill import identity
from ..paths import Paths
from ..platform.commands import command_line_text
from ..platform.process_tree import Spawned, spawn, stop_tree
from ..platform.search_path import CommandNotFound, resolve_command, search_path_value
from . import logfiles
from .health import health_url
from .records import ManagedRecord, StateStore
from .start_check import Scanner, Verdict, Verification, wait_until_running
from .unit_spec import UnitSpec, argv_for, child_env

FAILED_START_GRACE = 3.0


@dataclass(frozen=True)
class LaunchResult:
    verification: Verification
    spawned: Spawned | None = None
    pid: int | None = None


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
        logfiles.rotate_if_large(log)
        argv = argv_for(spec, port)
        env = child_env(spec, port, registry_path=self._registry_path)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        output = logfiles.open_for_child(log, f"=== {stamp} Port Manager: starting {spec.unit} on port {port}: "
                                              f"{command_line_text(argv, self._os)}")
        offset = logfiles.size(log)
        try:
            # Apps started from Finder/Explorer get a minimal PATH: look in the usual bin folders too.
            argv[0] = resolve_command(argv[0], self._os, env, service=spec.unit)
            env["PATH"] = search_path_value(self._os, env, Path.home())
        except CommandNotFound as exc:
            output.write((str(exc) + "\n").encode())
            output.close()
            return LaunchResult(Verification(Verdict.EXITED, detail=str(exc)))
        cwd = self._cwd(spec)
        if cwd is not None and not Path(cwd).is_dir():
            detail = (f"{spec.unit}: its working folder (cwd) {cwd} does not exist or is not a folder; "
                      f"fix `cwd` in the registry")
            output.write((detail + "\n").encode())
            output.close()
            return LaunchResult(Verification(Verdict.EXITED, detail=detail))
        try:
            spawned = spawn(argv, cwd=cwd, env=env,
                            output=output, kill_on_close=self._owns, os_name=self._os)
        except OSError as exc:
            detail = (f"{spec.unit}: cannot run {argv[0]!r} ({exc.strerror or exc}); check the command "
                      f"in the registry (the program must be installed and on PATH)")
            output.write((detail + "\n").encode())
            return LaunchResult(Verification(Verdict.EXITED, detail=detail))
        finally:
            output.close()  # the child holds its own descriptor
        pid = spawned.popen.pid
        try:
            now = identity.current(pid)
            ctime, ticks = now.create_time, now.ticks
        except psutil.Error:
            ctime, ticks = time.time(), None  # already gone: verification below reports how it ended
        self._store.put(ManagedRecord(spec.unit, pid, ctime, port, tuple(argv), time.time(), str(log),
                                      own_group=True, preferred=spec.preferred,
                                      owner_pid=os.getpid(), start_ticks=ticks))
        url = health_url(spec.host, port, spec.health) if spec.health else None
        result = wait_until_running(poll=spawned.popen.poll, root_pid=pid, port=port, scanner=self._scanner,
                                    health_url=url, timeout=spec.start_timeout, log_path=log, log_offset=offset,
                                    cancel=self._cancel)
        if result.verdict is not Verdict.RUNNING:
            self._undo(spawned, spec)
        return LaunchResult(result, spawned, pid)

    def _undo(self, spawned: Spawned, spec: UnitSpec) -> None:
        pid = spawned.popen.pid
        leader = None
        if spawned.popen.poll() is None:
            try:
                leader = psutil.Process(pid)
            except psutil.Error:
                leader = None
        stop_tree(leader, pgid=pid, grace=min(spec.stop_timeout, FAILED_START_GRACE), job=spawned.job,
                  os_name=self._os)
        try:
            spawned.popen.wait(timeout=5)
        except Exception:  # noqa: BLE001 - reaped by psutil already
            pass
        if spawned.job is not None:
            spawned.job.close()
        self._store.remove(spec.unit, pid)
