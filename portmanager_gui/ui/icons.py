"""Colours and icons of the row states and of the tray.

The tray icon is the app's "plug" badge whose corner mark carries the overall state (green
tick all good, amber "!" a service on a fallback port, red cross a conflict or a failure).
On macOS the menu bar wants a template ("mask") image that the system tints for light and
dark bars, so there the state is a shape, not a colour.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from ..core.port_rows import Overall, RowState

STATE_COLORS = {
    Overall.OK: QColor("#2e9d4f"),
    Overall.FALLBACK: QColor("#e8a317"),
    Overall.PROBLEM: QColor("#d64541"),
}

# Row backgrounds, light enough for dark text; "free" and "in use" stay uncoloured.
ROW_BACKGROUNDS = {
    RowState.OURS: QColor("#dff3e4"),
    RowState.FALLBACK: QColor("#fde9b8"),
    RowState.CONFLICT: QColor("#f8d3d1"),
    RowState.FAILED: QColor("#f8d3d1"),
}
ROW_FOREGROUNDS = {
    RowState.FREE: QColor("#6b6b6b"),
    RowState.FOREIGN: QColor("#1f4e8c"),
}
HIGHLIGHT = QColor("#bfe0ff")      # a row whose holder just changed

# The tray icons themselves are files made from resources/icon.svg (tools/make_icons.py);
# app.py loads them and hands them to the tray, so this module stays free of file access.
TRAY_FILE_STATE = {Overall.OK: "ok", Overall.FALLBACK: "fallback", Overall.PROBLEM: "conflict"}
TRAY_SIZES = (16, 22, 24, 32, 44, 48, 64)


def tray_icon_files(state: Overall, os_name: str) -> tuple[tuple[str, ...], bool]:
    """(file names under resources/tray, is it a mask icon) for ``state`` on ``os_name``.

    Where the OS wants a mask (macOS), the black "Template" images, which the menu bar tints
    for light and dark.
    """
    # for the tray only (not --smoke)
    from ..core.platform.desktop import tray_behaviour

    name = TRAY_FILE_STATE[state]
    if tray_behaviour(os_name).mask_icon:
        return (f"tray-{name}Template.png", f"tray-{name}Template@2x.png"), True
    return tuple(f"tray-{name}-{size}.png" for size in TRAY_SIZES), False


def dot_icon(color: QColor, size: int = 12) -> QIcon:
    """A small coloured dot for menu entries and the state column."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(color.darker(130), 1))
    p.setBrush(color)   # not QBrush(color): choosing its overload makes QGradient's and QImage's enums
    p.drawEllipse(QRectF(1.5, 1.5, size - 3, size - 3))
    p.end()
    return QIcon(pix)


ROW_DOTS = {
    RowState.FREE: QColor("#b8bec4"),
    RowState.OURS: STATE_COLORS[Overall.OK],
    RowState.FOREIGN: QColor("#3a78c2"),
    RowState.FALLBACK: STATE_COLORS[Overall.FALLBACK],
    RowState.CONFLICT: STATE_COLORS[Overall.PROBLEM],
    RowState.FAILED: STATE_COLORS[Overall.PROBLEM],
}
