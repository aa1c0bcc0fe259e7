"""The pieces the neighbourhood view draws: nodes (a kind's shape and colour), edges (solid
links, dashed `similar`) and labels (horizontal text at the system font size that keeps its
size at any zoom, elided, the whole title on hover).

Labels are separate scene items that ignore the view's scale, so they read the same at any
zoom; `notesgraph.ui.label_placement` decides where each goes and which are hidden.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from notesgraph.kinds import kind_style

# Enum members looked up once: PySide6 enum attribute access is slow enough to dominate a
# walk when done per item and per change notification.
_SELECTABLE = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
_IGNORES_TRANSFORMS = QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
_HAND = Qt.CursorShape.PointingHandCursor
_DASH = Qt.PenStyle.DashLine
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight

NODE_RADIUS = 14.0
CENTRE_RADIUS = 24.0
CLUSTER_RADIUS = 19.0
TOOLTIP_WIDTH = 420
"""Pixels a hover text may take before it wraps (a plain-text tooltip is one line, however long)."""
LABEL_POINTS = 10.0
"""The least label size in points (the system font when it is larger)."""
LABEL_WIDTHS = (240.0, 130.0)
"""A label's widths in pixels, tried in turn by the placement: full, then elided shorter."""
CENTRE_LABEL_WIDTH = 380.0
_PAD_X, _PAD_Y = 4.0, 1.5
SELECTED = QColor("#ffbf00")


@dataclass(frozen=True)
class ViewNode:
    item: str
    kind: str
    label: str
    x: float
    y: float
    centre: bool = False
    tooltip: str = ""
    depth: int = 1
    count: int = 0
    """For a cluster node: how many items it stands for (0: an ordinary node)."""
    scale: float = 1.0
    """Drawn this much larger (a paper by the notes citing it: notesgraph.paper_map)."""


@dataclass(frozen=True)
class ViewEdge:
    source: str
    target: str
    kind: str
    tooltip: str = ""


def shape_path(shape: str, radius: float) -> QPainterPath:
    """The outline of a kind's shape centred on (0, 0)."""
    path = QPainterPath()
    r = radius
    if shape == "square":
        path.addRect(QRectF(-r * 0.85, -r * 0.85, r * 1.7, r * 1.7))
    elif shape in ("diamond", "triangle", "hexagon", "star"):
        if shape == "diamond":
            points = [(0, -r), (r, 0), (0, r), (-r, 0)]
        elif shape == "triangle":
            points = [(0, -r), (r * 0.95, r * 0.75), (-r * 0.95, r * 0.75)]
        elif shape == "hexagon":
            points = [(r * math.cos(a), r * math.sin(a)) for a in (i * math.pi / 3 for i in range(6))]
        else:
            points = [((r if i % 2 == 0 else r * 0.45) * math.cos(i * math.pi / 5 - math.pi / 2),
                       (r if i % 2 == 0 else r * 0.45) * math.sin(i * math.pi / 5 - math.pi / 2))
                      for i in range(10)]
        path.moveTo(*points[0])
        for point in points[1:]:
            path.lineTo(*point)
        path.closeSubpath()
    else:
        path.addEllipse(QPointF(0, 0), r, r)
    return path


def wrapped_tooltip(text: str) -> str:
    """`text` as a rich-text tooltip that wraps at TOOLTIP_WIDTH pixels (a one-cell table of that
    width when the text is longer than a line; short texts stay narrow). Blank lines are kept."""
    body = html.escape(text).replace("\n", "<br>")
    if len(text) <= 60:
        return f"<qt>{body}</qt>"
    return f'<qt><table width="{TOOLTIP_WIDTH}"><tr><td>{body}</td></tr></table></qt>'


def label_font(centre: bool = False) -> QFont:
    """The application font, at least LABEL_POINTS (the centre's a point larger and bold)."""
    font = QFont(QApplication.font())
    size = max(font.pointSizeF(), LABEL_POINTS)
    font.setPointSizeF(size + 1 if centre else size)
    font.setBold(centre)
    return font


