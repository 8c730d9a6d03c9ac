"""The desktop app decides by the start's failure kind, never by reading the error text."""
from __future__ import annotations

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core.occupancy.snapshot import Holder
from portmanager_gui.core.supervisor.types import (
    CheckSaw,
    Skipped,
    StartFailure,
    StartOutcome,
    SupervisorEvent,
)
from portmanager_gui.services.controller import Operation, RequestFailure
from portmanager_gui.text.rows import row_note
from portmanager_gui.ui.dialogs import AllTakenChoice
from tests.supervisor_helpers import free_ports
from tests.ui import desk


@pytest.fixture
def parts(qapp, qtbot, tmp_path):
    answers = desk.Answers(all_taken=AllTakenChoice.CANCEL)
    ports = free_ports(2)
    built = desk.build(qapp, desk.router_registry(tmp_path / "registry.yaml", ports), answers)
    gui_app.start(built)
    qtbot.waitUntil(lambda: built.store.registry is not None, timeout=10000)
    built.answers, built.ports = answers, ports
    yield built
    desk.close(built)


def test_all_taken_is_asked_by_its_kind(qtbot, parts):
    p, q = parts.ports
    out = StartOutcome("router", False, None, p, tried=(p, q), failure=StartFailure.ALL_TAKEN)
    parts.controller.started.emit("router", [out])
    assert len(parts.answers.asked) == 1 and [t for t, _ in parts.answers.asked[0].tried] == [p, q]


def test_a_crash_whose_log_mentions_in_use_is_not_the_all_taken_question(qtbot, parts):
    p, q = parts.ports
    notes = []
    parts.presenter.notified.connect(lambda title, text: notes.append(title))
    out = StartOutcome("router", False, None, p, tried=(p,), failure=StartFailure.EXITED, returncode=1,
                       launch_port=p, log_path="router.log",
                       log_tail=("ERROR: All preferred ports are in use! (its own log)",))
    parts.controller.started.emit("router", [out])
    assert parts.answers.asked == []
    assert notes == ["router failed to start"]


def _fallback_outcome(parts):
    p, q = parts.ports
    return StartOutcome("router", True, q, p, (Skipped(p, Holder(812, "nginx")),), pid=4242, title="Model Router")


def test_a_start_on_a_fallback_is_told_once_whatever_else_arrives(qtbot, parts):
    p, q = parts.ports
    told = []
    parts.presenter.notified.connect(lambda title, text: told.append((title, text)))
    parts.controller.started.emit("router", [_fallback_outcome(parts)])
    # The supervisor's own event for the same start (queued from another thread, so it may come
    # after the result): not a second report.
    parts.controller.supervisor_event.emit(SupervisorEvent("fallback", "router", q, start=_fallback_outcome(parts)))
    parts.controller.supervisor_event.emit(SupervisorEvent("started", "router", q, start=_fallback_outcome(parts)))
    sentence = f"Port {p} is in use by nginx (pid 812); Model Router started on fallback port {q}"
    assert told == [("Fallback port in use", sentence)]
    assert parts.presenter.fallbacks["router"].holder.pid == 812


def test_a_failed_start_is_told_once(qtbot, parts):
    p, _q = parts.ports
    told = []
    parts.presenter.notified.connect(lambda title, text: told.append(title))
    out = StartOutcome("router", False, None, p, tried=(p,), failure=StartFailure.TIMEOUT, launch_port=p,
                       start_timeout=30, check=CheckSaw.NOT_LISTENING)
    parts.controller.supervisor_event.emit(SupervisorEvent("failed", "router", p, start=out))
    parts.controller.started.emit("router", [out])
    parts.controller.supervisor_event.emit(SupervisorEvent("failed", "router", p, start=out))
    assert told == ["router failed to start"]
    assert row_note(desk.row(parts, "router", p)) == (f"router was not running on port {p} after 30 s (its port never "
                                                 "started listening); it was stopped. Raise start_timeout if it "
                                                 "needs longer")


def test_a_failed_request_is_worded_in_the_ui(qtbot, parts):
    told = []
    parts.presenter.notified.connect(lambda title, text: told.append(text))
    parts.controller.failed.emit(RequestFailure(Operation.KILL, 3791, "access denied"))
    assert told == ["Could not kill the holder of port 3791: access denied"]


def test_a_crash_is_told_once_and_kept_as_the_rows_note(qtbot, parts):
    p, _q = parts.ports
    told = []
    parts.presenter.notified.connect(lambda title, text: told.append((title, text)))
    parts.controller.supervisor_event.emit(SupervisorEvent("crashed", "router", p, returncode=3))
    assert told == [("router crashed", "router exited with code 3")]
    assert parts.presenter.failures == {"router": "router exited with code 3"}
