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
