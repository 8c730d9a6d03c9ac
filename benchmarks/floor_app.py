"""The floor for the GUI benchmark: a bare PySide6 tray icon + window + 60-row table.

What any PySide6 tray app pays before doing anything of its own: the interpreter, Qt's
import and platform plugin, a tray icon, a main window with a 60 x 6 table, one paint.
Prints ``painted 60 rows`` once the window has painted (as ``main.py --smoke`` does) and
exits, or with ``--stay`` keeps running (for the idle memory figure).
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon, QTableView

ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "portmanager-32.png"
ROWS, COLUMNS = 60, 6


def main() -> int:
    stay = "--stay" in sys.argv
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    tray = QSystemTrayIcon(QIcon(str(ICON)))
    tray.show()
    model = QStandardItemModel(ROWS, COLUMNS)
    for r in range(ROWS):
        for c in range(COLUMNS):
            model.setItem(r, c, QStandardItem(f"cell {r}:{c}"))
    window = QMainWindow()
    table = QTableView()
    table.setModel(model)
    window.setCentralWidget(table)
    window.resize(1100, 680)
    window.show()

    def painted() -> None:
        window.repaint()
        print(f"painted {ROWS} rows", flush=True)
        if not stay:
            QTimer.singleShot(0, app.quit)
    QTimer.singleShot(0, painted)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
