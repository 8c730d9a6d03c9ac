"""The All ports tab and the tray's "Other ports", in the real app on real listeners."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from portmanager_gui import app as gui_app
from portmanager_gui.core.occupancy.listener_groups import GroupsUpdate, ListenerFeed
from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Snapshot,
)
from portmanager_gui.core.registry.load import load
from portmanager_gui.core.registry.model import Registry, Service
from portmanager_gui.ui.all_ports_tab import AllPortsTab
from portmanager_gui.ui.icons import HIGHLIGHT
from portmanager_gui.ui.listener_tree_model import (
    COL_PORT,
    COL_PROCESS,
    COL_SERVICE,
    COL_UPTIME,
    COL_WHAT,
    ROW_ROLE,
)
from tests.ui import desk
from tests.ui.factories import holder


class Feed:
    """A real ListenerFeed on hand-made holders; the tab's sort/search/system changes reach it."""

    def __init__(self, tab) -> None:
        self.snap = Snapshot(0.0, {})
        reg = Registry({"web": Service("web", (3000,))}, {}, None)
        self.feed = ListenerFeed(lambda: self.snap, lambda s: s, lambda: None, lambda: reg, "linux", "alice")
        self.tab = tab
        tab.spec_changed.connect(self.respec)

    def respec(self, spec) -> None:
        self.feed.spec = spec
        self.tab.apply(self.feed())

    def __call__(self, *pairs) -> GroupsUpdate:
        self.snap = Snapshot(0.0, {p: PortInfo(p, PortStatus.LISTENING, hs if isinstance(hs, tuple) else (hs,))
                                   for p, hs in pairs})
        return self.feed()


def _shown_ports(tab) -> set[str]:
    out = set()
    for g in range(tab.model.rowCount()):
        parent = tab.model.index(g, 0)
        out |= {tab.model.index(r, COL_PORT, parent).data() for r in range(tab.model.rowCount(parent))}
    return out


def test_tree_groups_by_process_hides_system_searches_sorts_and_highlights(qtbot, qtmodeltester):
    tab = AllPortsTab()
    qtbot.addWidget(tab)
    feed = Feed(tab)
    node, sshd = holder(10, "node", create=2000.0), holder(1, "sshd", port_user="root")
    ollama = holder(11, "ollama", create=5.0)
    assert tab.apply(feed((3000, node), (3001, node), (22, sshd), (11434, ollama))) == -1
    qtmodeltester.check(tab.model)
    assert tab.model.rowCount() == 2 and _shown_ports(tab) == {"3000", "3001", "11434"}   # sshd: system
    assert [tab.model.index(r, 0).data() for r in range(2)] == ["node", "ollama"]        # by process name
    node_row = tab.model.index(0, 0)
    assert tab.model.rowCount(node_row) == 2 and tab.model.index(0, COL_PORT).data() == "3000, 3001"
    tab.hide_system.setChecked(False)
    assert tab.model.rowCount() == 3
    tab.table.sortByColumn(COL_UPTIME, Qt.SortOrder.AscendingOrder)                    # newest first
    assert [tab.model.index(r, 0).data() for r in range(3)] == ["node", "sshd", "ollama"]
    qtmodeltester.check(tab.model)
    tab.table.sortByColumn(COL_PROCESS, Qt.SortOrder.AscendingOrder)
    tab.search.setText("ollama")
    assert tab.model.rowCount() == 1 and tab.model.index(0, COL_WHAT).data() == "Ollama"
    tab.search.setText("3001")                 # a port: its process, with that port only
    assert tab.model.rowCount() == 1 and _shown_ports(tab) == {"3001"}
    tab.search.clear()
    # A refresh where one listener changed: one row operation (plus its process's row), no reset.
    ollama_later = Holder(11, "ollama", "/usr/bin/ollama", ("ollama", "serve"), "alice", 5.0, ("::1",))
    ops = tab.apply(feed((3000, node), (3001, node), (22, sshd), (11434, ollama_later)))
    assert 0 < ops <= 2
    qtmodeltester.check(tab.model)
    assert ("c", (11, 5.0), (11434, "tcp")) in tab.model.highlighted()
    with qtbot.waitSignal(tab.kill_requested) as sig:
        assert tab.select_port(11434)
        tab.kill_button.click()
    assert sig.args == [11434]
    assert tab.select_port(3000) and not tab.add_button.isEnabled()     # already the registry's "web"
    assert tab.select_port(3001) and tab.add_button.isEnabled()


