"""State icons painted with QPainter, and the colours the table uses for each row state.

No image files: the tray icon is a rounded "plug" badge whose dot carries the overall state
(green all good, amber a service on a fallback port, red a conflict or a failure). On macOS
the menu bar wants a template ("mask") image that the system tints for light and dark
bars, so there the state is drawn as a shape instead of a colour.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from ..core.platform import MACOS
from ..core.rows import Overall, RowState

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

SIZES = (16, 22, 32, 44, 64)


def _paint_badge(p: QPainter, size: int, color: QColor) -> None:
    s = float(size)
    body = QRectF(s * 0.08, s * 0.08, s * 0.84, s * 0.84)
    p.setPen(QPen(QColor("#1b2733"), max(1.0, s / 22)))
    p.setBrush(QBrush(QColor("#34495e")))
    p.drawRoundedRect(body, s * 0.2, s * 0.2)
    # two prongs of a plug: "ports"
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#ecf0f1")))
    w, h = s * 0.12, s * 0.3
    p.drawRoundedRect(QRectF(s * 0.27, s * 0.2, w, h), w / 3, w / 3)
    p.drawRoundedRect(QRectF(s * 0.61 - w, s * 0.2, w, h), w / 3, w / 3)
    # the state dot
    r = s * 0.2
    centre = QPointF(s * 0.68, s * 0.7)
    p.setPen(QPen(QColor("#ffffff"), max(1.0, s / 16)))
    p.setBrush(QBrush(color))
    p.drawEllipse(centre, r, r)


def _paint_mask(p: QPainter, size: int, state: Overall) -> None:
    """Black on transparent; macOS tints it. The state is a shape: none, '!' or a cross."""
    s = float(size)
    black = QColor(0, 0, 0)
    p.setPen(QPen(black, max(1.0, s / 12)))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(s * 0.12, s * 0.12, s * 0.76, s * 0.76), s * 0.18, s * 0.18)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(black))
    w, h = s * 0.1, s * 0.26
    p.drawRect(QRectF(s * 0.3, s * 0.24, w, h))
    p.drawRect(QRectF(s * 0.6, s * 0.24, w, h))
    if state is Overall.OK:
        return
    path = QPainterPath()
    if state is Overall.FALLBACK:
        path.addEllipse(QPointF(s * 0.5, s * 0.68), s * 0.09, s * 0.09)
    else:
        path.addRect(QRectF(s * 0.22, s * 0.62, s * 0.56, s * 0.12))
    p.drawPath(path)


def state_icon(state: Overall, os_name: str) -> QIcon:
    """The tray icon for ``state``; a mask icon on macOS."""
    icon = QIcon()
    for size in SIZES:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if os_name == MACOS:
            _paint_mask(p, size, state)
        else:
            _paint_badge(p, size, STATE_COLORS[state])
        p.end()
        icon.addPixmap(pix)
    if os_name == MACOS:
        icon.setIsMask(True)
    return icon


def dot_icon(color: QColor, size: int = 12) -> QIcon:
    """A small coloured dot for menu entries and the state column."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(color.darker(130), 1))
    p.setBrush(QBrush(color))
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
