"""Fitting the port table's columns: every row's text fits, measured without the view's
per-cell layout (which made a 1,000-port first paint several times a 60-port one)."""
from __future__ import annotations

from portmanager_gui.core.port_rows import build_rows
from portmanager_gui.core.registry.model import Group, Registry, Service
from portmanager_gui.ui.main_window import MainWindow
from portmanager_gui.ui.port_table_model import COL_HOLDER
from tests.ui.factories import holder, snapshot

LONG = "a-holder-with-a-very-long-process-name"


def _rows(count: int):
    services = {f"svc{i}": Service(f"svc{i}", (20000 + i,)) for i in range(count)}
    reg = Registry(services, {}, Group("models", 8100, 100, ()))
    held = {20000 + i: holder(100 + i, "nginx") for i in range(count - 1)}
    held[20000 + count - 1] = holder(99, LONG)          # the longest text is in the last row
    return build_rows(reg, (), snapshot(held), now=2000.0)


def test_columns_fit_the_longest_text_of_every_row_without_asking_the_view(qtbot, monkeypatch):
    window = MainWindow(confirm=lambda _t, _x: True)
    qtbot.addWidget(window)

    def per_cell_layout(_col):
        raise AssertionError("sizeHintForColumn lays out up to 1,000 cells per column")
    monkeypatch.setattr(window.table, "sizeHintForColumn", per_cell_layout)
    window.model.set_rows(_rows(1000))
    width = window.table.fontMetrics().horizontalAdvance(LONG)
    assert window.table.columnWidth(COL_HOLDER) > width


def test_fitting_the_columns_reads_each_rows_text_without_a_model_index_per_cell(qtbot, monkeypatch):
    """A 1,000-row fit through ``index(r, c).data()`` cost ~300 ms of the 1,000-port first paint."""
    from portmanager_gui.ui.port_table_model import PortTableModel

    window = MainWindow(confirm=lambda _t, _x: True)
    qtbot.addWidget(window)
    calls = []
    original = PortTableModel.data

    def counted(self, index, role=0):
        calls.append(index)
        return original(self, index, role)
    monkeypatch.setattr(PortTableModel, "data", counted)
    window.model.set_rows(_rows(1000))
    assert len(calls) < 1000
    assert window.table.columnWidth(COL_HOLDER) > window.table.fontMetrics().horizontalAdvance(LONG)