def test_model_follows_inserts_and_removals_row_by_row(qtbot, qtmodeltester):
    tab = AllPortsTab()
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.model)
    feed = Feed(tab)
    a, b, c = holder(10, "node"), holder(11, "python3"), holder(12, "redis-server")
    tab.apply(feed((3000, a), (4000, b)))
    resets = []
    tab.model.modelReset.connect(lambda: resets.append(True))
    inserted = []
    tab.model.rowsInserted.connect(lambda parent, first, last: inserted.append((parent.isValid(), first, last)))
    tab.apply(feed((3000, a), (3002, a), (6379, c)))         # b gone, c new, a has one more port
    qtmodeltester.check(tab.model)
    assert resets == [] and (True, 1, 1) in inserted and (False, 1, 1) in inserted
    assert [[r.port for r in g.listeners] for g in tab.model.groups] == [[3000, 3002], [6379]]
    assert [r.port for r in tab.model.listeners()] == [3000, 3002, 6379]
    kids = tab.model.index(0, 0)
    assert [tab.model.index(r, COL_PORT, kids).data() for r in range(tab.model.rowCount(kids))] == ["3000", "3002"]
    assert tab.model.parent(tab.model.index(1, 0, kids)) == kids and not tab.model.parent(kids).isValid()
    # An update made for another version than the one shown: a reset, never a wrong row.
    stale = feed((3000, a))
    tab.apply(GroupsUpdate(stale.groups, stale.listeners, stale.ops, stale.base + 7, stale.version + 7))
    assert resets == [True] and tab.model.rowCount(QModelIndex()) == 1


@pytest.fixture
def app_parts(qapp, tmp_path, listener):
    path = tmp_path / "registry.yaml"
    path.write_text("version: 1\nservices:\n  other:\n    ports: [1]\n", encoding="utf-8")
    made = []

    def make(show_all: bool = True):
        parts = desk.build(qapp, path, desk.Answers())
        parts.all_scanner.set_interval(300)
        made.append(parts)
        if show_all:
            parts.window.tabs.setCurrentWidget(parts.all_ports)
            parts.window.show()
        gui_app.start(parts)
        return parts

    yield path, make
    for parts in made:
        desk.close(parts)


def test_a_listener_outside_the_registry_is_listed_killed_from_the_tray_and_added(qtbot, app_parts, listener):
    path, make = app_parts
    child = listener.listen("127.0.0.1")
    parts = make()
    qtbot.waitUntil(lambda: parts.all_ports.select_port(child.port), timeout=15000)
    row = parts.all_ports.selected()
    assert row.pid == child.pid and not row.system and row.service == ""
    # Add to registry: a service with that port and (the injected answer says yes) its command.
    with qtbot.waitSignal(parts.store.saved, timeout=10000):
        parts.all_ports.add_button.click()
    svc = next(s for s in load(path).services.values() if s.ports == (child.port,))
    assert svc.command == tuple(row.holder.cmdline)


def test_no_machine_wide_scan_while_nobody_looks(qtbot, app_parts, listener):
    _path, make = app_parts
    parts = make(show_all=False)
    scans = [0]
    parts.scanner.snapshot_changed.connect(lambda _s: scans.__setitem__(0, scans[0] + 1))
    parts.scanner.set_interval(100)
    qtbot.waitUntil(lambda: scans[0] >= 4, timeout=20000)      # the registry's scans go on
    assert parts.all_feed.scans == 0
    parts.window.tabs.setCurrentWidget(parts.all_ports)
    parts.window.show()
    qtbot.waitUntil(lambda: parts.all_feed.scans >= 2, timeout=15000)
    parts.window.tabs.setCurrentIndex(0)                     # the Ports tab: the All ports tab is hidden
    parts.all_scanner.wait_idle()
    qtbot.waitUntil(lambda: not parts.all_scanner.busy, timeout=5000)
    seen, scans[0] = parts.all_feed.scans, 0
    qtbot.waitUntil(lambda: scans[0] >= 4, timeout=20000)
    assert parts.all_feed.scans == seen
    if parts.tray is not None:                               # the tray menu opening asks for one scan
        parts.tray.menu.aboutToShow.emit()
        qtbot.waitUntil(lambda: parts.all_feed.scans == seen + 1, timeout=10000)


