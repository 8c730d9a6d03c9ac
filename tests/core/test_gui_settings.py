"""App settings: defaults, clamping, a damaged file never stops the app."""
from __future__ import annotations

import pytest

from portmanager_gui.core import settings as s


def test_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    assert s.load(path) == s.Settings()
    value = s.Settings(refresh_s=1.0, notifications=False, watched_port_notifications=True, stop_on_quit=False)
    s.save(value, path)
    assert s.load(path) == value and s.load(path).refresh_ms == 1000


def test_defaults_and_ranges(tmp_path):
    d = s.Settings()
    assert (d.refresh_s, d.notifications, d.watched_port_notifications, d.stop_on_quit) == (2.0, True, False, True)
    with pytest.raises(ValueError):
        s.Settings(refresh_s=0.1)
    path = tmp_path / "settings.json"
    path.write_text('{"refresh_s": 99, "notifications": "yes", "unknown": 1}')
    assert s.load(path) == s.Settings(refresh_s=30.0)
    path.write_text("{not json")
    assert s.load(path) == s.Settings()


def test_a_damaged_file_is_kept_aside_when_the_settings_are_next_saved(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"refresh_s": 5, "notifications": fals')            # a hand edit gone wrong
    assert s.load(path) == s.Settings()
    s.save(s.Settings(refresh_s=1.0), path)
    assert (tmp_path / "settings.json.damaged").read_text() == '{"refresh_s": 5, "notifications": fals'
    assert s.load(path) == s.Settings(refresh_s=1.0)
    s.save(s.Settings(refresh_s=2.0), path)                               # a good file is not "damaged"
    assert (tmp_path / "settings.json.damaged").read_text() == '{"refresh_s": 5, "notifications": fals'
