"""Start / stop / restart / kill requests, run off the GUI thread, answered with signals.

Two single-thread pools: one for the supervisor (starts wait for health checks and must
not interleave), one for quick process work (kill plans, kills, log tails) so a kill is
never queued behind a 60-second start (the log pane has its own reader, ``LogFollower``). Supervisor events arrive on the worker thread and
are re-emitted on the GUI thread as ``supervisor_event``. Results are the core's typed
values (``StartOutcome``, ``StopOutcome``, the kill plan and ``KillResult``); the UI turns
them into words.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from ..core.registry.model import Registry

log = logging.getLogger(__name__)

SupervisorFactory = Callable[[Registry, Callable[[Any], None]], Any]
POLL_MS = 1000          # crash detection and due restarts (Supervisor.poll)
RETIRED_KEPT = 4
STOP_OWNED = "stop what Port Manager started"   # the job's name in ``failed``        # supervisors of earlier registries still watch the children they launched


class _Relay(QObject):
    result = Signal(object, object)     # job, value
    error = Signal(object, str)         # job, message
    event = Signal(object)


class _Job(QRunnable):
    def __init__(self, what: str, fn: Callable[[], Any], done: Callable[[Any], None], relay: _Relay,
                 counted: bool = True):
        super().__init__()
        self.what, self.done, self.counted = what, done, counted   # counted: a user request
        self._fn, self._relay = fn, relay
        self.setAutoDelete(False)   # the relay's queued signal still refers to it

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as exc:  # reported to the user; the worker thread lives on
            log.exception("%s failed", self.what)
            self._relay.error.emit(self, str(exc) or type(exc).__name__)
            return
        self._relay.result.emit(self, value)


class Controller(QObject):
    starting = Signal(str)                 # name (as asked: a service, a group or "pool/model")
    started = Signal(str, object)          # name, list[StartOutcome]
    stopped = Signal(str, object)          # name, list[StopOutcome]
    kill_planned = Signal(int, object)     # port, kill plan
    killed = Signal(int, object)           # port, KillResult
    supervisor_event = Signal(object)      # SupervisorEvent
    owned_stopped = Signal(object, object) # list[StopOutcome], units left running (adopted from someone else)
    failed = Signal(str, str)              # what was asked ("start router"), message
    idle = Signal()                        # every queued request has been answered

    def __init__(self, supervisor_factory: SupervisorFactory, *, plan_kill: Callable[[int], Any],
                 kill: Callable[[Any], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._factory = supervisor_factory
        self._plan_kill = plan_kill
        self._kill = kill
        self._registry: Registry | None = None
        self._supervisor: Any = None
        self._lock = threading.Lock()
        self._pending = 0
        self._ops = QThreadPool(self)
        self._ops.setMaxThreadCount(1)
        self._quick = QThreadPool(self)
        self._quick.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.result.connect(self._on_result)
        self._relay.error.connect(self._on_error)
        self._relay.event.connect(self.supervisor_event)
        self._jobs: set[_Job] = set()      # alive until answered (not auto-deleted, see _Job)
        self._retired: list[Any] = []
        self._watch = QThreadPool(self)
        self._watch.setMaxThreadCount(1)
        self._polling = False
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self._poll)

    # -- wiring ---------------------------------------------------------------------
    def set_registry(self, registry: Registry) -> None:
        """Later requests use a supervisor built on ``registry`` (its records live on disk)."""
        with self._lock:
            if registry is not self._registry:
                if self._supervisor is not None:
                    self._retired = [self._supervisor, *self._retired][:RETIRED_KEPT]
                self._registry, self._supervisor = registry, None

    def supervisor(self) -> Any:
        """The supervisor for the current registry; built on first use, on any thread."""
        with self._lock:
            if self._supervisor is None:
                if self._registry is None:
                    raise RuntimeError("no registry loaded yet")
                self._supervisor = self._factory(self._registry, self._relay.event.emit)
            return self._supervisor

    def records(self) -> list[Any]:
        """Managed records; called on the scanner's worker thread."""
        with self._lock:
            if self._registry is None:
                return []           # no registry loaded (yet): nothing can have been started
        return list(self.supervisor().records())

    def start_watching(self) -> None:
        """Poll the supervisor(s) every second for crashes and due restarts."""
        self._poll_timer.start()

    def stop_watching(self) -> None:
        self._poll_timer.stop()

    def _poll(self) -> None:
        if self._polling or self._registry is None:
            return
        self._polling = True

        def work() -> None:
            with self._lock:
                retired = list(self._retired)
            for sup in [self.supervisor(), *retired]:
                sup.poll()

        job = _Job("watch the started services", work, self._polled, self._relay, counted=False)
        self._jobs.add(job)
        self._watch.start(job)

    def _polled(self, _value: Any = None) -> None:
        self._polling = False

    @property
    def busy(self) -> bool:
        return self._pending > 0

    # -- requests -------------------------------------------------------------------
    def start(self, name: str) -> None:
        self.starting.emit(name)
        self._submit(self._ops, f"start {name}", lambda: self.supervisor().start(name),
                     lambda out: self.started.emit(name, out))

    def restart(self, name: str) -> None:
        self.starting.emit(name)
        self._submit(self._ops, f"restart {name}", lambda: self.supervisor().restart(name),
                     lambda out: self.started.emit(name, out))

    def stop(self, name: str) -> None:
        self._submit(self._ops, f"stop {name}", lambda: self.supervisor().stop(name),
                     lambda out: self.stopped.emit(name, out))

    def stop_all(self) -> None:
        self._submit(self._ops, "stop everything Port Manager started", lambda: self.supervisor().stop_all(),
                     lambda out: self.stopped.emit("", out))

    def stop_owned(self) -> None:
        """Stop what this app launched (every supervisor it used), never what it only adopted."""
        def work() -> tuple[list[Any], list[str]]:
            with self._lock:
                sups = [s for s in (self._supervisor, *self._retired) if s is not None]
            stopped, left = [], []
            for sup in sups:
                done, kept = sup.stop_owned()
                stopped += done
                left += kept
            return stopped, left

        self._submit(self._ops, STOP_OWNED, work,
                     lambda out: self.owned_stopped.emit(*out))

    def plan_kill(self, port: int) -> None:
        self._submit(self._quick, f"look up the holders of port {port}", lambda: self._plan_kill(port),
                     lambda plan: self.kill_planned.emit(port, plan))

    def kill(self, port: int, target: Any) -> None:
        """``target`` is what the confirmed plan said to kill (checked again before killing)."""
        self._submit(self._quick, f"kill the holder of port {port}", lambda: self._kill(target),
                     lambda result: self.killed.emit(port, result))

    def wait_idle(self, ms: int = 30000) -> bool:
        """Block until every pool is idle (shutdown and tests only)."""
        return self._ops.waitForDone(ms) and self._quick.waitForDone(ms) and self._watch.waitForDone(ms)

    # -- plumbing -------------------------------------------------------------------
    def _submit(self, pool: QThreadPool, what: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._pending += 1
        job = _Job(what, fn, done, self._relay)
        self._jobs.add(job)
        pool.start(job)

    def _settle(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.idle.emit()

    def _on_result(self, job: _Job, value: Any) -> None:
        self._jobs.discard(job)
        try:
            job.done(value)
        finally:
            if job.counted:
                self._settle()

    def _on_error(self, job: _Job, message: str) -> None:
        self._jobs.discard(job)
        if not job.counted:
            self._polled()
            log.warning("%s failed: %s", job.what, message)
            return
        try:
            self.failed.emit(job.what, f"Could not {job.what}: {message}")
        finally:
            self._settle()
