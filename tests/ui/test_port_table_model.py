"""The port table model: qtmodeltester, changed-rows-only updates, highlight, filter."""
from __future__ import annotations

from PySide6.QtCore import Qt

from portmanager_gui.core.port_rows import RowState, build_rows
from portmanager_gui.ui.group_editor import AssignmentModel
from portmanager_gui.ui.port_table_model import (
    COL_STATE,
    COL_UNIT,
    ROW_ROLE,
    PortFilterProxy,
    PortTableModel,
)
from tests.ui.factories import holder, registry, slots, snapshot


def _rows(held=None):
    return build_rows(registry(), slots(), snapshot(held), now=2000.0)


def test_model_passes_qtmodeltester(qtmodeltester):
    model = PortTableModel()
    model.set_rows(_rows({3791: holder(50)}))
    qtmodeltester.check(model)
    proxy = PortFilterProxy()
    proxy.setSourceModel(model)
    proxy.setFilterFixedString("router")
    qtmodeltester.check(proxy)
    assert proxy.rowCount() == 2


def test_assignment_model_passes_qtmodeltester(qtmodeltester):
    model = AssignmentModel()
    model.set_assignment([("model1", 8200), ("model2", 8201)])
    qtmodeltester.check(model)


def test_refresh_updates_only_changed_rows(qtbot):
    model = PortTableModel(clock=lambda: 0.0)
    model.set_rows(_rows())
    changed: list[int] = []
    resets: list[bool] = []
    model.dataChanged.connect(lambda tl, br, roles=(): changed.append(tl.row()))
    model.modelReset.connect(lambda: resets.append(True))
    assert model.set_rows(_rows({6379: holder(77, "redis-server")})) == 1
    assert not resets
    redis = model.row_for("redis", 6379)
    assert changed == [redis]
    assert model.index(redis, COL_STATE).data() == RowState.FOREIGN.value
    assert ("redis", 6379) in model.highlighted()


def test_highlight_expires(qtbot):
    now = [0.0]
    model = PortTableModel(clock=lambda: now[0])
    model.set_rows(_rows())
    model.set_rows(_rows({8203: holder(90)}))
    i = model.row_for("backend", 8203)
    highlighted = model.index(i, COL_UNIT).data(Qt.ItemDataRole.BackgroundRole)
    now[0] = 10.0
    with qtbot.waitSignal(model.dataChanged, timeout=30000):
        pass
    assert not model.highlighted()
    assert model.index(i, COL_UNIT).data(Qt.ItemDataRole.BackgroundRole) != highlighted


def test_registry_change_resets(qtbot):
    model = PortTableModel()
    model.set_rows(_rows())
    with qtbot.waitSignal(model.modelReset, timeout=10000):
        assert model.set_rows(build_rows(registry((3791,)), slots(), None, now=0)) == -1
    assert model.index(0, COL_UNIT).data(ROW_ROLE).unit == "router"
