"""Issue 7 in the desktop app, built by ``app.build``: import with a preview, linked files
rewritten after a save, the restart strip for a running service whose port moved."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.port_rows import RowState
from portmanager_gui.core.registry.load import load
from portmanager_gui.ui.import_dialog import ImportAction, ImportChoice, preview_of
from portmanager_gui.ui.interop_presenter import InteropAsks
from tests.supervisor_helpers import free_ports
from tests.ui import desk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"


@dataclass
class ImportAnswers:
    """The file chooser and the preview dialog, answered by the test."""

    path: str | None = None
    choice: ImportChoice = ImportChoice(ImportAction.CANCEL)
    previews: list = field(default_factory=list)

    def asks(self) -> InteropAsks:
        def preview(_parent, result, can_link):
            self.previews.append((preview_of(result), can_link))
            return self.choice
        return InteropAsks(import_path=lambda _parent: self.path, import_preview=preview)


@pytest.fixture
def make_app(qapp, tmp_path):
    made = []

    def make(answers: ImportAnswers, ports: list[int] | None = None) -> gui_app.Parts:
        registry = desk.router_registry(tmp_path / "registry.yaml", ports or free_ports(2))
        other = desk.Answers()
        parts = gui_app.build(qapp, gui_app.parse_args(["--registry", str(registry), "--no-tray"]),
                              core_paths.resolve().ensure(), asks=other.asks(), desktop=other.desktop(),
                              interop_asks=answers.asks())
        parts.scanner.set_interval(500)
        made.append(parts)
        gui_app.start(parts)
        return parts

    yield make
    for parts in made:
        desk.close(parts)


def _links(parts: gui_app.Parts) -> list[dict]:
    file = parts.paths.config_dir / "links.json"
    return json.loads(file.read_text(encoding="utf-8"))["links"] if file.exists() else []


def test_claracore_import_previews_the_clash_and_fix_applies_and_links(qtbot, make_app, tmp_path):
    config = tmp_path / "claracore" / "config.yaml"
    config.parent.mkdir()
    shutil.copyfile(FIXTURES / "claracore" / "config_old_5800.yaml", config)
    answers = ImportAnswers(str(config), ImportChoice(ImportAction.FIX_AND_APPLY, link=True))
    parts = make_app(answers)
    qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=30000)

    with qtbot.waitSignal(parts.interop.worker.synced, timeout=30000) as synced:
        parts.interop.ask_import()

    preview, can_link = answers.previews[0]
    assert can_link
    assert "+ add service claracore on port 5800" in preview.changes
    assert "~ move ungrouped models from 8100-8199 to 5800-5899" in preview.changes
    assert "config.yaml:5: startPort 5800 is ClaraCore's own web UI port" in preview.clash
    assert not any("move ungrouped models" in line for line in preview.fixed_changes)
    saved = load(parts.store.path)
    assert saved.models.start_port == 8100 and "claracore" in saved.services
    assert set(saved.models.members) == {"my-model", "qwen2.5-7b"}
    assert _links(parts) == [{"kind": "claracore", "path": str(config)}]
    assert synced.args[0].ok
    text = config.read_text(encoding="utf-8")
    assert "startPort: 8100" in text and "# OLD (conflicts with web interface)" in text
    assert "Updated linked files: config.yaml" in parts.window.statusBar().currentMessage()


def test_linked_ports_config_is_rewritten_on_every_save(qtbot, make_app, tmp_path):
    target = tmp_path / "project" / "ports_config.py"
    target.parent.mkdir()
    shutil.copyfile(FIXTURES / "project" / "ports_config.py", target)
    answers = ImportAnswers(str(target), ImportChoice(ImportAction.APPLY, link=True))
    parts = make_app(answers)
    qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=30000)
    with qtbot.waitSignal(parts.interop.worker.synced, timeout=30000):
        parts.interop.ask_import()
    assert parts.store.registry.services["backend"].preferred == 8203
    assert _links(parts) == [{"kind": "python", "path": str(target)}]
    assert "BACKEND_PORT = 8203  # Backend API service" in target.read_text(encoding="utf-8")

    moved = parts.store.registry.with_service_ports("backend", (9000,))
    with qtbot.waitSignal(parts.interop.worker.synced, timeout=30000) as synced:
        parts.window.save_requested.emit(moved)          # what the Services editor's Save sends
    report = synced.args[0]
    assert report.ok and [o.link.path for o in report.written] == [target]
    text = target.read_text(encoding="utf-8")
    assert "BACKEND_PORT = 9000  # Backend API service" in text
    assert "def get_backend_url():" in text
    assert "ports_config.py" in parts.window.statusBar().currentMessage()


def test_cancel_writes_nothing(qtbot, make_app):
    answers = ImportAnswers(str(FIXTURES / "project" / "ports_config.py"), ImportChoice(ImportAction.CANCEL))
    parts = make_app(answers)
    qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=30000)
    before = parts.store.path.read_text(encoding="utf-8")
    parts.interop.ask_import()
    qtbot.waitUntil(lambda: bool(answers.previews), timeout=30000)
    assert any("add service backend on port 8203" in c for c in answers.previews[0][0].changes)
    assert parts.store.path.read_text(encoding="utf-8") == before
    assert "backend" not in parts.store.registry.services
    assert not (parts.paths.config_dir / "links.json").exists()
    assert "nothing was written" in parts.window.statusBar().currentMessage()


@pytest.mark.parametrize("name, where", [("foreign/ports_config_with_code.py", "ports_config_with_code.py:2: "),
                                         ("foreign/bad_group.yaml", "bad_group.yaml:7: ")])
def test_bad_input_is_shown_and_nothing_is_written(qtbot, make_app, name, where):
    answers = ImportAnswers(str(FIXTURES / name), ImportChoice(ImportAction.APPLY, link=True))
    parts = make_app(answers)
    qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=30000)
    before = parts.store.path.read_text(encoding="utf-8")
    parts.interop.ask_import()
    qtbot.waitUntil(lambda: not parts.window.banner.isHidden(), timeout=30000)
    text = parts.window.banner.label.text()
    assert text.startswith("Import failed: ") and where in text and text.endswith("(nothing was written)")
    assert answers.previews == []
    assert parts.store.path.read_text(encoding="utf-8") == before
    assert not (parts.paths.config_dir / "links.json").exists()


def test_unsaved_edits_block_the_import(qtbot, make_app):
    answers = ImportAnswers(str(FIXTURES / "project" / "ports_config.py"))
    parts = make_app(answers)
    qtbot.waitUntil(lambda: parts.store.registry is not None and not parts.interop.worker.busy, timeout=30000)
    parts.window.has_unsaved_edits = lambda: True
    parts.interop.ask_import()
    assert "save or discard your edits" in parts.window.banner.label.text()
    assert not parts.interop.worker.busy and answers.previews == []


def test_moved_port_of_a_running_service_offers_a_restart(qtbot, make_app):
    first, fallback, moved_to = free_ports(3)
    parts = make_app(ImportAnswers(), ports=[first, fallback])
    qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=30000)
    parts.presenter.start("router")
    qtbot.waitUntil(lambda: (r := desk.row(parts, "router", first)) is not None and r.state is RowState.OURS,
                    timeout=40000)
    qtbot.waitUntil(lambda: "router" in parts.interop.running, timeout=30000)
    banner = parts.window.restart_banner
    assert banner.isHidden()

    with qtbot.waitSignal(parts.store.saved, timeout=30000):   # saves run off the GUI thread
        parts.window.save_requested.emit(parts.store.registry.with_service_ports("router", (moved_to, fallback)))
    assert not banner.isHidden()
    assert banner.label.text().startswith("Ports changed: router needs a restart")
    assert list(banner.unit_buttons) == ["router"]

    banner.unit_buttons["router"].click()
    assert banner.isHidden()
    qtbot.waitUntil(lambda: (r := desk.row(parts, "router", moved_to)) is not None and r.state is RowState.OURS,
                    timeout=40000)
    # Stopped here, not by the fixture: the supervisor's "stopped" event must reach a live window.
    parts.controller.stop("router")
    qtbot.waitUntil(lambda: desk.row(parts, "router", moved_to).state is RowState.FREE, timeout=40000)


def test_linked_files_view_shows_state_and_removes_a_link(qtbot, make_app, tmp_path):
    target = tmp_path / "ports_config.py"
    shutil.copyfile(FIXTURES / "project" / "ports_config.py", target)
    answers = ImportAnswers(str(target), ImportChoice(ImportAction.APPLY, link=True))
    parts = make_app(answers)
    qtbot.waitUntil(lambda: parts.store.registry is not None, timeout=30000)
    with qtbot.waitSignal(parts.interop.worker.synced, timeout=30000):
        parts.interop.ask_import()

    with qtbot.waitSignal(parts.interop.worker.links_listed, timeout=30000):
        parts.window.act_links.trigger()
    dialog = parts.interop.links_dialog
    assert dialog.paths == [str(target)] and dialog.state_of(str(target)) == "in step"

    target.write_text(target.read_text(encoding="utf-8").replace("= 8203", "= 1234"), encoding="utf-8")
    with qtbot.waitSignal(parts.interop.worker.links_listed, timeout=30000):
        dialog.refresh_button.click()
    assert dialog.state_of(str(target)).startswith("out of step; the next save writes: line 9: BACKEND_PORT")

    dialog.select(str(target))
    with qtbot.waitSignal(parts.interop.worker.links_listed, timeout=30000):
        dialog.remove_button.click()
    assert dialog.paths == [] and _links(parts) == []
    assert target.exists()
    dialog.close()
