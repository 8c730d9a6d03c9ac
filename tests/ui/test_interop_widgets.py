"""The import preview dialog, the restart strip and the linked-files view, on real values."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop.detect import import_file
from portmanager_gui.core.interop.links import Link
from portmanager_gui.core.interop.sync import LinkOutcome, Status
from portmanager_gui.core.registry.load import parse
from portmanager_gui.ui.import_dialog import ImportAction, ImportDialog
from portmanager_gui.ui.links_dialog import LinksDialog
from portmanager_gui.ui.restart_banner import RestartBanner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"
REGISTRY = parse("version: 1\nservices:\n  router:\n    ports: [3791, 3003]\n", Path("registry.yaml"))


@pytest.fixture
def dialog_for(qtbot):
    def make(name: str, can_link: bool = True) -> ImportDialog:
        dialog = ImportDialog(import_file(FIXTURES / name, REGISTRY), can_link)
        qtbot.addWidget(dialog)
        return dialog
    return make


def test_clash_offers_the_fix_and_the_choice_carries_the_link(dialog_for):
    dialog = dialog_for("claracore/config_old_5800.yaml")
    items = [dialog.changes.item(i).text() for i in range(dialog.changes.count())]
    assert "~ move ungrouped models from 8100-8199 to 5800-5899" in items
    assert not dialog.fix_button.isHidden() and dialog.fix_button.text() == "Fix start port (8100) and apply"
    assert "startPort 5800" in dialog.clash.text() and not dialog.clash.isHidden()
    findings = [dialog.findings.item(i).text() for i in range(dialog.findings.count())]
    assert "read as a ClaraCore config" in findings[0] and any("qwen2.5-7b" in f for f in findings)
    dialog.link.setChecked(True)
    dialog.fix_button.click()
    assert dialog.choice.action is ImportAction.FIX_AND_APPLY and dialog.choice.link


def test_no_clash_hides_the_fix_and_cancel_is_cancel(dialog_for):
    dialog = dialog_for("project/ports_config.py")
    assert dialog.fix_button.isHidden() and dialog.clash.isHidden()
    assert dialog.changes.count() == 15
    dialog.link.setChecked(True)
    dialog.cancel_button.click()
    assert dialog.choice.action is ImportAction.CANCEL and not dialog.choice.link


def test_a_compose_file_cannot_be_linked(dialog_for):
    dialog = dialog_for("project/docker-compose.yml", can_link=False)
    assert not dialog.link.isEnabled()
    dialog.link.setChecked(True)     # even if it were ticked, an unlinkable kind is not linked
    dialog.apply_button.click()
    assert dialog.choice.action is ImportAction.APPLY and not dialog.choice.link


def test_restart_banner_buttons(qtbot):
    banner = RestartBanner()
    qtbot.addWidget(banner)
    asked, all_asked = [], []
    banner.restart_requested.connect(asked.append)
    banner.restart_all_requested.connect(lambda: all_asked.append(True))
    banner.show_units(["router", "frontend", "router"])
    assert banner.label.text() == "Ports changed: router, frontend need a restart to use the new port."
    assert list(banner.unit_buttons) == ["router", "frontend"] and not banner.all_button.isHidden()
    banner.unit_buttons["frontend"].click()
    banner.all_button.click()
    assert asked == ["frontend"] and all_asked == [True]
    banner.remove("frontend")
    assert banner.units == ("router",) and banner.all_button.isHidden() and not banner.isHidden()
    banner.dismiss_button.click()
    assert banner.isHidden() and banner.units == ()


def test_links_dialog_states(qtbot, tmp_path):
    dialog = LinksDialog()
    qtbot.addWidget(dialog)
    a, b, c = (tmp_path / n for n in ("a.py", "config.js", "config.yaml"))
    dialog.set_links([LinkOutcome(Link("python", a), Status.UNCHANGED),
                      LinkOutcome(Link("js", b), Status.WRITTEN, ("BACKEND_PORT 8203 -> 9000",)),
                      LinkOutcome(Link("claracore", c), Status.FAILED, error=f"{c}:3: broken (not changed)")])
    assert dialog.state_of(str(a)) == "in step"
    assert dialog.state_of(str(b)) == "out of step; the next save writes: BACKEND_PORT 8203 -> 9000"
    assert dialog.state_of(str(c)) == f"cannot be written: {c}:3: broken (not changed)"
    assert not dialog.remove_button.isEnabled()
    removed = []
    dialog.remove_requested.connect(removed.append)
    dialog.select(str(b))
    dialog.remove_button.click()
    assert removed == [str(b)]
    dialog.set_links([])
    assert "No linked files" in dialog.message.text()
