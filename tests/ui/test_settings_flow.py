"""Settings edited in the app are saved beside the registry and drive start at login."""
from __future__ import annotations

from dataclasses import replace

from portmanager_gui import app as gui_app
from portmanager_gui.core import settings as core_settings
from portmanager_gui.core.settings import Settings
from tests.helpers import free_ports
from tests.ui.desk import Answers, build, close, router_registry


def test_start_at_login_toggle_writes_and_removes_the_xdg_autostart_entry(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "PortManager.desktop"
    answers = Answers()
    parts = build(qapp, router_registry(tmp_path / "r.yaml", [free_ports(1)[0]]), answers)
    gui_app.start(parts)
    try:
        chosen = replace(parts.presenter.settings, start_at_login=True, refresh_s=5.0)
        parts.presenter.asks = replace(parts.presenter.asks, settings=lambda _p, s: chosen)
        parts.presenter.edit_settings()
        assert core_settings.load(parts.paths.settings_file) == chosen
        text = entry.read_text()
        assert "[Desktop Entry]" in text and "Exec=" in text

        parts.presenter.asks = replace(parts.presenter.asks, settings=lambda _p, s: replace(s, start_at_login=False))
        parts.presenter.edit_settings()
        assert not entry.exists()
        assert core_settings.load(parts.paths.settings_file).start_at_login is False
    finally:
        close(parts)


def test_settings_default_keeps_autostart_off(tmp_path):
    assert Settings().start_at_login is False
