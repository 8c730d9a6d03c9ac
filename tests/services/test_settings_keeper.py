"""Settings and the start-at-login entry kept in step on a worker, answered with one typed outcome."""
from __future__ import annotations

import threading

from portmanager_gui.core import settings as core_settings
from portmanager_gui.core.platform import autostart
from portmanager_gui.core.settings import Settings
from portmanager_gui.services.settings_keeper import SettingsKeeper, apply_settings


def _refuse(blocker):
    def set_enabled(enabled, entry=None):
        raise autostart.AutostartBlocked(blocker)
    return set_enabled


def test_a_blocked_start_at_login_is_saved_off_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(autostart, "set_enabled", _refuse(autostart.Blocker.DISK_IMAGE))
    path = tmp_path / "settings.json"
    outcome = apply_settings(Settings(start_at_login=True), path)
    assert outcome.blocker is autostart.Blocker.DISK_IMAGE
    assert outcome.settings.start_at_login is False
    assert core_settings.load(path).start_at_login is False


def test_an_entry_that_cannot_be_written_is_an_error_and_the_settings_are_kept(tmp_path, monkeypatch):
    def fail(enabled, entry=None):
        raise autostart.AutostartError("Could not turn on start at login: writing X failed")
    monkeypatch.setattr(autostart, "set_enabled", fail)
    path = tmp_path / "settings.json"
    outcome = apply_settings(Settings(start_at_login=True), path)
    assert outcome.error.startswith("Could not turn on start at login") and outcome.blocker is None
    assert core_settings.load(path).start_at_login is True


def test_the_keeper_answers_on_the_gui_thread_and_a_failed_write_is_reported(qtbot, tmp_path, owned):
    keeper = owned(SettingsKeeper(tmp_path / "missing-dir" / "file-as-dir" / "settings.json"))
    (tmp_path / "missing-dir").write_text("a file where a folder should be")
    with qtbot.waitSignal(keeper.failed, timeout=10000) as sig:
        keeper.apply(Settings())
    assert "missing-dir" in sig.args[0]
    answered = []
    keeper = owned(SettingsKeeper(tmp_path / "settings.json"))
    keeper.done.connect(lambda outcome: answered.append((outcome, threading.current_thread())))
    with qtbot.waitSignal(keeper.done, timeout=10000):
        keeper.apply(Settings(refresh_s=3.0))
    assert answered[0][0].settings == Settings(refresh_s=3.0) and answered[0][1] is threading.main_thread()
