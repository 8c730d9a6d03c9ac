"""Settings edited in the app are saved beside the registry and drive start at login."""
from __future__ import annotations

import threading
from dataclasses import replace

from portmanager_gui import app as gui_app
from portmanager_gui.core import settings as core_settings
from portmanager_gui.core.platform import autostart
from portmanager_gui.core.settings import Settings
from tests.helpers import free_ports
from tests.ui.desk import Answers, build, close, router_registry


def test_start_at_login_toggle_writes_and_removes_the_xdg_autostart_entry(qapp, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "PortManager.desktop"
    answers = Answers()
    parts = build(qapp, router_registry(tmp_path / "r.yaml", [free_ports(1)[0]]), answers)
    with qtbot.waitSignal(parts.settings_keeper.done, timeout=10000):
        gui_app.start(parts)                          # the start-up check of the entry answers first
    try:
        chosen = replace(parts.presenter.settings, start_at_login=True, refresh_s=5.0)
        parts.presenter.asks = replace(parts.presenter.asks, settings=lambda _p, s: chosen)
        with qtbot.waitSignal(parts.settings_keeper.done, timeout=10000):
            parts.presenter.edit_settings()
        assert core_settings.load(parts.paths.settings_file) == chosen
        text = entry.read_text()
        assert "[Desktop Entry]" in text and "Exec=" in text

        parts.presenter.asks = replace(parts.presenter.asks, settings=lambda _p, s: replace(s, start_at_login=False))
        with qtbot.waitSignal(parts.settings_keeper.done, timeout=10000):
            parts.presenter.edit_settings()
        assert not entry.exists()
        assert core_settings.load(parts.paths.settings_file).start_at_login is False
    finally:
        close(parts)


def test_settings_default_keeps_autostart_off(tmp_path):
    assert Settings().start_at_login is False


def test_settings_and_the_autostart_entry_are_never_written_on_the_gui_thread(qapp, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    writes = []
    real_save, real_set = core_settings.save, autostart.set_enabled
    real_keep = autostart.keep_in_step
    monkeypatch.setattr(core_settings, "save",
                        lambda *a, **k: (writes.append(("settings", threading.current_thread())), real_save(*a, **k))[1])
    monkeypatch.setattr(autostart, "set_enabled",
                        lambda *a, **k: (writes.append(("autostart", threading.current_thread())), real_set(*a, **k))[1])
    monkeypatch.setattr(autostart, "keep_in_step",
                        lambda *a, **k: (writes.append(("keep", threading.current_thread())), real_keep(*a, **k))[1])
    parts = build(qapp, router_registry(tmp_path / "r.yaml", [free_ports(1)[0]]), Answers())
    try:
        with qtbot.waitSignal(parts.settings_keeper.done, timeout=10000):
            gui_app.start(parts)                      # the entry follows a moved app: rewritten
        chosen = replace(parts.presenter.settings, start_at_login=True)
        parts.presenter.asks = replace(parts.presenter.asks, settings=lambda _p, s: chosen)
        with qtbot.waitSignal(parts.settings_keeper.done, timeout=10000) as done:
            parts.presenter.edit_settings()
        assert done.args[0].settings == chosen
        assert core_settings.load(parts.paths.settings_file) == chosen
        assert {what for what, _ in writes} == {"settings", "autostart", "keep"}
        assert [what for what, thread in writes if thread is threading.main_thread()] == []
    finally:
        close(parts)


def test_settings_chosen_before_the_first_paint_are_saved(qapp, qtbot, tmp_path):
    """A real launch builds the rest after the first snapshot is painted; settings chosen in
    the dialog before that (a slow first scan) are saved all the same."""
    paths = gui_app.core_paths.resolve().ensure()
    args = gui_app.parse_args(["--registry", str(router_registry(tmp_path / "r.yaml", [free_ports(1)[0]]))])
    parts = gui_app.build(qapp, args, paths, asks=Answers().asks(), exit_app=lambda _code: None, paint_first=True)
    try:
        chosen = replace(parts.presenter.settings, refresh_s=7.0)
        parts.presenter.asks = replace(parts.presenter.asks, settings=lambda _p, s: chosen)
        assert parts.settings_keeper is not None
        with qtbot.waitSignal(parts.settings_keeper.done, timeout=10000):
            parts.presenter.edit_settings()
        assert core_settings.load(parts.paths.settings_file) == chosen
    finally:
        close(parts)
