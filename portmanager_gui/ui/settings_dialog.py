"""The Settings dialog: refresh interval, notifications, stop on quit, start at login."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ..core.settings import REFRESH_MAX_S, REFRESH_MIN_S, Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None, start_at_login_supported: bool = True):
        super().__init__(parent)
        self.setWindowTitle("Port Manager settings")
        self.refresh = QDoubleSpinBox()
        self.refresh.setRange(REFRESH_MIN_S, REFRESH_MAX_S)
        self.refresh.setSingleStep(0.5)
        self.refresh.setDecimals(1)
        self.refresh.setSuffix(" s")
        self.refresh.setValue(settings.refresh_s)
        self.notifications = QCheckBox("Notify when a service falls back, fails or crashes")
        self.notifications.setChecked(settings.notifications)
        self.watched = QCheckBox("Also notify on every change of who holds a registry port")
        self.watched.setChecked(settings.watched_port_notifications)
        self.notifications.toggled.connect(self.watched.setEnabled)
        self.watched.setEnabled(settings.notifications)
        self.stop_on_quit = QCheckBox("Stop the services Port Manager started when it quits")
        self.stop_on_quit.setChecked(settings.stop_on_quit)
        self.start_at_login = QCheckBox("Start Port Manager when I log in")
        self.start_at_login.setChecked(settings.start_at_login)
        self.start_at_login.setEnabled(start_at_login_supported)
        form = QFormLayout()
        form.addRow("Refresh every", self.refresh)
        form.addRow("", self.notifications)
        form.addRow("", self.watched)
        form.addRow("", self.stop_on_quit)
        form.addRow("", self.start_at_login)
        note = QLabel("Settings are kept next to the registry, in settings.json.")
        note.setStyleSheet("color: palette(mid);")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def value(self) -> Settings:
        return Settings(refresh_s=round(self.refresh.value(), 1),
                        notifications=self.notifications.isChecked(),
                        watched_port_notifications=self.watched.isChecked(),
                        stop_on_quit=self.stop_on_quit.isChecked(),
                        start_at_login=self.start_at_login.isChecked())


def ask_settings(parent: QWidget | None, settings: Settings) -> Settings | None:
    dialog = SettingsDialog(settings, parent)
    return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
