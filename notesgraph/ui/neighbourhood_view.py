"""The neighbourhood view: the current item in the middle, its neighbours around it.

A QGraphicsView over plain data (`ViewNode`, `ViewEdge`); the window turns graph queries into
that data. Click a node to walk, click the centre to open it; wheel zooms, drag pans;
arrows move the selection, Enter walks, Space opens. A walk animates from the old picture
to the new one so the eye can follow.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from notesgraph.kinds import elide, kind_style

# Enum members looked up once: PySide6 enum attribute access is slow enough to dominate a
# walk when done per item and per change notification.
_SELECTED_CHANGED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged
_SELECTABLE = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
_HAND = Qt.CursorShape.PointingHandCursor
_DASH = Qt.PenStyle.DashLine

NODE_RADIUS = 14.0
CENTRE_RADIUS = 24.0
LABEL_CHARS = 34
TOOLTIP_WIDTH = 420
"""Pixels a hover text may take before it wraps (a plain-text tooltip is one line, however long)."""


@dataclass(frozen=True)
class ViewNode:
    item: str
    kind: str
    label: str
    x: float
    y: float
    centre: bool = False
    tooltip: str = ""


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


class NodeItem(QGraphicsPathItem):
    """One node: its kind's shape and colour, an elided label, the full text on hover."""

    def __init__(self, node: ViewNode, text_colour: QColor) -> None:
        style = kind_style(node.kind)
        radius = CENTRE_RADIUS if node.centre else NODE_RADIUS
        super().__init__(shape_path(style.shape, radius))
        self.node = node
        self.setBrush(QBrush(QColor(style.colour)))
        self.setPen(QPen(QColor(style.colour).darker(140), 3 if node.centre else 1.5))
        self.setToolTip(wrapped_tooltip(node.tooltip or f"{style.label}: {node.label}"))
        self.setCursor(_HAND)
        self.setFlag(_SELECTABLE, True)
        self.setZValue(3 if node.centre else 2)
        self.label = QGraphicsSimpleTextItem(elide(node.label, 60 if node.centre else LABEL_CHARS), self)
        font = QFont()
        font.setPointSizeF(10 if node.centre else 8.5)
        font.setBold(node.centre)
        self.label.setFont(font)
        self.label.setBrush(QBrush(text_colour))
        self._place_label(radius)
        self.edges: list[EdgeItem] = []

    def _place_label(self, radius: float) -> None:
        """Labels run outwards along the ray from the centre, so a ring's labels fan out
        instead of piling on each other; the centre's label sits under it."""
        bounds = self.label.boundingRect()
        if self.node.centre or (self.node.x == 0 and self.node.y == 0):
            self.label.setPos(-bounds.width() / 2, radius + 2)
            return
        angle = math.degrees(math.atan2(self.node.y, self.node.x))
        if -90 <= angle <= 90:  # right half: text reads left to right away from the centre
            self.label.setRotation(angle)
            offset = radius + 4
            self.label.setPos(offset * math.cos(math.radians(angle)) + bounds.height() / 2 * math.sin(math.radians(angle)),
                              offset * math.sin(math.radians(angle)) - bounds.height() / 2 * math.cos(math.radians(angle)))
        else:  # left half: flip so the text is never upside down, and end at the node
            flipped = angle - 180
            self.label.setRotation(flipped)
            reach = radius + 4 + bounds.width()
            rad = math.radians(angle)
            self.label.setPos(reach * math.cos(rad) - bounds.height() / 2 * math.sin(math.radians(flipped)),
                              reach * math.sin(rad) + bounds.height() / 2 * math.cos(math.radians(flipped)))

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == _SELECTED_CHANGED:
            pen = self.pen()
            pen.setWidthF(4 if value else (3 if self.node.centre else 1.5))
            pen.setColor(QColor("#ffbf00") if value else QColor(kind_style(self.node.kind).colour).darker(140))
            self.setPen(pen)
        return super().itemChange(change, value)


class EdgeItem(QGraphicsLineItem):
    """An edge: solid for explicit links, dashed for `similar`; its annotation on hover."""

    def __init__(self, edge: ViewEdge, source: NodeItem, target: NodeItem, colour: QColor) -> None:
        super().__init__()
        self.edge, self.source, self.target = edge, source, target
        pen = QPen(colour, 1.2)
        if edge.kind == "similar":
            pen.setStyle(_DASH)
        self.setPen(pen)
        self.setZValue(1)
        self.setToolTip(wrapped_tooltip(edge.tooltip or edge.kind.replace("_", " ")))
        self.setAcceptHoverEvents(True)
        source.edges.append(self)
        target.edges.append(self)
        self.follow({edge.source: (source.node.x, source.node.y), edge.target: (target.node.x, target.node.y)})

    def follow(self, xy: dict[str, tuple[float, float]]) -> None:
        """Redraw between the ends' positions, given as plain numbers (reading them back from
        the items costs more than computing them)."""
        (x1, y1), (x2, y2) = xy[self.edge.source], xy[self.edge.target]
        self.setLine(x1, y1, x2, y2)