class NodeItem(QGraphicsPathItem):
    """One node: its kind's shape and colour (a cluster: a stack of three), the full text on
    hover. Its label is a separate LabelItem (`label`)."""

    def __init__(self, node: ViewNode) -> None:
        style = kind_style(node.kind)
        self.radius = CENTRE_RADIUS if node.centre else CLUSTER_RADIUS if node.count else NODE_RADIUS * node.scale
        super().__init__(shape_path(style.shape, self.radius))
        self.node = node
        self.colour = QColor(style.colour)
        self.setBrush(QBrush(self.colour))
        self._pen_width = 3.0 if node.centre else 1.5
        self.setPen(QPen(self.colour.darker(140), self._pen_width))
        self.setToolTip(wrapped_tooltip(node.tooltip or f"{style.label}: {node.label}"))
        self.setCursor(_HAND)
        self.setFlag(_SELECTABLE, True)
        self.setZValue(3 if node.centre else 2)
        if node.count:  # two shapes behind, offset up and right: a pile
            for step in (2, 1):
                behind = QGraphicsPathItem(shape_path(style.shape, self.radius), self)
                behind.setPos(5 * step, -5 * step)
                behind.setBrush(QBrush(self.colour.lighter(115 + 15 * step)))
                behind.setPen(QPen(self.colour.darker(140), 1.2))
                behind.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent, True)
        self.edges: list[EdgeItem] = []
        self.label: LabelItem | None = None
        self.hovered = False

    def update_pen(self) -> None:
        """Selected (amber), hovered (thicker) or plain. Called by the view on selection and
        hover changes (an itemChange override would cost a Python call per item change)."""
        pen = self.pen()
        if self.isSelected():
            pen.setWidthF(4)
            pen.setColor(SELECTED)
        else:
            pen.setWidthF(self._pen_width + (1.5 if self.hovered else 0))
            pen.setColor(self.colour.darker(170 if self.hovered else 140))
        self.setPen(pen)


class EdgeItem(QGraphicsLineItem):
    """An edge: solid for explicit links, dashed for `similar`; its annotation on hover."""

    def __init__(self, edge: ViewEdge, source: NodeItem, target: NodeItem, colour: QColor) -> None:
        super().__init__()
        self.edge, self.source, self.target = edge, source, target
        self.colour = colour
        self.setPen(self._pen(colour, 1.2))
        self.setZValue(1)
        self.setToolTip(wrapped_tooltip(edge.tooltip or edge.kind.replace("_", " ")))
        self.setAcceptHoverEvents(True)
        source.edges.append(self)
        target.edges.append(self)
        self.follow({edge.source: (source.node.x, source.node.y), edge.target: (target.node.x, target.node.y)})

    def _pen(self, colour: QColor, width: float) -> QPen:
        pen = QPen(colour, width)
        pen.setCosmetic(True)  # the same thickness at any zoom
        if self.edge.kind == "similar":
            pen.setStyle(_DASH)
        return pen

    def emphasise(self, colour: QColor | None) -> None:
        """Draw in `colour` and thicker (a hovered node's edge), or back to normal (None)."""
        self.setPen(self._pen(colour, 2.6) if colour is not None else self._pen(self.colour, 1.2))
        self.setZValue(1.5 if colour is not None else 1)

    def follow(self, xy: dict[str, tuple[float, float]]) -> None:
        """Redraw between the ends' positions, given as plain numbers (reading them back from
        the items costs more than computing them)."""
        (x1, y1), (x2, y2) = xy[self.edge.source], xy[self.edge.target]
        self.setLine(x1, y1, x2, y2)


class LabelItem(QGraphicsItem):
    """A node's label: horizontal text on a faint plate, in view pixels whatever the zoom.
    Sits at its node's position; `place` moves the text beside the node (in pixels) and
    picks one of the candidate `widths` (elided to fit)."""

    def __init__(self, owner: NodeItem, text: str, colour: QColor, background: QColor,
                 font: QFont, metrics: QFontMetricsF) -> None:
        super().__init__()
        self.owner = owner
        self.full_text = " ".join(text.split())
        self.setFlag(_IGNORES_TRANSFORMS, True)
        self.setZValue(6 if owner.node.centre else 5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._font, self._metrics = font, metrics
        self.colour, self.background = colour, background
        self.height = metrics.height() + 2 * _PAD_Y
        full = metrics.horizontalAdvance(self.full_text) + 2 * _PAD_X
        limits = (CENTRE_LABEL_WIDTH,) if owner.node.centre else LABEL_WIDTHS
        self.widths: tuple[float, ...] = tuple(dict.fromkeys(min(full, limit) for limit in limits))
        self._texts: dict[int, str] = {}
        self._rect = QRectF(0, 0, self.widths[0], self.height)
        self.text = self._elided(0)

    def _elided(self, index: int) -> str:
        """The text elided to width `index` (computed when first needed: most labels only
        ever use one width)."""
        if index not in self._texts:
            width = self.widths[index]
            self._texts[index] = self._metrics.elidedText(self.full_text, _ELIDE_RIGHT, width - 2 * _PAD_X + 0.5)
        return self._texts[index]

    def font(self) -> QFont:
        return self._font

    def place(self, dx: float, dy: float, width_index: int) -> None:
        """Put the label's top left `dx`, `dy` pixels from its node, at width `width_index`."""
        self.prepareGeometryChange()
        self._rect = QRectF(dx, dy, self.widths[width_index], self.height)
        self.text = self._elided(width_index)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.background)
        painter.drawRoundedRect(self._rect, 3, 3)
        painter.setFont(self._font)
        painter.setPen(self.colour)
        painter.drawText(self._rect.adjusted(_PAD_X, 0, -_PAD_X + 1, 0),
                         int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.text)
