"""Start / stop / restart / kill requests, run off the GUI thread, answered with signals.

Three ``Background`` workers: one for the supervisor (starts wait for health checks and must
not interleave), one for quick process work (kill plans, kills, log tails) so a kill is
never queued behind a 60-second start, and one for the once-a-second crash watch (the log
pane has its own reader, ``LogFollower``). Results are the core's typed values
(``StartOutcome``, ``StopOutcome``, the kill plan and ``KillResult``, ``RequestFailure``); the
UI turns them into words.

A start's result travels once: the ``StartOutcome`` list of the request (``started``), or, for
a restart the supervisor runs by itself after a crash, the outcomes ``poll`` hands back
(``started`` too). The supervisor's own started / fallback / failed events say the same
thing, so only the other kinds (starting, stopped, crashed, restarting, gave up) are
re-emitted on the GUI thread as ``supervisor_event``. The jobs hold the ``_Supervisors``
(plain Python), never the ``Controller``; ``shutdown()`` ends the workers.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.registry.model import Registry
from .background import Background

log = logging.getLogger(__name__)

SupervisorFactory = Callable[[Registry, Callable[[Any], None]], Any]
POLL_MS = 1000          # crash detection and due restarts (Supervisor.poll)
RETIRED_KEPT = 4        # supervisors of earlier registries still watch the children they launched


class Operation(Enum):
    """What was asked of the controller (the UI words it)."""

    START = "start"
    RESTART = "restart"
    STOP = "stop"
    STOP_ALL = "stop all"
    STOP_OWNED = "stop owned"          # quitting: what this app launched
    PLAN_KILL = "plan kill"            # look up the holders of a port
    KILL = "kill"
    STOP_CONTAINER = "stop container"


@dataclass(frozen=True)
class RequestFailure:
    """A request that raised instead of answering: what, on which unit or port, and the detail."""

    operation: Operation
    target: str | int | None           # the name asked for, or the port
    detail: str                        # the exception's own text


class _Events(QObject):
    """Lives on the GUI thread: a supervisor event emitted on a worker is queued to it."""

    event = Signal(object)


class _Supervisors:
    """The supervisor of the current registry (built on first use, on any thread) and the
    retired ones of earlier registries, which still watch what they launched."""

    def __init__(self, factory: SupervisorFactory, on_event: Callable[[Any], None]):
        self._factory, self._on_event = factory, on_event
        self._lock = threading.Lock()
        self._registry: Registry | None = None
        self._current: Any = None
        self._retired: list[Any] = []

    @property
    def loaded(self) -> bool:
        return self._registry is not None

    def set_registry(self, registry: Registry) -> None:
        with self._lock:
            if registry is not self._registry:
                if self._current is not None:
                    self._retired = [self._current, *self._retired][:RETIRED_KEPT]
                self._registry, self._current = registry, None

    def current(self) -> Any:
        with self._lock:
            if self._current is None:
                if self._registry is None:
                    raise RuntimeError("no registry loaded yet")
                self._current = self._factory(self._registry, self._on_event)
            return self._current

    def close(self) -> None:
        """Release what every supervisor holds (their scanners); the children keep running."""
        with self._lock:
            sups = [s for s in (self._current, *self._retired) if s is not None]
            self._current, self._retired = None, []
        for sup in sups:
            sup.close()

    def all(self) -> list[Any]:
        """The supervisors built so far, current first (none is built by asking)."""
        with self._lock:
            return [s for s in (self._current, *self._retired) if s is not None]

    def poll_all(self) -> list[Any]:
        """Poll every supervisor; the outcomes of the restarts they ran (a list of StartOutcome)."""
        with self._lock:
            retired = list(self._retired)
        outcomes: list[Any] = []
        for sup in [self.current(), *retired]:
            outcomes += sup.poll() or []
        return outcomes


def _start_result(event: Any) -> bool:
    """Told by the ``StartOutcome`` of the start (asked for, or a restart after a crash), not as events."""
    # the supervisor that sent the event has loaded its types: not needed to paint (issue 16)
    from ..core.supervisor.types import EventKind

    return getattr(event, "kind", None) in (EventKind.STARTED, EventKind.FALLBACK, EventKind.FAILED)


def _describe(exc: Exception) -> str:
    log.exception("a controller job failed")     # reported to the user; the worker thread lives on
    return str(exc) or type(exc).__name__


class Controller(QObject):
    starting = Signal(str)                 # name (as asked: a service, a group or "pool/model")
    started = Signal(str, object)          # name ("" for restarts after a crash), list[StartOutcome]
    stopped = Signal(str, object)          # name, list[StopOutcome]
    kill_planned = Signal(int, object)     # port, kill plan
    killed = Signal(int, object)           # port, KillResult
    container_stopped = Signal(object)     # interop.docker.StopResult
    supervisor_event = Signal(object)      # SupervisorEvent (not the start results: see the docstring)
    owned_stopped = Signal(object, object) # list[StopOutcome], units left running (adopted from someone else)
    failed = Signal(object)                # RequestFailure
    idle = Signal()                        # every queued request has been answered

    def __init__(self, supervisor_factory: SupervisorFactory, *, plan_kill: Callable[[int], Any],
                 kill: Callable[[Any], Any], stop_container: Callable[[str, str], Any] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._plan_kill = plan_kill
        self._kill = kill
        self._stop_container = stop_container
        self._pending = 0
        self._events = _Events(self)
        self._events.event.connect(self.supervisor_event)
        events = self._events.event

        def on_event(event: Any) -> None:     # on a worker thread
            if not _start_result(event):
                events.emit(event)

        self._supervisors = _Supervisors(supervisor_factory, on_event)
        self._ops = Background(self, name="supervisor", describe=_describe)
        self._quick = Background(self, name="processes", describe=_describe)
        self._watch = Background(self, name="watch", describe=_describe)
        self._polling = False
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self._poll)

    # -- wiring ---------------------------------------------------------------------
    def set_registry(self, registry: Registry) -> None:
        """Later requests use a supervisor built on ``registry`` (its records live on disk)."""
        self._supervisors.set_registry(registry)

    def supervisor(self) -> Any:
        """The supervisor for the current registry; built on first use, on any thread."""
        return self._supervisors.current()

    def supervisors(self) -> list[Any]:
        """Every supervisor built so far (current first): the retired ones still watch children."""
        return self._supervisors.all()

    def start_watching(self) -> None:
        """Poll the supervisor(s) every second for crashes and due restarts."""
        self._poll_timer.start()

    def stop_watching(self) -> None:
        self._poll_timer.stop()

    def _poll(self) -> None:
        if self._polling or not self._supervisors.loaded:
            return
        self._polling = self._watch.run(self._supervisors.poll_all, self._polled, self._poll_failed)

    def _polled(self, outcomes: Any = None) -> None:
        self._polling = False
        if outcomes:
            self.started.emit("", outcomes)

    def _poll_failed(self, message: str) -> None:
        self._polling = False
        log.warning("watching the started services failed: %s", message)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    # -- requests -------------------------------------------------------------------
    def start(self, name: str) -> None:
        self.starting.emit(name)
        sups = self._supervisors
        self._submit(self._ops, Operation.START, name, lambda: sups.current().start(name),
                     lambda out: self.started.emit(name, out))

    def restart(self, name: str) -> None:
        self.starting.emit(name)
        sups = self._supervisors
        self._submit(self._ops, Operation.RESTART, name, lambda: sups.current().restart(name),
                     lambda out: self.started.emit(name, out))

    def stop(self, name: str) -> None:
        sups = self._supervisors
        self._submit(self._ops, Operation.STOP, name, lambda: sups.current().stop(name),
                     lambda out: self.stopped.emit(name, out))

    def stop_all(self) -> None:
        sups = self._supervisors
        self._submit(self._ops, Operation.STOP_ALL, None, lambda: sups.current().stop_all(),
                     lambda out: self.stopped.emit("", out))

    def stop_owned(self) -> None:
        """Stop what this app launched (every supervisor it used), never what it only adopted."""
        supervisors = self._supervisors

        def work() -> tuple[list[Any], list[str]]:
            stopped, left = [], []
            for sup in supervisors.all():
                done, kept = sup.stop_owned()
                stopped += done
                left += kept
            return stopped, left

        self._submit(self._ops, Operation.STOP_OWNED, None, work,
                     lambda out: self.owned_stopped.emit(*out))

    def plan_kill(self, port: int) -> None:
        plan_kill = self._plan_kill
        self._submit(self._quick, Operation.PLAN_KILL, port, lambda: plan_kill(port),
                     lambda plan: self.kill_planned.emit(port, plan))

    def kill(self, port: int, target: Any) -> None:
        """``target`` is what the confirmed plan said to kill (checked again before killing)."""
        kill = self._kill
        self._submit(self._quick, Operation.KILL, port, lambda: kill(target),
                     lambda result: self.killed.emit(port, result))

    def stop_container(self, runtime: str, container: str) -> None:
        """Stop a container with its runtime's own command (``docker``/``podman stop NAME``)."""
        stop = self._stop_container
        if stop is None:
            return
        self._submit(self._quick, Operation.STOP_CONTAINER, container, lambda: stop(runtime, container),
                     self.container_stopped.emit)

    def wait_idle(self, ms: int = 30000) -> bool:
        """Block until every worker is idle (shutdown and tests only)."""
        return all([self._ops.wait_idle(ms), self._quick.wait_idle(ms), self._watch.wait_idle(ms)])

    def shutdown(self, ms: int = 30000) -> bool:
        """No more polls or requests; wait for the running ones and end the worker threads."""
        self.stop_watching()
        done = all([self._ops.shutdown(ms), self._quick.shutdown(ms), self._watch.shutdown(ms)])
        if done:                 # a job still running after ``ms`` may still use its supervisor
            self._supervisors.close()
        return done

    # -- plumbing -------------------------------------------------------------------
    def _submit(self, worker: Background, op: Operation, target: str | int | None, fn: Callable[[], Any],
                done: Callable[[Any], None]) -> None:
        def answered(value: Any) -> None:
            try:
                done(value)
            finally:
                self._settle()

        def failed(message: str) -> None:
            try:
                self.failed.emit(RequestFailure(op, target, message))
            finally:
                self._settle()

        if worker.run(fn, answered, failed):
            self._pending += 1

    def _settle(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.idle.emit()