class NeighbourhoodView(QGraphicsView):
    """Draws a neighbourhood and reports clicks: `walkRequested(item)`, `openRequested(item)`,
    `moreRequested()` (the "+N more" marker)."""

    walkRequested = Signal(str)
    openRequested = Signal(str)
    moreRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.nodes: dict[str, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self._xy: dict[str, tuple[float, float]] = {}
        self.centre = ""
        self.more_item: QGraphicsSimpleTextItem | None = None
        self._animation: QVariantAnimation | None = None
        self._press: QPointF | None = None

    # -- drawing -----------------------------------------------------------------------------

    def show_neighbourhood(self, nodes: list[ViewNode], edges: list[ViewEdge], omitted: int = 0,
                           animate: bool = True) -> None:
        """Replace the picture. Nodes already shown glide from their old place to the new one."""
        old = dict(self._xy)
        old_centre = old.get(next((n.item for n in nodes if n.centre), ""), (0.0, 0.0))
        scene = self.scene()
        if self._animation is not None:
            self._animation.stop()
        scene.clear()
        self.nodes = {}
        self._xy = {node.item: (node.x, node.y) for node in nodes}
        text = self.palette().color(QPalette.ColorRole.Text)
        edge_colour = self.palette().color(QPalette.ColorRole.Mid)
        for node in nodes:
            item = NodeItem(node, text)
            scene.addItem(item)
            item.setPos(node.x, node.y)
            self.nodes[node.item] = item
            if node.centre:
                self.centre = node.item
        self.edges = []
        for edge in edges:
            if edge.source in self.nodes and edge.target in self.nodes:
                line = EdgeItem(edge, self.nodes[edge.source], self.nodes[edge.target], edge_colour)
                scene.addItem(line)
                self.edges.append(line)
        self.more_item = None
        if omitted:
            self.more_item = scene.addSimpleText(f"+{omitted} more (click to show more)")
            self.more_item.setBrush(QBrush(text))
            self.more_item.setCursor(Qt.CursorShape.PointingHandCursor)
            bounds = scene.itemsBoundingRect()
            self.more_item.setPos(bounds.left(), bounds.bottom() + 12)
        self.setSceneRect(scene.itemsBoundingRect().adjusted(-60, -60, 60, 60))
        self.fit()
        if animate and old:
            self._glide({item: old.get(item, old_centre) for item in self.nodes})

    def _glide(self, start: dict[str, tuple[float, float]]) -> None:
        targets = dict(self._xy)
        animation = QVariantAnimation(self, startValue=0.0, endValue=1.0, duration=260)
        animation.setEasingCurve(QEasingCurve.Type.OutCubic)

        def step(t: float) -> None:
            xy = self._xy
            for item, node in self.nodes.items():
                (ax, ay), (bx, by) = start[item], targets[item]
                xy[item] = (ax + (bx - ax) * t, ay + (by - ay) * t)
                node.setPos(*xy[item])
            for edge in self.edges:  # nodes do not notify their edges: one pass is cheaper
                edge.follow(xy)

        step(0.0)

        animation.valueChanged.connect(step)
        animation.finished.connect(lambda: step(1.0))
        self._animation = animation
        animation.start()

    def fit(self) -> None:
        """Fit the whole neighbourhood in view (also bound to the F key)."""
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.6:  # never blow a small neighbourhood up
            self.resetTransform()
            self.scale(1.6, 1.6)

    # -- interaction -------------------------------------------------------------------------

    def node_at(self, position: QPointF) -> NodeItem | None:
        """The node under a point: a node's own shape wins over another node's label."""
        hits = self.items(position.toPoint())
        for item in hits:
            if isinstance(item, NodeItem):
                return item
        for item in hits:
            if isinstance(item.parentItem(), NodeItem):
                return item.parentItem()  # type: ignore[return-value]
        return None

    def activate(self, node: NodeItem) -> None:
        """What a click does: the centre opens, any other node becomes the centre."""
        if node.node.item == self.centre:
            self.openRequested.emit(node.node.item)
        else:
            self.walkRequested.emit(node.node.item)

    def finish_animation(self) -> None:
        """Jump a running walk animation to its end (a click or key acts on the final picture)."""
        if self._animation is not None and self._animation.state() == QVariantAnimation.State.Running:
            self._animation.setCurrentTime(self._animation.duration())
            self._animation.stop()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.finish_animation()
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # A quick second click (walk, then open the new centre) arrives as a double click.
        self.finish_animation()
        self._press = event.position()
        super().mouseDoubleClickEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._press is None or (event.position() - self._press).manhattanLength() > 6:
            return  # a drag, not a click
        self._press = None
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.more_item is not None and self.more_item in self.items(event.position().toPoint()):
            self.moreRequested.emit()
            return
        node = self.node_at(event.position())
        if node is not None:
            self.activate(node)

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.scale(factor, factor)

    def selected(self) -> NodeItem | None:
        chosen = [item for item in self.scene().selectedItems() if isinstance(item, NodeItem)]
        return chosen[0] if chosen else self.nodes.get(self.centre)

    def select(self, node: NodeItem) -> None:
        self.scene().clearSelection()
        node.setSelected(True)
        self.ensureVisible(node)

    def move_selection(self, dx: float, dy: float) -> None:
        """Select the nearest node in the arrow's direction (within 60 degrees of it)."""
        current = self.selected()
        if current is None:
            return
        origin = current.pos()
        best, best_score = None, math.inf
        for node in self.nodes.values():
            delta = node.pos() - origin
            along = delta.x() * dx + delta.y() * dy
            distance = math.hypot(delta.x(), delta.y())
            if node is current or along <= 0 or along < distance * 0.5:
                continue
            score = distance * (2 - along / distance)
            if score < best_score:
                best, best_score = node, score
        if best is not None:
            self.select(best)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.finish_animation()
        key = event.key()
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
                  Qt.Key.Key_Down: (0, 1)}
        if key in arrows and not event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.move_selection(*arrows[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (node := self.selected()) is not None:
            self.walkRequested.emit(node.node.item)
        elif key == Qt.Key.Key_Space and (node := self.selected()) is not None:
            self.openRequested.emit(node.node.item)
        elif key == Qt.Key.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)
