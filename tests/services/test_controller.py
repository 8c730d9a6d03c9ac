"""The controller: requests run off the GUI thread, answers (and supervisor events) arrive on it."""
from __future__ import annotations

import threading

from portmanager_gui.core.registry.model import Group, Registry, Service
from portmanager_gui.core.supervisor.types import StartOutcome, SupervisorEvent
from portmanager_gui.services.controller import Controller, Operation, RequestFailure


def _registry(port: int = 3791) -> Registry:
    return Registry({"router": Service("router", (port,))}, {}, Group("models", 8100, 10, ()))


class FakeSupervisor:
    """Records what it was asked and on which thread; ``gate`` holds a start until set."""

    def __init__(self, registry, on_event, gate=None):
        self.registry, self.on_event, self.gate = registry, on_event, gate
        self.calls, self.polls, self.closed = [], 0, False
        self.restarted = []          # what the next polls say they restarted

    def start(self, name):
        self.calls.append(("start", name, threading.current_thread()))
        self.on_event(("starting", name))
        if self.gate is not None:
            self.gate.wait(10)
        if name == "broken":
            raise RuntimeError("no command for broken")
        return [("started", name)]

    def stop(self, name):
        self.calls.append(("stop", name, threading.current_thread()))
        return [("stopped", name)]

    def log_tail(self, unit, lines):
        return iter([f"{unit} line {i}" for i in range(lines)])

    def poll(self):
        self.polls += 1
        return list(self.restarted)

    def close(self):
        self.closed = True


def _controller(owned, gate=None, kill=lambda target: ("killed", target)):
    made = []

    def factory(registry, on_event):
        made.append(FakeSupervisor(registry, on_event, gate))
        return made[-1]
    controller = owned(Controller(factory, plan_kill=lambda port: ("plan", port), kill=kill))
    controller.set_registry(_registry())
    return controller, made


def test_a_start_runs_on_a_worker_and_its_event_and_result_arrive_on_the_gui_thread(qtbot, owned):
    controller, made = _controller(owned)
    events, started = [], []
    controller.supervisor_event.connect(lambda e: events.append((e, threading.current_thread())))
    controller.started.connect(lambda name, out: started.append((name, out, threading.current_thread())))
    with qtbot.waitSignal(controller.idle, timeout=10000):
        controller.start("router")
    (sup,) = made
    assert sup.calls[0][:2] == ("start", "router") and sup.calls[0][2] is not threading.main_thread()
    assert events == [(("starting", "router"), threading.main_thread())]
    assert started == [("router", [("started", "router")], threading.main_thread())]
    assert not controller.busy


def test_a_failed_request_says_what_was_asked(qtbot, owned):
    controller, _made = _controller(owned)
    with qtbot.waitSignal(controller.failed, timeout=10000) as sig:
        controller.start("broken")
    assert sig.args == [RequestFailure(Operation.START, "broken", "no command for broken")]
    qtbot.waitUntil(lambda: not controller.busy, timeout=5000)


def test_a_kill_is_not_queued_behind_a_long_start(qtbot, owned):
    gate = threading.Event()
    controller, _made = _controller(owned, gate=gate)
    controller.start("router")                     # holds the supervisor worker until the gate opens
    try:
        with qtbot.waitSignal(controller.kill_planned, timeout=10000) as planned:
            controller.plan_kill(3791)
        assert planned.args == [3791, ("plan", 3791)]
        with qtbot.waitSignal(controller.killed, timeout=10000) as killed:
            controller.kill(3791, "target")
        assert killed.args == [3791, ("killed", "target")]
        assert controller.busy                     # the start is still running
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not controller.busy, timeout=10000)


def test_a_new_registry_gets_a_new_supervisor_and_the_old_one_keeps_watching(qtbot, owned):
    controller, made = _controller(owned)
    with qtbot.waitSignal(controller.stopped, timeout=10000):
        controller.stop("router")
    controller.set_registry(_registry(3792))
    with qtbot.waitSignal(controller.stopped, timeout=10000) as stopped:
        controller.stop("router")
    assert stopped.args[0] == "router"
    old, new = made
    assert new.registry.services["router"].ports == (3792,) and old.calls[0][:2] == ("stop", "router")
    controller._poll()                             # what the watch timer does every second
    qtbot.waitUntil(lambda: old.polls == 1 and new.polls == 1, timeout=10000)
    assert controller.shutdown()
    assert old.closed and new.closed               # shutdown releases every supervisor


def test_after_shutdown_requests_are_refused_and_no_thread_is_left(qtbot):
    controller = Controller(lambda reg, on_event: FakeSupervisor(reg, on_event), plan_kill=lambda p: p,
                            kill=lambda t: t)
    controller.set_registry(_registry())
    with qtbot.waitSignal(controller.idle, timeout=10000):
        controller.start("router")
    assert controller.shutdown()
    controller.start("router")
    assert not controller.busy
    assert not [t for t in threading.enumerate() if t.name.startswith("pm-") and t.is_alive()
                and t.name.split("_")[0] in ("pm-supervisor", "pm-processes", "pm-watch")]


def test_a_start_result_arrives_once_as_the_outcome_not_as_events_too(qtbot, owned):
    controller, made = _controller(owned)
    events, started = [], []
    controller.supervisor_event.connect(events.append)
    controller.started.connect(lambda name, out: started.append((name, out)))
    controller.supervisor()
    (sup,) = made
    out = StartOutcome("router", True, 3003, 3791, pid=42)

    def start(name):
        for kind in ("starting", "fallback", "started", "failed"):
            sup.on_event(SupervisorEvent(kind, name, 3003))
        return [out]
    sup.start = start
    with qtbot.waitSignal(controller.idle, timeout=10000):
        controller.start("router")
    assert started == [("router", [out])]
    assert [e.kind.value for e in events] == ["starting"]     # the result is the outcome, once


def test_a_restart_after_a_crash_reports_its_outcome(qtbot, owned):
    controller, made = _controller(owned)
    controller.supervisor()
    (sup,) = made
    out = StartOutcome("router", True, 3791, 3791, pid=43)
    sup.restarted = [out]
    with qtbot.waitSignal(controller.started, timeout=10000) as sig:
        controller._poll()                         # what the watch timer does every second
    assert sig.args == ["", [out]]
