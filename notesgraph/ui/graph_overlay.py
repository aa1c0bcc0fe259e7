"""Widgets that float over the neighbourhood canvas: the legend (each kind shown, with its
shape and colour, and the two edge styles) and the "+N more" button.

They are children of the view, not of its viewport, so panning does not move them; the view
keeps labels clear of them (`geometry()` is in viewport pixels once placed by `anchor`).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QWidget

from notesgraph.kinds import kind_style
from notesgraph.layout import KIND_ORDER
from notesgraph.ui.graph_items import shape_path
from notesgraph.ui.theme import kind_icon

ICON = 16


def kind_pixmap(kind: str, size: int = ICON, pile: bool = False) -> QPixmap:
    """The kind's shape in its colour, as the canvas draws it (a pile for a cluster)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    style = kind_style(kind)
    colour = QColor(style.colour)
    radius = size * (0.33 if pile else 0.45)
    offsets = ((2, 1), (1, 1), (0, 1)) if pile else ((0, 1),)
    for step, _ in offsets:
        painter.save()
        painter.translate(size / 2 + step * size * 0.12 - (size * 0.12 if pile else 0),
                          size / 2 - step * size * 0.12 + (size * 0.12 if pile else 0))
        painter.setBrush(colour.lighter(100 + 15 * step))
        painter.setPen(QPen(colour.darker(140), 1))
        painter.drawPath(shape_path(style.shape, radius))
        painter.restore()
    painter.end()
    return pixmap


def _icon(kind: str) -> QPixmap:
    """The kind's icon from assets/icons, else its shape drawn here."""
    pixmap = kind_icon(kind).pixmap(ICON, ICON)
    return pixmap if not pixmap.isNull() else kind_pixmap(kind)


def edge_pixmap(dashed: bool, colour: QColor, width: int = 26, height: int = ICON) -> QPixmap:
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    pen = QPen(colour, 2)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawLine(QPointF(1, height / 2), QPointF(width - 1, height / 2))
    painter.end()
    return pixmap


class GraphLegend(QFrame):
    """Which shape and colour is which kind (only the kinds on the canvas), a cluster's pile,
    and the edge styles: explicit links solid, `similar` dashed."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("graphLegend")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(8, 6, 10, 6)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(2)
        self.kinds: list[str] = []
        self.entries: list[str] = []
        """The rows' texts, in order (for tests and screen readers)."""

    def show_kinds(self, kinds: Sequence[str], cluster: bool, edge_colour: QColor) -> None:
        ordered = sorted(set(kinds), key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else 99, k))
        if ordered == self.kinds and cluster == ("cluster" in " ".join(self.entries)):
            return
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.kinds, self.entries = ordered, []
        rows: list[tuple[QPixmap, str]] = [(_icon(k), kind_style(k).plural) for k in ordered]
        if cluster:
            rows.append((kind_pixmap("inquiry", pile=True), "Inquiry cluster (click to open)"))
        rows.append((edge_pixmap(False, edge_colour), "Link (related, cites, mentions…)"))
        rows.append((edge_pixmap(True, edge_colour), "Similar in meaning"))
        for row, (pixmap, text) in enumerate(rows):
            icon = QLabel()
            icon.setPixmap(pixmap)
            words = QLabel(text)
            self.grid.addWidget(icon, row, 0, Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(words, row, 1)
            icon.show()  # a child added to a shown widget stays hidden until shown
            words.show()
            self.entries.append(text)
        self.grid.activate()
        self.resize(self.sizeHint())


class MoreButton(QPushButton):
    """"+N more": asks for a bigger node cap."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("moreButton")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("The neighbourhood holds more than fits; show twice as many")
        self.hide()

    def set_omitted(self, omitted: int) -> None:
        if omitted:
            self.setText(f"+{omitted:,} more — show more")
            self.resize(self.sizeHint())
            self.show()
        else:
            self.hide()


def viewport_rect(widget: QWidget, viewport: QWidget) -> QRectF:
    """`widget`'s rectangle in `viewport`'s pixels (empty when hidden)."""
    if not widget.isVisible():
        return QRectF()
    top_left = viewport.mapFrom(widget.parentWidget(), widget.geometry().topLeft())
    return QRectF(top_left.x(), top_left.y(), widget.width(), widget.height())
