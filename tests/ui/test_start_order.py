"""Paint first, then the rest (issue 16): ``app.start`` loads and scans the registry at once;
the OS facts, linked files, machine-wide scan and crash watch begin only once the first
snapshot is on screen -- or once the registry failed to load (nothing to paint then)."""
from __future__ import annotations

import linecache

from portmanager_gui import app as gui_app
from tests.helpers import free_ports
from tests.ui.desk import Answers, build, close, router_registry


def _record_rest(parts: gui_app.Parts, log: list[str]) -> None:
    """Each deferred part writes its name into ``log`` when it is started."""
    def wrap(obj, method: str, name: str) -> None:
        original = getattr(obj, method)
        setattr(obj, method, lambda: (log.append(name), original()))
    wrap(parts.facts, "start", "facts")
    wrap(parts.interop, "start", "links")
    wrap(parts.all_presenter, "start", "all ports")
    wrap(parts.controller, "start_watching", "crash watch")


def test_the_first_snapshot_is_painted_before_the_rest_starts(qtbot, qapp, tmp_path):
    parts = build(qapp, router_registry(tmp_path / "registry.yaml", free_ports(2)), Answers())
    log: list[str] = []
    _record_rest(parts, log)
    parts.presenter.rows_changed.connect(
        lambda rows: log.append("painted") if parts.presenter.snapshot is not None and "painted" not in log else None)
    try:
        gui_app.start(parts)
        assert log == []                           # only the registry and its scan so far
        qtbot.waitUntil(lambda: len(log) == 5, timeout=30000)
        assert log[0] == "painted"
        assert sorted(log[1:]) == ["all ports", "crash watch", "facts", "links"]
    finally:
        close(parts)


def test_a_registry_that_does_not_load_still_starts_the_rest(qtbot, qapp, tmp_path):
    path = tmp_path / "registry.yaml"
    path.write_text("version: 1\nservices:\n  router:\n    ports: [08100]\n", encoding="utf-8")
    parts = build(qapp, path, Answers())
    log: list[str] = []
    _record_rest(parts, log)
    try:
        gui_app.start(parts)
        qtbot.waitUntil(lambda: len(log) == 4, timeout=30000)
        assert parts.presenter.registry is None and not parts.window.banner.isHidden()
    finally:
        close(parts)


def test_main_builds_the_all_ports_tab_linked_files_and_facts_after_the_first_paint(qtbot, qapp, tmp_path):
    from portmanager_gui.core import paths as core_paths

    registry = router_registry(tmp_path / "registry.yaml", free_ports(2))
    parts = gui_app.build(qapp, gui_app.parse_args(["--registry", str(registry), "--no-tray"]),
                          core_paths.resolve().ensure(), asks=Answers().asks(), desktop=Answers().desktop(),
                          exit_app=lambda _code: None, paint_first=True)
    try:
        assert parts.all_ports is None and parts.interop is None and parts.facts is None
        assert parts.window.tabs.count() == 3                   # Ports, Services, Groups
        gui_app.start(parts)
        qtbot.waitUntil(lambda: parts.all_ports is not None, timeout=30000)
        assert parts.presenter.snapshot is not None             # painted first
        assert parts.window.tabs.indexOf(parts.all_ports) == 3
        parts.window.show()                                     # the tab scans while it is looked at
        parts.window.tabs.setCurrentWidget(parts.all_ports)
        qtbot.waitUntil(lambda: parts.all_feed.scans >= 1, timeout=30000)
    finally:
        close(parts)


def test_the_source_lines_pysides_import_hook_read_are_dropped_once_started(qtbot, qapp, tmp_path):
    """PySide6's import hook reads every later module's source through linecache, which keeps it
    (about 7 MB for this app); the app drops it once the rest has started."""
    linecache.getlines(gui_app.__file__)             # as the hook leaves it after an import
    assert gui_app.__file__ in linecache.cache
    parts = build(qapp, router_registry(tmp_path / "registry.yaml", free_ports(2)), Answers())
    log: list[str] = []
    _record_rest(parts, log)
    try:
        gui_app.start(parts)
        qtbot.waitUntil(lambda: len(log) == 4, timeout=30000)
        qtbot.waitUntil(lambda: not [f for f in linecache.cache if "portmanager_gui" in f], timeout=5000)
    finally:
        close(parts)
