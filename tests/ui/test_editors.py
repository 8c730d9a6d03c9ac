"""The editors reject bad input as it is typed and emit the new registry for good input."""
from __future__ import annotations

from PySide6.QtCore import Qt

from portmanager_gui.core.platform.facts import PlatformFacts
from portmanager_gui.ui.edit_panels import GroupsPanel, ServicesPanel
from portmanager_gui.ui.group_editor import GroupEditor
from portmanager_gui.ui.port_list_editor import PortListEditor
from tests.ui.factories import holder, registry, slots, snapshot

FACTS = PlatformFacts("linux", (32768, 60999), 1024)


def _editor(qtbot, snap=None) -> PortListEditor:
    ed = PortListEditor()
    qtbot.addWidget(ed)
    ed.set_context(registry(), snap, slots())
    ed.load("router")
    return ed


def test_port_list_rejects_bad_entries(qtbot):
    ed = _editor(qtbot)
    assert ed.texts() == ["3791", "3003"] and not ed.save_button.isEnabled()
    ed.add_entry("80x")
    assert "not a port" in ed.messages.text() and not ed.save_button.isEnabled()
    ed.set_entry(2, "3791")
    assert "duplicate of entry 1" in ed.messages.text() and not ed.save_button.isEnabled()
    ed.set_entry(2, "8203")
    assert "used by service backend" in ed.messages.text() and not ed.save_button.isEnabled()
    ed.set_entry(2, "8210")
    assert "slot of model server large-models/model1" in ed.messages.text()
    ed.set_entry(2, "70000")
    assert "not a port" in ed.messages.text()


def test_port_list_warns_about_held_ports_but_saves(qtbot):
    ed = _editor(qtbot, snapshot({3004: holder(555, "node")}))
    ed.add_entry("3004")
    assert "held right now by node (pid 555)" in ed.messages.text()
    assert ed.save_button.isEnabled()
    with qtbot.waitSignal(ed.save_requested) as sig:
        ed.save_button.click()
    assert sig.args == ["router", (3791, 3003, 3004)]


def test_port_list_reorder_and_remove(qtbot):
    ed = _editor(qtbot)
    ed.list.setCurrentRow(1)
    ed.move_selected(-1)
    assert ed.texts() == ["3003", "3791"] and ed.is_dirty()
    assert ed.list.item(0).toolTip().startswith("preferred")
    ed.remove_selected()
    ed.remove_selected()
    assert "at least one port" in ed.messages.text() and not ed.save_button.isEnabled()
    ed.revert()
    assert ed.texts() == ["3791", "3003"] and not ed.is_dirty()


def test_group_editor_previews_and_rejects(qtbot):
    ed = GroupEditor(facts=FACTS)
    qtbot.addWidget(ed)
    ed.set_context(registry(), snapshot({8401: holder(9, "llama-server")}), {"large-models": {"model1": 8210}})
    ed.load("large-models")
    assert ed.preview.assignment == (("model1", 8210), ("model2", 8200))
    ed.start.setValue(8150)
    assert "overlaps" in ed.messages.text()          # 8150-8249 overlaps the models pool 8100-8199
    ed.start.setValue(65500)
    assert "past 65535" in ed.messages.text() and not ed.save_button.isEnabled()
    ed.start.setValue(8400)
    ed.add_member("model3")
    assert ed.preview.assignment == (("model1", 8400), ("model2", 8401), ("model3", 8402))
    assert "model2 -> 8401: held right now by llama-server (pid 9)" in ed.messages.text()
    ed.add_member("model3")
    assert "listed twice" in ed.messages.text() and not ed.save_button.isEnabled()
    ed.remove_selected_member()
    assert ed.save_button.isEnabled()
    with qtbot.waitSignal(ed.save_requested) as sig:
        ed.save_button.click()
    saved = sig.args[0].groups["large-models"]
    assert (saved.start_port, saved.size, saved.members) == (8400, 100, ("model1", "model2", "model3"))


def test_services_panel_adds_and_removes(qtbot):
    answers = [False, True]
    panel = ServicesPanel(confirm=lambda title, text: answers.pop(0))
    qtbot.addWidget(panel)
    panel.set_context(registry(), None, slots())
    panel.new_name.setText("router")
    panel.new_port.setText("4000")
    assert not panel.add_service() and "already exists" in panel.add_error.text()
    panel.new_name.setText("tts")
    panel.new_port.setText("port")
    assert not panel.add_service() and "preferred port" in panel.add_error.text()
    panel.new_port.setText("8604")
    with qtbot.waitSignal(panel.save_requested) as sig:
        assert panel.add_service()
    assert sig.args[0].services["tts"].ports == (8604,)
    panel.set_context(sig.args[0], None, slots())
    assert panel.current() == "tts"
    assert not panel.remove_current()                 # the confirmation said no
    with qtbot.waitSignal(panel.save_requested) as sig:
        assert panel.remove_current()
    assert "tts" not in sig.args[0].services


def test_groups_panel_new_group(qtbot):
    panel = GroupsPanel(confirm=lambda t, x: True, facts=FACTS)
    qtbot.addWidget(panel)
    panel.set_context(registry(), None, {})
    panel.new_group()
    assert panel.dirty and panel.editor.start.value() == 8300
    panel.editor.name.setText("large-models")
    assert "already used" in panel.editor.messages.text()
    panel.editor.name.setText("gpu")
    panel.editor.add_member("llama3")
    with qtbot.waitSignal(panel.save_requested) as sig:
        panel.editor.save_button.click()
    assert sig.args[0].groups["gpu"].members == ("llama3",)
    panel.set_context(sig.args[0], None, {})
    assert panel.current() == "gpu" and not panel.dirty


def test_the_add_button_opens_a_new_entry_for_typing(qtbot):
    """The button's ``clicked(bool)`` must not reach ``add_entry(text)`` as the text (a TypeError)."""
    ed = _editor(qtbot)
    ed.show()
    qtbot.waitExposed(ed)
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    assert ed.texts() == ["3791", "3003", ""]
    assert ed.list.isPersistentEditorOpen(ed.list.item(2)) or ed.list.state() == ed.list.State.EditingState
