"""The tray menu is a function of the rows: built from a snapshot and read back."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from portmanager_gui.app import load_tray_icons
from portmanager_gui.core.port_rows import Fallback, Managed, Overall, build_rows
from portmanager_gui.ui.tray import Tray, TrayActions, fill_menu
from tests.ui.factories import holder, registry, slots, snapshot


class Recorder:
    def __init__(self):
        self.calls: list[tuple] = []

    def actions(self) -> TrayActions:
        def rec(name):
            return lambda *a: self.calls.append((name, *a))
        return TrayActions(*(rec(n) for n in ("start", "stop", "restart", "open_url", "copy_url", "kill",
                                               "show_window", "settings", "quit", "back")))


def _texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions()]


def _submenu(menu: QMenu, prefix: str) -> QMenu:
    return next(a.menu() for a in menu.actions() if a.menu() and a.text().startswith(prefix))


def test_menu_lists_services_and_kill_entries():
    rec = Recorder()
    menu = QMenu()
    rows = build_rows(registry(), slots(), snapshot({3791: holder(812, "nginx"), 8203: holder(900, "uvicorn")}),
                      [Managed("router", 4242, 3003)],
                      fallbacks={"router": Fallback(3791, 3003, "Model Router", holder(812, "nginx"))})
    fill_menu(menu, registry(), rows, rec.actions())
    texts = _texts(menu)
    assert "router - on fallback :3003" in texts
    assert "Kill nginx (pid 812) on :3791..." in texts
    assert "Kill uvicorn (pid 900) on :8203..." in texts
    assert texts[-3:] == ["Open Port Manager", "Settings...", "Quit"]
    router = _submenu(menu, "router")
    actions = {a.text(): a for a in router.actions()}
    assert not actions["Start"].isEnabled() and actions["Stop"].isEnabled()
    actions["Stop"].trigger()
    actions["Copy URL"].trigger()
    next(a for a in menu.actions() if a.text().startswith("Kill nginx")).trigger()
    assert rec.calls == [("stop", "router"), ("copy_url", "http://127.0.0.1:3003/"), ("kill", 3791)]


def test_a_registry_ports_kill_entry_names_the_holder_for_what_it_is():
    rec = Recorder()
    menu = QMenu()
    ollama = holder(812, "ollama")
    llama = holder(900, "llama-server")
    llama = type(llama)(900, "llama-server", "/opt/llama-server", ("llama-server", "-m", "/models/qwen2.5-7b.gguf"),
                        "alice", 1000.0, ("127.0.0.1",))
    rows = build_rows(registry(), slots(), snapshot({3791: ollama, 8210: llama}), [])
    fill_menu(menu, registry(), rows, rec.actions())
    texts = _texts(menu)
    assert "Kill Ollama (pid 812) on :3791..." in texts
    assert "Kill llama-server (qwen2.5-7b) (pid 900) on :8210..." in texts


def test_menu_is_rebuilt_without_piling_up_submenus():
    rec = Recorder()
    menu = QMenu()
    rows = build_rows(registry(), slots(), snapshot())
    fill_menu(menu, registry(), rows, rec.actions())
    first = len(_texts(menu))
    fill_menu(menu, registry(), rows, rec.actions())
    assert len(_texts(menu)) == first
    assert not any(t.startswith("Kill") for t in _texts(menu))
    backend = _submenu(menu, "backend")
    start = next(a for a in backend.actions() if a.text().startswith("Start"))
    assert not start.isEnabled() and "no command" in start.text()


def test_group_submenu_starts_the_group():
    rec = Recorder()
    menu = QMenu()
    fill_menu(menu, registry(), build_rows(registry(), slots(), snapshot()), rec.actions())
    group = _submenu(menu, "large-models")
    assert "0/2 running" in menu.actions()[[a.text() for a in menu.actions()].index(group.title())].text()
    next(a for a in group.actions() if a.text() == "Start group").trigger()
    assert rec.calls == [("start", "large-models")]


def test_tray_icon_and_tooltip_follow_the_state():
    tray = Tray("linux", Recorder().actions(), load_tray_icons("linux"))
    reg = registry()
    tray.update(reg, build_rows(reg, slots(), snapshot()))
    assert tray.state is Overall.OK and "All good" in tray.icon.toolTip()
    ok_icon = tray.icon.icon().cacheKey()
    note = "Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003"
    tray.update(reg, build_rows(reg, slots(), snapshot({3791: holder(812)}), [Managed("router", 1, 3003)],
                                fallbacks={"router": Fallback(3791, 3003, "Model Router", holder(812))}))
    assert tray.state is Overall.FALLBACK
    assert note in tray.icon.toolTip()
    assert tray.icon.icon().cacheKey() != ok_icon
    tray.rebuild()
    assert "router - on fallback :3003" in _texts(tray.menu)
    tray.dispose()


def test_tray_icons_come_from_the_generated_files_and_are_a_mask_on_macos():
    mac, linux = load_tray_icons("darwin"), load_tray_icons("linux")
    assert all(mac[state].isMask() and not linux[state].isMask() for state in Overall)
    assert all(not icon.isNull() for icon in (*mac.values(), *linux.values()))
    assert len(linux[Overall.OK].availableSizes()) == 7 and mac[Overall.PROBLEM].availableSizes()
    assert len({icon.cacheKey() for icon in linux.values()}) == 3


def test_a_click_on_the_icon_raises_the_window_except_on_the_macos_menu_bar():
    from PySide6.QtWidgets import QSystemTrayIcon

    from portmanager_gui.ui.tray import click_shows_window

    R = QSystemTrayIcon.ActivationReason
    for os_name in ("linux", "windows"):
        assert click_shows_window(os_name, R.Trigger) and click_shows_window(os_name, R.DoubleClick)
        assert not click_shows_window(os_name, R.Context)
    # macOS: the click opens the menu; a window raised with it would sit behind the menu
    assert not any(click_shows_window("darwin", r) for r in (R.Trigger, R.DoubleClick, R.Context))
    shown = []
    acts = Recorder().actions()
    tray = Tray("darwin", TrayActions(**{**acts.__dict__, "show_window": lambda: shown.append(1)}),
                load_tray_icons("darwin"))
    tray.icon.activated.emit(R.Trigger)
    assert shown == []
    tray.dispose()


def test_reopening_the_running_macos_app_shows_its_window():
    from portmanager_gui.ui.tray import reopen_shows_window

    assert reopen_shows_window("darwin", active=True, window_visible=False)
    assert not reopen_shows_window("darwin", active=True, window_visible=True)
    assert not reopen_shows_window("darwin", active=False, window_visible=False)
    # elsewhere a second launch is a second process: the single-instance handshake shows it
    assert not reopen_shows_window("windows", active=True, window_visible=False)
def test_other_ports_submenu_kills_any_listener_in_two_clicks():
    from portmanager_gui.core.occupancy.listeners import listeners
    from portmanager_gui.core.occupancy.snapshot import (
        PortInfo,
        PortStatus,
        Protocol,
        Snapshot,
    )
    ollama = holder(812, "ollama", create=50.0)
    llama = holder(900, "llama-server", create=90.0)
    root = holder(1, "sshd", port_user="root")
    dns = dataclasses.replace(holder(700, "python3", create=20.0), protocol=Protocol.UDP)
    snap = Snapshot(0.0, {p: PortInfo(p, PortStatus.LISTENING, (h,)) for p, h in
                          ((11434, ollama), (8081, llama), (22, root), (5353, dns))})
    rec = Recorder()
    tray = Tray("linux", rec.actions(), load_tray_icons("linux"))
    tray.update(registry(), build_rows(registry(), slots(), snapshot({}), []))
    tray.set_listeners(listeners(snap, "linux", me_user="alice"), "alice")
    tray.rebuild()
    other = _submenu(tray.menu, "Other ports")
    texts = _texts(other)
    assert texts == ["Kill llama-server (pid 900) on :8081...", "Kill Ollama (pid 812) on :11434...",
                     "Kill python3 (pid 700) on :5353 (udp)..."]
    other.actions()[1].trigger()
    assert rec.calls == [("kill", 11434)]
    tray.dispose()


def test_the_scan_answering_while_other_ports_is_open_keeps_the_entry_reached(qtbot):
    """Each menu opening asks for a scan, which refills the open submenu: the entry a person
    has moved to stays highlighted (Return then still picks it)."""
    from portmanager_gui.core.occupancy.listeners import listeners
    from portmanager_gui.core.occupancy.snapshot import PortInfo, PortStatus, Snapshot

    def rows(*held):
        return listeners(Snapshot(0.0, {p: PortInfo(p, PortStatus.LISTENING, (h,)) for p, h in held}), "linux",
                         me_user="alice")
    ollama, llama = holder(812, "ollama", create=50.0), holder(900, "llama-server", create=90.0)
    tray = Tray("linux", Recorder().actions(), load_tray_icons("linux"))
    tray.update(registry(), build_rows(registry(), slots(), snapshot({}), []))
    tray.set_listeners(rows((11434, ollama), (8081, llama)), "alice")
    tray.menu.popup(QPoint(0, 0))
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)
    other = tray.others_menu()
    other.popup(QPoint(10, 10))
    qtbot.waitUntil(other.isVisible, timeout=5000)
    other.setActiveAction(other.actions()[1])                        # the person moved to Ollama
    newcomer = holder(950, "node", create=99.0)
    tray.set_listeners(rows((11434, ollama), (8081, llama), (5173, newcomer)), "alice")   # the scan answers
    assert _texts(other)[0] == "Kill Node.js server (pid 950) on :5173..."
    assert other.activeAction() is not None and other.activeAction().text() == "Kill Ollama (pid 812) on :11434..."
    other.hide()
    tray.menu.hide()
    tray.dispose()


def test_notifications_go_where_the_platform_route_says():
    sent = []
    tray = Tray("darwin", Recorder().actions(), load_tray_icons("darwin"),
                notify=lambda title, text, critical: sent.append((title, text, critical)))
    tray.notify("Fallback port in use", "Port 3791 is in use by nginx (pid 812)")
    assert sent == [("Fallback port in use", "Port 3791 is in use by nginx (pid 812)", False)]
    tray.dispose()
