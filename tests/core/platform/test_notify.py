"""Notifications: the tray balloon on Windows/Linux, Notification Center through osascript on
macOS (not Qt's deprecated NSUserNotification) -- the route and the command line, on any OS."""
from __future__ import annotations

import sys

from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform.notify import (
    MAX_TEXT,
    OSASCRIPT,
    NotifyRoute,
    notify_route,
    osascript_argv,
)
from portmanager_gui.services.notifier import ScriptNotifier


def test_macos_goes_through_osascript_and_the_others_through_the_tray():
    assert notify_route(MACOS, has_osascript=True) is NotifyRoute.OSASCRIPT
    assert notify_route(MACOS, has_osascript=False) is NotifyRoute.TRAY      # a stripped system: Qt's path
    assert notify_route(WINDOWS, has_osascript=True) is NotifyRoute.TRAY
    assert notify_route(LINUX, has_osascript=False) is NotifyRoute.TRAY


def test_the_text_is_an_argument_never_part_of_the_script():
    text = 'Port 3791 is in use by sh -c "echo \\" & say hi" (pid 812); Model Router started on fallback port 3003'
    argv = osascript_argv("Fallback port in use", text)
    assert argv[0] == OSASCRIPT == "/usr/bin/osascript"
    scripts = [argv[i + 1] for i, a in enumerate(argv) if a == "-e"]
    assert scripts == ["on run argv", "display notification (item 2 of argv) with title (item 1 of argv)",
                       "end run"]
    assert argv[-2:] == ["Fallback port in use", text]                      # verbatim, after the script
    assert not any(text in s for s in scripts)


def test_a_long_text_is_shortened_for_notification_center():
    argv = osascript_argv("t", "x" * 5000)
    assert len(argv[-1]) == MAX_TEXT and argv[-1].endswith("...")


def test_the_notifier_starts_osascript_detached_with_the_argv():
    started = []
    notifier = ScriptNotifier(start=lambda program, args: started.append((program, args)) or True)
    assert notifier.show("Fallback port in use", "Port 3791 is in use", critical=False)
    [(program, args)] = started
    assert program == OSASCRIPT and args[-2:] == ["Fallback port in use", "Port 3791 is in use"]


def test_the_notifier_really_starts_a_program(tmp_path):
    # Any OS: a stand-in "osascript" (this Python) that writes its arguments to a file; started
    # detached through QProcess, it outlives nothing and needs no shell.
    from tests.helpers import wait_for

    out = tmp_path / "args.txt"
    stand_in = tmp_path / "osascript.py"
    stand_in.write_text(f"import sys; open({str(out)!r}, 'w').write(repr(sys.argv[-2:]))", encoding="utf-8")
    notifier = ScriptNotifier(start=lambda program, args: ScriptNotifier()._start(sys.executable, [str(stand_in)] + args))
    assert notifier.show("Title", 'a "quoted" text')
    wait_for(lambda: out.exists() and out.read_text(), 30, message="the stand-in osascript to run")
    assert out.read_text() == repr(["Title", 'a "quoted" text'])
