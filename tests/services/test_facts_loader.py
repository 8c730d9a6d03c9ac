"""The OS facts are read off the GUI thread and arrive as a signal."""
from __future__ import annotations

import threading

from portmanager_gui.core.platform.facts import PlatformFacts
from portmanager_gui.services.facts_loader import FactsLoader


def test_facts_are_read_on_another_thread_and_delivered_on_this_one(qtbot, owned):
    read_on = []
    facts = PlatformFacts("windows", (10000, 11999))

    def read():
        read_on.append(threading.current_thread())
        return facts

    loader = owned(FactsLoader(read))
    got = []
    loader.loaded.connect(lambda f: got.append((f, threading.current_thread())))
    with qtbot.waitSignal(loader.loaded, timeout=5000):
        loader.start()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert read_on[0] is not threading.main_thread()
    assert got == [(facts, threading.main_thread())]


def test_the_group_editor_uses_the_facts_once_they_arrive(qtbot):
    from portmanager_gui.ui.group_editor import GroupEditor
    from tests.ui.factories import registry, snapshot

    editor = GroupEditor()
    qtbot.addWidget(editor)
    editor.set_context(registry(), snapshot({}), {})
    editor.load("large-models")
    assert "excluded port range" not in editor.messages.text()   # no OS rules until the facts are read
    editor.set_facts(PlatformFacts("windows", (49152, 65535), 0, ((8150, 8299),)))
    assert "Windows excluded port range 8150-8299" in editor.messages.text()


def test_the_facts_are_read_again_while_the_app_runs(qtbot, owned):
    # Windows' excluded ranges change when WSL or Docker Desktop starts: not read once per process
    import itertools

    from portmanager_gui.core.platform.facts import FACTS_TTL_S

    answers = itertools.chain([PlatformFacts("windows", (49152, 65535))],
                              itertools.repeat(PlatformFacts("windows", (49152, 65535), 0, ((50000, 50059),))))
    loader = owned(FactsLoader(lambda: next(answers)))     # its worker thread ends with the test
    with qtbot.waitSignal(loader.loaded, timeout=5000):
        loader.start()
    assert loader._timer.isActive() and loader._timer.interval() == int(FACTS_TTL_S * 1000)
    loader._timer.setInterval(10)               # the timer firing, without waiting a minute
    with qtbot.waitSignal(loader.loaded, timeout=5000) as second:
        pass
    assert second.args[0].excluded_ranges == ((50000, 50059),)
    loader.wait_idle(5000)
    assert not loader._timer.isActive()
