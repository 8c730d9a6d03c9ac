"""The non-modal "these running services need a restart" strip of the main window.

After the registry changes, the units that run on a port that moved are listed here with
one button each and "Restart all". A click only emits a request; the interop presenter
hands it to the controller and takes the unit off the strip.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

STYLE = "background:#dbeafe; color:#0f2e55;"


def banner_text(units: Sequence[str]) -> str:
    verb = "needs" if len(units) == 1 else "need"
    return f"Ports changed: {', '.join(units)} {verb} a restart to use the new port."


class RestartBanner(QWidget):
    restart_requested = Signal(str)        # unit
    restart_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.units: tuple[str, ...] = ()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.all_button = QPushButton("Restart all")
        self.all_button.clicked.connect(lambda _c=False: self.restart_all_requested.emit())
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(lambda _c=False: self.clear())
        self.unit_buttons: dict[str, QPushButton] = {}
        self._layout = QHBoxLayout(self)
        self._layout.addWidget(self.label, 1)
        self._layout.addWidget(self.all_button)
        self._layout.addWidget(self.dismiss_button)
        self.setStyleSheet(STYLE)
        self.setAutoFillBackground(True)
        self.hide()

    def show_units(self, units: Sequence[str]) -> None:
        """Show ``units`` (replacing the list); hidden when empty."""
        self.units = tuple(dict.fromkeys(units))
        for button in self.unit_buttons.values():
            self._layout.removeWidget(button)
            button.deleteLater()
        self.unit_buttons = {}
        for i, unit in enumerate(self.units):
            button = QPushButton(f"Restart {unit}")
            button.clicked.connect(lambda _c=False, u=unit: self.restart_requested.emit(u))
            self._layout.insertWidget(1 + i, button)
            self.unit_buttons[unit] = button
        self.label.setText(banner_text(self.units))
        self.all_button.setVisible(len(self.units) > 1)
        self.setVisible(bool(self.units))

    def remove(self, unit: str) -> None:
        self.show_units([u for u in self.units if u != unit])

    def clear(self) -> None:
        self.show_units([])
