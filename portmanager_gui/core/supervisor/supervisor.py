"""Start, verify, adopt, stop and restart the router and model servers.

One ``Supervisor`` serves ``portmanager up`` (which polls it for crashes), the one-shot
``start``/``stop``/``restart`` commands and the desktop app (from a worker thread). What it
starts is written to the state record at once, so a later command -- or the desktop app --
finds and stops it even when this process is gone.

A start, unit by unit: plan every unit first (already running? adoptable? a free port?)
and start nothing when any unit cannot get a port; then launch each one, verify it
(``verify.wait_until_running``) and, when another process wins its port, move on to the
next fallback with a warning naming that process.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import psutil

from ..kill import identity
from ..paths import Paths
from ..platform import current_os
from ..platform.file_lock import LockTimeout
from ..platform.process_tree import Spawned, has_process_groups
from ..ports.probe import Availability, probe
from ..ports.selection import allocate_slots
from ..registry.model import Registry
from . import logfiles
from . import records as state
from .launch import Launcher, LaunchResult
from .log_sink import RELAY_END_WAIT, settle
from .port_claims import PortClaims, port_claims, start_locks
from .records import ManagedRecord, StateDamage
from .restart_policy import RestartPolicy
from .start_check import Scanner, Verdict, default_scanner
from .start_plan import Plan, StartPlanner
from .stopper import UnitStopper
from .types import (
    Adoption,
    EventKind,
    Skipped,
    StartFailure,
    StartOutcome,
    StopFailure,
    StopOutcome,
    SupervisorEvent,
)
from .unit_spec import UnitSpec, default_names, expand, specs


class Supervisor:
    """Starts and stops units; see the module docstring.

    ``clock`` drives the restart policy (backoff, give-up window); waits for real processes
    use real time. ``owns_children`` (``portmanager up``): on Windows the children's job
    object ends them when this process ends, however it ends. Setting ``cancel`` abandons
    a start in progress (the unit being verified is stopped; later ones are not started).
    """

    def __init__(self, registry: Registry, paths: Paths, *, scanner: Scanner | None = None,
                 on_event: Callable[[SupervisorEvent], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, probe: Callable[[int], Availability] = probe,
                 owns_children: bool = False, cancel: threading.Event | None = None,
                 os_name: str | None = None):
        self._registry = registry
        self._paths = paths
        self._own_scanner = scanner is None
        self._scanner = scanner or default_scanner()
        self._on_event = on_event
        self._clock = clock
        self._probe = probe
        self._os = os_name or current_os()
        self._store = state.store_for(paths)
        self._cancel = cancel or threading.Event()
        self._stopper = UnitStopper(self._store, self._scanner, self._os, self._grace)
        self._planner = StartPlanner(registry, self._store, self._scanner, probe, self._stopper.clear_leftover)
        self._launcher = Launcher(paths, self._scanner, self._store, owns_children, registry.path, self._os,
                                  self._cancel)
        self._lock = threading.RLock()
        self._children: dict[str, Spawned] = {}        # launched by this object, still watched
        self._adopted: dict[str, str] = {}             # unit -> "ours" | "foreign", watched too
        self._policies: dict[str, RestartPolicy] = {}
        self._pending: dict[str, float] = {}           # unit -> clock() when a restart is due
        self._start_order: list[str] = []
        self._detached: list[tuple[str, Spawned]] = []  # children that daemonized (their relay runs on)
        self._ended_relays: list[subprocess.Popen] = []  # relays of ended children still writing

    def close(self) -> None:
        """Release what this object holds (the scanner it made; Windows job handles).

        Children keep running: stop them first if that is wanted.
        """
        with self._lock:
            children = list(self._children.values())
        for spawned in children:
            spawned.popen.poll()         # reap a child that ended (or was stopped by another supervisor)
            if spawned.relay is not None:
                spawned.relay.poll()     # a running child's relay runs on
        for unit, spawned in self._detached:
            spawned.popen.poll()
            if self._store.get(unit) is None:   # the daemon was stopped: its relay ends now
                settle(spawned.relay, RELAY_END_WAIT)
            elif spawned.relay is not None:
                spawned.relay.poll()
        for relay in self._ended_relays:
            settle(relay, RELAY_END_WAIT)
            if spawned.job is not None:  # pragma: no cover - Windows only
                spawned.job.close()
        if self._own_scanner and hasattr(self._scanner, "close"):
            self._scanner.close()

    def __enter__(self) -> "Supervisor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- names --------------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        return self._registry

    def units(self, name: str) -> list[str]:
        return expand(self._registry, name, self._paths.allocations_file)

    def default_names(self) -> list[str]:
        return default_names(self._registry)

    # -- start --------------------------------------------------------------------------
    def start(self, name: str) -> list[StartOutcome]:
        return self.start_many([name])

    def start_many(self, names: Iterable[str]) -> list[StartOutcome]:
        """Plan every unit, start nothing if any cannot get a port, else launch in order.

        Each unit's start lock is held from planning until its record is written and verified,
        so a second start of the same unit (another command, the app) waits and then finds
        the first one running instead of launching a second copy.
        """
        units: list[str] = []
        for name in names:
            units += [u for u in self.units(name) if u not in units]
        with ExitStack() as held:
            try:
                held.enter_context(start_locks(self._paths, units))
            except LockTimeout as exc:
                return [StartOutcome(u, False, None, None, failure=StartFailure.BUSY, lock_error=str(exc))
                        for u in units]
            claims = held.enter_context(port_claims(self._paths, self._os))
            return self._start_locked(units, claims)

    def _start_locked(self, units: list[str], claims: PortClaims) -> list[StartOutcome]:
        if any(u not in self._registry.services for u in units):
            # The one place a start writes the model-slot allocations: before it uses them.
            allocate_slots(self._registry, self._paths.allocations_file)
        unit_specs = specs(self._registry, units, self._paths.allocations_file)
        claimed: set[int] = set()
        plans = [self._planner.plan(spec, claimed, claims) for spec in unit_specs]
        blocked = tuple(p.spec.unit for p in plans if p.failure)
        if blocked:
            outcomes = []
            for p in plans:
                out = StartOutcome(p.spec.unit, False, None, p.spec.preferred, tuple(p.skipped), tried=p.tried,
                                   failure=p.failure or StartFailure.BLOCKED,
                                   blocked_by=() if p.failure else blocked)
                outcomes.append(out)
                if p.failure:
                    self._emit(SupervisorEvent(EventKind.FAILED, p.spec.unit, None, start=out))
            return outcomes
        outcomes = []
        for p in plans:
            if self._cancel.is_set():
                outcomes.append(StartOutcome(p.spec.unit, False, None, p.spec.preferred,
                                             failure=StartFailure.CANCELLED))
                continue
            with self._lock:
                self._pending.pop(p.spec.unit, None)
                self._policies.pop(p.spec.unit, None)  # a start by hand forgets earlier failures
            outcomes.append(self._execute(p, claims))
        return outcomes

    def _execute(self, plan: Plan, claims: PortClaims) -> StartOutcome:
        spec = plan.spec
        with self._lock:
            if spec.unit not in self._start_order:
                self._start_order.append(spec.unit)
        if plan.existing is not None:
            rec = plan.existing
            with self._lock:
                if spec.unit not in self._children:
                    self._adopted.setdefault(spec.unit, "ours")
            return StartOutcome(spec.unit, True, rec.port, spec.preferred, adopted=True, pid=rec.main_pid,
                                adoption=Adoption.OURS)
        if plan.adopt_port is not None:
            return self._adopt(spec, plan.adopt_port, plan.adopt_pid)
        return self._launch(plan, claims)

    def _adopt(self, spec: UnitSpec, port: int, pid: int | None) -> StartOutcome:
        if pid is None:
            out = StartOutcome(spec.unit, True, port, spec.preferred, adopted=True, adoption=Adoption.UNSEEN)
            self._emit(SupervisorEvent(EventKind.STARTED, spec.unit, port, start=out))
            return out
        try:
            proc = psutil.Process(pid)
            now, argv = identity.current(pid), tuple(proc.cmdline())
            ctime, ticks = now.create_time, now.ticks
            own_group = has_process_groups(self._os) and os.getpgid(pid) == pid and os.getpgid(pid) != os.getpgrp()
        except (psutil.Error, OSError):
            return StartOutcome(spec.unit, False, None, spec.preferred, pid=pid, failure=StartFailure.ENDED,
                                launch_port=port)
        rec = ManagedRecord(spec.unit, pid, ctime, port, argv, time.time(), str(self.log_path(spec.unit)),
                            adopted=True, own_group=own_group, preferred=spec.preferred, owner_pid=os.getpid(),
                            start_ticks=ticks)
        self._store.put(rec)
        with self._lock:
            self._adopted[spec.unit] = "foreign"
        out = StartOutcome(spec.unit, True, port, spec.preferred, adopted=True, pid=pid, adoption=Adoption.FOREIGN)
        self._emit(SupervisorEvent(EventKind.STARTED, spec.unit, port, start=out))
        return out

    def _launch(self, plan: Plan, claims: PortClaims) -> StartOutcome:
        spec = plan.spec
        while True:
            assert plan.port is not None
            self._emit(SupervisorEvent(EventKind.STARTING, spec.unit, plan.port, title=spec.title))
            result = self._launcher.launch(spec, plan.port)
            claims.release(plan.port)   # running (it visibly holds the port now) or gone
            if result.verification.verdict is Verdict.RUNNING:
                return self._started(plan, result)
            if result.verification.verdict is not Verdict.LOST_RACE:
                return self._failed(plan, result)
            holder = result.verification.foreign[0] if result.verification.foreign else None
            lost = Skipped(plan.port, holder)
            rest = [p for p in spec.candidates if p not in plan.tried]
            claimed = {plan.port}
            plan = self._planner.select(spec, rest, claimed, plan.skipped + [lost], plan.tried, claims)
            if plan.failure:
                out = StartOutcome(spec.unit, False, None, spec.preferred, tuple(plan.skipped), tried=plan.tried,
                                   failure=plan.failure)
                self._emit(SupervisorEvent(EventKind.FAILED, spec.unit, None, start=out))
                return out

    def _started(self, plan: Plan, result: LaunchResult) -> StartOutcome:
        spec, port = plan.spec, plan.port
        assert port is not None
        with self._lock:
            self._children[spec.unit] = result.spawned
        pid = result.spawned.popen.pid
        if result.spawned.popen.poll() is not None:   # a daemon: its first process is gone, its mark lives on
            rec = self._store.get(spec.unit)
            pid = rec.main_pid if rec is not None else pid
        out = StartOutcome(spec.unit, True, port, spec.preferred, tuple(plan.skipped), pid=pid, tried=plan.tried,
                           title=spec.title, exposed_on=spec.host if spec.expose else "")
        if port != spec.preferred:
            self._emit(SupervisorEvent(EventKind.FALLBACK, spec.unit, port, start=out))
        self._emit(SupervisorEvent(EventKind.STARTED, spec.unit, port, start=out))
        return out

    def _failed(self, plan: Plan, result: LaunchResult) -> StartOutcome:
        spec = plan.spec
        v = result.verification
        failed = StartOutcome(spec.unit, False, None, spec.preferred, pid=result.pid, tried=plan.tried,
                              launch_port=plan.port)
        if self._cancel.is_set():
            return self._tell_failed(replace(failed, failure=StartFailure.CANCELLED))
        if result.state_error:   # not the service's fault: no log tail, no restart
            return self._tell_failed(replace(failed, failure=StartFailure.STATE, problem=v.problem))
        timeout = v.verdict is Verdict.TIMEOUT
        answer = v.health
        out = replace(failed, fallback_from=tuple(plan.skipped), problem=v.problem,
                      failure=StartFailure.TIMEOUT if timeout else StartFailure.EXITED,
                      returncode=v.returncode, start_timeout=spec.start_timeout if timeout else None,
                      check=v.check, health_url=v.health_url,
                      health_status=answer.status if answer else None, health_error=answer.error if answer else "",
                      log_path=str(self.log_path(spec.unit)), log_tail=tuple(self.log_tail(spec.unit, 20)))
        self._tell_failed(out)
        self._after_failure(spec, v.returncode)
        return out

    def _tell_failed(self, out: StartOutcome) -> StartOutcome:
        self._emit(SupervisorEvent(EventKind.FAILED, out.unit, out.launch_port, start=out))
        return out

    # -- watching (up, the desktop app) -------------------------------------------------
    def poll(self) -> list[StartOutcome]:
        """Notice crashes, rotate big logs, run due restarts (their outcomes are returned).
        Call it every second or so."""
        with self._lock:
            children = list(self._children.items())
            adopted = list(self._adopted)
        for unit, spawned in children:
            rc = spawned.popen.poll()
            if rc is None:
                if spawned.relay is None:   # the relay rotates on every write; a direct file is rotated here
                    logfiles.copytruncate_if_large(self.log_path(unit))
                continue
            with self._lock:
                if self._children.get(unit) is not spawned:
                    continue  # stopped meanwhile
                del self._children[unit]
            rec = self._store.get(unit)
            if rec is not None and rec.pid == spawned.popen.pid and not rec.stopping and rec.alive:
                with self._lock:   # it daemonized: the processes with its mark run on; watch those
                    self._adopted[unit] = "ours"
                    self._detached.append((unit, spawned))
                continue
            settle(spawned.relay)        # its last lines reach the log before anything is told
            if spawned.relay is not None and spawned.relay.returncode is None:
                with self._lock:
                    self._ended_relays.append(spawned.relay)
            if rec is None or rec.pid != spawned.popen.pid or rec.stopping:
                # stopped on purpose by another command (or replaced by a newer start): no restart
                self._emit(SupervisorEvent(EventKind.STOPPED, unit, rec.port if rec else None, returncode=rc))
                continue
            self._stopper.clear_leftover(rec)
            self._crashed(unit, rec.port, rc)
        for unit in adopted:
            rec = self._store.get(unit)
            if rec is None or not rec.alive:
                with self._lock:
                    if self._adopted.pop(unit, None) is None:
                        continue
                if rec is None or rec.stopping:
                    self._emit(SupervisorEvent(EventKind.STOPPED, unit, rec.port if rec else None))
                    continue
                self._stopper.clear_leftover(rec)
                self._crashed(unit, rec.port, None)
        now = self._clock()
        with self._lock:
            due = [u for u, t in self._pending.items() if t <= now]
            for unit in due:
                del self._pending[unit]
        restarted: list[StartOutcome] = []
        for unit in due:
            try:
                spec = specs(self._registry, [unit], self._paths.allocations_file)[0]
            except LookupError:
                continue  # no longer in the registry
            self._emit(SupervisorEvent(EventKind.RESTARTING, unit, None))
            with port_claims(self._paths, self._os) as claims:
                restarted.append(self._execute(self._planner.plan(spec, set(), claims), claims))
        return restarted

    def _crashed(self, unit: str, port: int | None, rc: int | None) -> None:
        """``rc``: our child's exit code; None when it was not our child (adopted, daemonized)."""
        self._emit(SupervisorEvent(EventKind.CRASHED, unit, port, returncode=rc, log_path=str(self.log_path(unit)),
                                   log_tail=tuple(self.log_tail(unit, 10))))
        try:
            spec = specs(self._registry, [unit], self._paths.allocations_file)[0]
        except LookupError:
            return
        self._after_failure(spec, rc)

    def _after_failure(self, spec: UnitSpec, rc: int | None) -> None:
        with self._lock:
            policy = self._policies.setdefault(spec.unit, RestartPolicy(spec.restart, self._clock))
            decision = policy.on_exit(rc)
            if decision.restart:
                self._pending[spec.unit] = self._clock() + decision.delay
        if decision.restart:
            self._emit(SupervisorEvent(EventKind.RESTARTING, spec.unit, None, delay=decision.delay,
                                       failures=decision.failures))
        elif decision.gave_up:
            self._emit(SupervisorEvent(EventKind.GAVE_UP, spec.unit, None, failures=decision.failures,
                                       window=policy.window))

    def pending_restarts(self) -> dict[str, float]:
        with self._lock:
            return dict(self._pending)

    # -- stop ---------------------------------------------------------------------------
    def stop(self, name: str) -> list[StopOutcome]:
        return [self._stop_unit(u) for u in self.units(name)]

    def restart(self, name: str) -> list[StartOutcome]:
        self.stop(name)
        return self.start(name)

    def stop_all(self) -> list[StopOutcome]:
        """Everything in the state record (and anything this object still watches)."""
        with self._lock:
            units = set(self._children) | set(self._pending) | set(self._adopted)
        units |= {r.unit for r in self._store.records()}
        return [self._stop_unit(u) for u in sorted(units)]

    def stop_owned(self) -> tuple[list[StopOutcome], list[str]]:
        """What this object started (or found left from an earlier run of ours); the second
        list names units adopted from someone else, which are left running."""
        with self._lock:
            mine = set(self._children) | set(self._pending) | {u for u, o in self._adopted.items() if o == "ours"}
            foreign = sorted(u for u, o in self._adopted.items() if o == "foreign")
        order = [u for u in self._start_order if u in mine] + sorted(mine - set(self._start_order))
        return [self._stop_unit(u) for u in reversed(order)], foreign  # last started, first stopped

    def _stop_unit(self, unit: str) -> StopOutcome:
        with self._lock:
            self._pending.pop(unit, None)
            spawned = self._children.pop(unit, None)
            adopted = self._adopted.pop(unit, None)
        outcome = self._stopper.stop(unit, spawned)
        if outcome.failure is StopFailure.OTHER_OWNER:   # still running, still ours: keep watching it
            with self._lock:
                if spawned is not None:
                    self._children.setdefault(unit, spawned)
                if adopted is not None:
                    self._adopted.setdefault(unit, adopted)
        if outcome.pid is not None:   # a refused stop is told as a failure: the app notifies it
            self._emit(SupervisorEvent(EventKind.FAILED if outcome.failure else EventKind.STOPPED, unit, outcome.port,
                                       stop=outcome))
        return outcome

    def _grace(self, unit: str) -> float:
        try:
            return specs(self._registry, [unit], self._paths.allocations_file)[0].stop_timeout
        except LookupError:
            return 10.0

    # -- records and logs ---------------------------------------------------------------
    def records(self) -> list[ManagedRecord]:
        return self._store.records()

    def state_damage(self) -> StateDamage | None:
        """What is wrong with the state record (and what was found running by its marks), or None."""
        return self._store.damage()

    def record_for(self, unit: str) -> ManagedRecord | None:
        return self._store.get(unit)

    def log_path(self, unit: str) -> Path:
        return logfiles.log_path(self._paths, unit)

    def log_tail(self, unit: str, lines: int = 50) -> list[str]:
        return logfiles.tail(self.log_path(unit), lines)

    def _emit(self, event: SupervisorEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)


__all__ = ["Supervisor", "StartOutcome", "StopOutcome", "SupervisorEvent", "ManagedRecord"]
