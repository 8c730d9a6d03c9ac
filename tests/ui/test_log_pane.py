"""The log pane follows the selected service: new lines, a start of the selected unit, rotation."""
from __future__ import annotations

import os

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.supervisor import logfiles
from tests.helpers import free_ports
from tests.ui import desk


@pytest.fixture
def parts(qapp, tmp_path):
    ports = free_ports(2)
    extra = f"""  helper:
    ports: [{ports[1]}]
"""
    answers = desk.Answers()
    made = desk.build(qapp, desk.router_registry(tmp_path / "registry.yaml", ports[:1], extra), answers)
    made.answers = answers
    gui_app.start(made)
    made.window.bring_to_front()
    yield made
    desk.close(made)


def _pane(parts) -> str:
    return parts.window.details.log.toPlainText()


def test_the_log_of_the_selected_unit_shows_after_its_start_and_follows(qtbot, parts):
    qtbot.waitUntil(lambda: parts.window.select_unit("router"), timeout=30000)
    assert _pane(parts) == ""
    with qtbot.waitSignal(parts.controller.started, timeout=60000) as started:
        parts.window.act_start.trigger()         # Start on the selected row: no new selection
    assert started.args[1][0].ok, started.args[1][0]
    log = logfiles.log_path(core_paths.resolve(), "router")
    qtbot.waitUntil(lambda: "router" in _pane(parts) and _pane(parts) != "", timeout=30000)
    assert _pane(parts).splitlines()[0] in log.read_text(encoding="utf-8")

    with open(log, "a", encoding="utf-8") as fh:
        fh.write("a line written after the pane was filled\n")
    # among the last lines, not necessarily the last: the router's own lines (its relay writes them
    # when it gets to it) may land after it
    qtbot.waitUntil(lambda: "a line written after the pane was filled" in _pane(parts).splitlines(), timeout=30000)

    os.replace(log, log.with_name(log.name + ".1"))      # rotated: a new file at the same path
    log.write_text("first line of the new file\n", encoding="utf-8")
    qtbot.waitUntil(lambda: _pane(parts) == "first line of the new file", timeout=30000)

    assert parts.window.select_unit("helper")
    qtbot.waitUntil(lambda: parts.window.details.log_title.text() == "Log of helper" and _pane(parts) == "",
                    timeout=30000)
    assert parts.window.select_unit("router")
    qtbot.waitUntil(lambda: _pane(parts) == "first line of the new file", timeout=30000)


def test_open_log_file_opens_the_selected_units_log(qtbot, parts):
    qtbot.waitUntil(lambda: parts.window.select_unit("router"), timeout=30000)
    log = logfiles.log_path(core_paths.resolve(), "router")
    qtbot.waitUntil(lambda: parts.presenter.logs.unit == "router", timeout=30000)
    parts.window.act_open_log.trigger()
    assert parts.answers.opened == []                       # no file yet: the status bar says so
    assert str(log) in parts.window.statusBar().currentMessage()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("hello\n", encoding="utf-8")
    qtbot.waitUntil(lambda: _pane(parts) == "hello", timeout=30000)
    parts.window.act_open_log.trigger()
    assert parts.answers.opened == [log.as_uri()]