def test_tray_other_ports_lists_our_own_listener_once_the_menu_opens(qtbot, app_parts, listener):
    _path, make = app_parts
    child = listener.listen("127.0.0.1")
    parts = make(show_all=False)
    if parts.tray is None:
        pytest.skip("no tray in this session")
    assert parts.tray.others() is None                       # nothing scanned machine-wide yet
    parts.tray.menu.aboutToShow.emit()                       # what opening the menu does
    assert parts.tray.others_menu().actions()[0].text() == "Looking at every port..."
    qtbot.waitUntil(lambda: any(r.port == child.port for r in parts.tray.others() or ()), timeout=15000)
    parts.tray.rebuild()
    sub = parts.tray.others_menu()
    entry = next(a for a in sub.actions() if a.text().endswith(f"(pid {child.pid}) on :{child.port}..."))
    with qtbot.waitSignal(parts.controller.kill_planned, timeout=10000) as sig:
        entry.trigger()
    assert sig.args[0] == child.port


def test_a_model_slots_port_shows_its_pool_and_model_in_the_service_column(qtbot, app_parts, listener):
    """A real listener on the port the registry gives a group's model (its slot, a read of the
    allocations) and one on a llama-swap pool's: both belong to ``pool/model``, not to nobody."""
    path, make = app_parts
    chat, gamma = listener.listen("127.0.0.1"), listener.listen("::1")
    path.write_text(f"version: 1\nstart_port: {gamma.port - 2}\nmodels:\n  numbered_by: llama-swap\n  size: 3\n"
                    "  members: [alpha, beta, gamma]\n"
                    f"groups:\n  small:\n    start_port: {chat.port - 1}\n    size: 2\n    members: [emb, chat]\n",
                    encoding="utf-8")
    parts = make()
    model = parts.all_ports.model

    def row_of(child):          # its own row: another process may hold that port number on another address
        for g in range(model.rowCount()):
            process = model.index(g, 0)
            for r in range(model.rowCount(process)):
                index = model.index(r, 0, process)
                found = index.data(ROW_ROLE)
                if (found.pid, found.port) == (child.pid, child.port):
                    return index
        return None

    for child, unit in ((chat, "small/chat"), (gamma, "models/gamma")):
        qtbot.waitUntil(lambda c=child: row_of(c) is not None, timeout=15000)
        index = row_of(child)
        assert index.data(ROW_ROLE).service == unit
        assert index.siblingAtColumn(COL_SERVICE).data() == unit
        assert index.parent().siblingAtColumn(COL_SERVICE).data() == unit      # the process's row too
        parts.all_ports.table.expand(index.parent())
        parts.all_ports.table.setCurrentIndex(index)
        assert not parts.all_ports.add_button.isEnabled()                     # already the registry's


def test_expanding_every_process_never_marks_its_listener_rows_expanded(qtbot):
    """Expand all (and the * key) opens every process; its listener rows never become
    persistent "expanded" indexes, which the model would walk on every row inserted or removed."""
    tab = AllPortsTab()
    qtbot.addWidget(tab)
    feed = Feed(tab)
    node, ollama = holder(10, "node"), holder(11, "ollama")
    tab.apply(feed(*[(p, node) for p in range(3000, 3050)], *[(p, ollama) for p in range(11434, 11484)]))
    tab.table.expandAll()
    assert all(tab.table.isExpanded(tab.model.index(r, 0)) for r in range(2))
    assert len(tab.model.persistentIndexList()) <= 2
    tab.table.collapseAll()
    first = tab.model.index(0, 0)
    tab.table.setCurrentIndex(tab.model.index(3, 0, first))       # a listener of the first process
    qtbot.keyClick(tab.table, Qt.Key.Key_Asterisk)
    assert tab.table.isExpanded(first) and not tab.table.isExpanded(tab.model.index(1, 0))
    assert len(tab.model.persistentIndexList()) <= 3                # the current index, and the process


def test_a_paint_gets_each_cells_text_and_highlight_in_one_call(qtbot):
    """What the delegate paints comes through ``multiData`` (every role of a cell at once)."""
    tab = AllPortsTab()
    qtbot.addWidget(tab)
    feed = Feed(tab)
    node = holder(10, "node")
    tab.apply(feed((3000, node)))
    tab.apply(feed((3000, node), (3001, node)))                      # 3001 is new: highlighted
    process = tab.model.index(0, 0)
    new_port = tab.model.index(1, COL_PORT, process)

    def painted(index):
        option = QStyleOptionViewItem()
        QStyledItemDelegate().initStyleOption(option, index)
        return option.text, option.backgroundBrush.color()

    assert painted(new_port) == ("3001", HIGHLIGHT)
    text, background = painted(tab.model.index(0, COL_PORT, process))
    assert text == "3000" and background != HIGHLIGHT
    assert painted(tab.model.index(0, COL_WHAT))[0] == "Node.js server"
    # What a holder is shows whole, not cut to "llama-server ...".
    assert tab.table.columnWidth(COL_WHAT) > tab.table.fontMetrics().horizontalAdvance("llama-server (qwen2.5-7b)")
