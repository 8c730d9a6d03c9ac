"""The Services and Groups editors are built after the first paint (issue 16: paint first):
until then their tabs hold placeholders, and what the window was told meanwhile (registry,
snapshot, OS facts) reaches them when they are built -- after that paint, or when a tab is
opened first."""
from __future__ import annotations

from portmanager_gui.core.platform.facts import PlatformFacts
from portmanager_gui.ui.main_window import MainWindow
from tests.ui.factories import registry, slots, snapshot


def _window(qtbot) -> MainWindow:
    window = MainWindow(confirm=lambda _t, _x: True, editors=False)
    qtbot.addWidget(window)
    return window


def test_the_editors_built_later_get_the_registry_and_facts_told_before(qtbot):
    window = _window(qtbot)
    assert window.services is None and window.groups is None and window.tabs.count() == 3
    assert not window.has_unsaved_edits()
    facts = PlatformFacts(os_name="linux", airplay_ports=(5000,))
    window.set_facts(facts)
    window.set_context(registry(), snapshot(), slots(), {})
    window.tabs.setCurrentIndex(0)
    window.build_editors()
    assert window.tabs.widget(1) is window.services and window.tabs.widget(2) is window.groups
    assert [window.tabs.tabText(i) for i in range(3)] == ["Ports", "Services", "Groups"]
    assert window.tabs.currentIndex() == 0                       # the tab shown stays shown
    assert window.services.names.count() == 3                     # router, backend, redis
    assert window.groups.editor._facts is facts


def test_opening_an_editor_tab_first_builds_the_editors(qtbot):
    window = _window(qtbot)
    window.set_context(registry(), snapshot(), slots(), {})
    window.tabs.setCurrentIndex(2)
    assert window.groups is not None and window.tabs.currentWidget() is window.groups
    assert window.groups.names.count() >= 1


def test_edit_service_before_the_editors_exist_opens_that_service(qtbot):
    window = _window(qtbot)
    window.set_context(registry(), snapshot(), slots(), {})
    window.edit_service("redis")
    assert window.tabs.currentWidget() is window.services and window.services.current() == "redis"
