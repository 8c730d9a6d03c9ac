"""The tray app's OS decisions, each OS checked here whatever OS runs the test."""
from __future__ import annotations

from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform.desktop import (
    TrayBehaviour,
    foreground_handoff,
    tray_behaviour,
)
from portmanager_gui.core.platform.facts import (
    PlatformFacts,
    airplay_port,
    excluded_range,
)


def test_only_the_macos_menu_bar_wants_a_mask_icon_and_opens_its_menu_on_click():
    assert tray_behaviour(MACOS) == TrayBehaviour(mask_icon=True, click_opens_window=False, reopen_shows_window=True)
    for os_name in (LINUX, WINDOWS):
        assert tray_behaviour(os_name) == TrayBehaviour(mask_icon=False, click_opens_window=True,
                                                        reopen_shows_window=False)


def test_only_windows_hands_the_foreground_on():
    assert foreground_handoff(LINUX) is None and foreground_handoff(MACOS) is None
    assert callable(foreground_handoff(WINDOWS))


def test_airplay_is_a_macos_matter_and_excluded_ranges_a_windows_one():
    mac = PlatformFacts(MACOS, airplay_ports=(5000, 7000))
    assert airplay_port(mac, 5000) and not airplay_port(mac, 5001)
    assert not airplay_port(PlatformFacts(LINUX, airplay_ports=(5000,)), 5000)
    win = PlatformFacts(WINDOWS, excluded_ranges=((50000, 50059), (5357, 5357)))
    assert excluded_range(win, 50010) == (50000, 50059) and excluded_range(win, 5357) == (5357, 5357)
    assert excluded_range(win, 50060) is None
    assert excluded_range(PlatformFacts(LINUX, excluded_ranges=((50000, 50059),)), 50010) is None
