"""The details under the port table: the selected row's holder, command line and log tail."""
from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ..core.platform.commands import command_line_text
from ..core.port_rows import PortRow, format_uptime
from ..text.rows import row_note


def describe_row(row: PortRow) -> str:
    """Rich text for the selected row (``html`` and its entity tables are imported with the
    first selection, not to paint: issue 16)."""
    import html

    lines = [f"<b>{html.escape(row.unit)}</b> &middot; port {row.port} ({row.role.value}) &middot; "
             f"<b>{row.state.value}</b>"]
    note = row_note(row)
    if note:
        lines.append(html.escape(note))
    for h in row.holders:
        cmd = command_line_text(h.cmdline) if h.cmdline else (h.exe or "(command line not visible)")
        up = format_uptime(row.uptime(time.time()))
        lines.append(f"Held by <b>{html.escape(h.name or '?')}</b> pid {h.pid}, user "
                     f"{html.escape(h.username or '?')}{', up ' + up if up else ''}"
                     f"{' - ' + html.escape(h.note) if h.note else ''}")
        lines.append(f"<code>{html.escape(cmd)}</code>")
    if row.url:
        lines.append(f"URL: {html.escape(row.url)}")
    return "<br>".join(lines)


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Select a port to see who holds it and the service's log.")
        self.summary.setWordWrap(True)
        self.log_title = QLabel("Log")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        # Keyboard selection too: then Ctrl+C copies the selected log lines, not the window's "Copy URL".
        self.log.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                         | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("No log yet: Port Manager writes one for each service it starts.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.log_title)
        layout.addWidget(self.log, 1)
        self.unit = ""

    def show_row(self, row: PortRow | None) -> None:
        if row is None:
            self.summary.setText("Select a port to see who holds it and the service's log.")
            self.unit = ""
            self.log.clear()
            return
        self.summary.setText(describe_row(row))
        if row.unit != self.unit:
            self.unit = row.unit
            self.log_title.setText(f"Log of {row.unit}")
            self.log.clear()

    def show_log(self, unit: str, lines: Sequence[str]) -> None:
        """The log's latest tail; the view stays at the end unless the reader scrolled up."""
        if unit != self.unit:
            return
        bar = self.log.verticalScrollBar()
        at_end, where = bar.value() >= bar.maximum() - 2, bar.value()
        self.log.setPlainText("\n".join(line.rstrip("\n") for line in lines))
        bar.setValue(bar.maximum() if at_end else min(where, bar.maximum()))
