"""The desktop app decides by the start's failure kind, never by reading the error text."""
from __future__ import annotations

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core.supervisor.types import StartFailure, StartOutcome
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


def test_all_taken_is_asked_whatever_the_error_text_says(qtbot, parts):
    p, q = parts.ports
    out = StartOutcome("router", False, None, p, error="(any wording)", tried=(p, q),
                       failure=StartFailure.ALL_TAKEN)
    parts.controller.started.emit("router", [out])
    assert len(parts.answers.asked) == 1 and [t for t, _ in parts.answers.asked[0].tried] == [p, q]


def test_a_crash_whose_log_mentions_in_use_is_not_the_all_taken_question(qtbot, parts):
    p, q = parts.ports
    notes = []
    parts.presenter.notified.connect(lambda title, text: notes.append(title))
    out = StartOutcome("router", False, None, p, tried=(p,), failure=StartFailure.EXITED,
                       error="router exited with code 1\n  ERROR: All preferred ports are in use! (its own log)")
    parts.controller.started.emit("router", [out])
    assert parts.answers.asked == []
    assert notes == ["router failed to start"]
