"""The neighbourhood view: the current item in the middle, its neighbours around it.

A QGraphicsView over plain data (`ViewNode`, `ViewEdge`); the window turns graph queries into
that data. Click a node to walk, click the centre to open it, click a cluster to expand it;
wheel zooms, drag pans; arrows move the selection, Enter walks, Space opens. Hovering a node
brings out its edges and neighbours. A walk animates from the old picture to the new one so
the eye can follow.

Labels keep their pixel size at any zoom and are re-placed (`label_placement`) whenever the
view's scale, scroll or size changes, coalesced into one pass per event-loop turn: ~2 ms
for 60 nodes, ~10 ms for 250.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QTimer, QVariantAnimation, Signal
from PySide6.QtGui import QBrush, QFontMetricsF, QKeyEvent, QMouseEvent, QPainter, QResizeEvent, QTransform, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from notesgraph.clusters import is_cluster
from notesgraph.ui import theme
from notesgraph.ui.graph_items import (
    TOOLTIP_WIDTH,
    EdgeItem,
    LabelItem,
    NodeItem,
    ViewEdge,
    ViewNode,
    label_font,
    shape_path,
    wrapped_tooltip,
)
from notesgraph.ui.graph_overlay import GraphLegend, MoreButton, viewport_rect
from notesgraph.ui.label_placement import LabelRequest, place_labels

__all__ = ["NeighbourhoodView", "NodeItem", "EdgeItem", "LabelItem", "ViewNode", "ViewEdge", "TOOLTIP_WIDTH",
           "shape_path", "wrapped_tooltip"]

MAX_SCALE = 1.6
"""Fit never blows a small neighbourhood up beyond this."""
ZOOM_RANGE = (0.08, 6.0)
LABEL_ROOM = 230
"""Pixels kept free left and right of the outermost nodes when fitting (their labels)."""


class NeighbourhoodView(QGraphicsView):
    """Draws a neighbourhood and reports clicks: `walkRequested(item)`, `openRequested(item)`,
    `expandRequested(cluster)` and `moreRequested()` (the "+N more" button)."""

    walkRequested = Signal(str)
    openRequested = Signal(str)
    expandRequested = Signal(str)
    moreRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.nodes: dict[str, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self._xy: dict[str, tuple[float, float]] = {}
        self._final: dict[str, tuple[float, float]] = {}
        self.centre = ""
        self.hovered: NodeItem | None = None
        self.colours = theme.graph_colours()
        self._animation: QVariantAnimation | None = None
        self._press: QPointF | None = None
        self.fitted = True
        """The view shows the fitted picture (no zoom or pan since): a resize fits again."""
        self.legend = GraphLegend(self)
        self.more_button = MoreButton(self)
        self.more_button.clicked.connect(self.moreRequested.emit)
        self._placer = QTimer(self, singleShot=True, interval=0)
        self._placer.timeout.connect(self.place_labels)
        self._selected: list[NodeItem] = []
        self.scene().selectionChanged.connect(self._selection_changed)
        self.apply_colours()

    # -- drawing -----------------------------------------------------------------------------

    def apply_colours(self) -> None:
        """Take the current theme's canvas colours (call after a theme change, then redraw)."""
        self.colours = theme.graph_colours()
        self.setBackgroundBrush(QBrush(self.colours.canvas))

    def show_neighbourhood(self, nodes: list[ViewNode], edges: list[ViewEdge], omitted: int = 0,
                           animate: bool = True) -> None:
        """Replace the picture. Nodes already shown glide from their old place to the new one."""
        old = dict(self._xy)
        old_centre = old.get(next((n.item for n in nodes if n.centre), ""), (0.0, 0.0))
        scene = self.scene()
        if self._animation is not None:
            self._animation.stop()
        self.hovered = None
        self._selected = []
        scene.clear()
        self.nodes = {}
        self._xy = {node.item: (node.x, node.y) for node in nodes}
        self._final = dict(self._xy)
        colours = self.colours
        fonts = {centre: label_font(centre) for centre in (False, True)}
        metrics = {centre: QFontMetricsF(font) for centre, font in fonts.items()}
        for node in nodes:
            item = NodeItem(node)
            scene.addItem(item)
            item.setPos(node.x, node.y)
            item.label = LabelItem(item, node.label, colours.text, colours.label_background,
                                   fonts[node.centre], metrics[node.centre])
            scene.addItem(item.label)
            item.label.setPos(node.x, node.y)
            self.nodes[node.item] = item
            if node.centre:
                self.centre = node.item
        self.edges = []
        for edge in edges:
            if edge.source in self.nodes and edge.target in self.nodes:
                line = EdgeItem(edge, self.nodes[edge.source], self.nodes[edge.target], colours.edge)
                scene.addItem(line)
                self.edges.append(line)
        self.legend.show_kinds([n.kind for n in nodes], any(n.count for n in nodes), colours.text)
        self.more_button.set_omitted(omitted)
        self._anchor_overlays()
        self.fit()
        if animate and old:
            self._glide({item: old.get(item, old_centre) for item in self.nodes})

    def _glide(self, start: dict[str, tuple[float, float]]) -> None:
        targets = self._final
        animation = QVariantAnimation(self, startValue=0.0, endValue=1.0, duration=260)
        animation.setEasingCurve(QEasingCurve.Type.OutCubic)

        def step(t: float) -> None:
            xy = self._xy
            for item, node in self.nodes.items():
                (ax, ay), (bx, by) = start[item], targets[item]
                xy[item] = (ax + (bx - ax) * t, ay + (by - ay) * t)
                node.setPos(*xy[item])
                node.label.setPos(*xy[item])  # type: ignore[union-attr]
            for edge in self.edges:  # nodes do not notify their edges: one pass is cheaper
                edge.follow(xy)

        step(0.0)

        animation.valueChanged.connect(step)
        animation.finished.connect(lambda: step(1.0))
        self._animation = animation
        animation.start()

    def node_bounds(self) -> QRectF:
        """The rectangle (scene units) the nodes' final positions and shapes cover."""
        if not self._final:
            return QRectF(-50, -50, 100, 100)
        xs = [x for x, _ in self._final.values()]
        ys = [y for _, y in self._final.values()]
        return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).adjusted(-30, -30, 30, 30)

    def fit(self) -> None:
        """Fit the whole neighbourhood in view with room for the labels (also the F key)."""
        bounds = self.node_bounds()
        width, height = max(self.viewport().width(), 200), max(self.viewport().height(), 200)
        room_x = min(LABEL_ROOM, width * 0.22)
        scale = min((width - 2 * room_x) / bounds.width(), (height - 50) / bounds.height(), MAX_SCALE)
        self._set_scale(scale)
        self.centerOn(bounds.center())
        self.fitted = True
        self._placer.start()

    def _set_scale(self, scale: float) -> None:
        scale = min(max(scale, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        bounds = self.node_bounds()
        # Room to pan and centre anywhere: the scene reaches a screen beyond the nodes.
        reach = max(self.viewport().width(), self.viewport().height()) / scale
        self.setSceneRect(bounds.adjusted(-reach, -reach, reach, reach))
        self.setTransform(QTransform.fromScale(scale, scale))

    def zoom(self) -> float:
        return self.transform().m11()

    # -- labels ------------------------------------------------------------------------------

    def _priority(self) -> list[NodeItem]:
        """Nodes in label priority: the centre, then ring by ring, clusters first, then in the
        neighbourhood's order (nearest and strongest first)."""
        order = list(self.nodes.values())
        rank = {id(n): i for i, n in enumerate(order)}
        return sorted(order, key=lambda n: (not n.node.centre, n.node.depth, not n.node.count, rank[id(n)]))

    def place_labels(self) -> None:
        """Show each label where it overlaps no other label, node or overlay; hide the rest.
        The centre, the hovered and the selected node are always labelled."""
        transform = self.viewportTransform()
        scale = transform.m11()
        centre_x = self._final.get(self.centre, (0.0, 0.0))[0]
        width, height = self.viewport().width(), self.viewport().height()
        requests, obstacles = [], []
        for node in self._priority():
            x, y = self._final[node.node.item]
            at = transform.map(QPointF(x, y))
            radius = node.radius * scale + (6 if node.node.count else 0)
            label = node.label
            assert label is not None
            if not (-LABEL_ROOM < at.x() < width + LABEL_ROOM and -40 < at.y() < height + 40):
                label.hide()  # off screen: its label cannot be seen anyway
                continue
            obstacles.append((node.node.item, (at.x() - radius, at.y() - radius, 2 * radius, 2 * radius)))
            side = 0 if node.node.centre else (1 if x >= centre_x else -1)
            must = node.node.centre or node is self.hovered or node.isSelected()
            requests.append(LabelRequest(node.node.item, at.x(), at.y(), radius, label.widths, label.height,
                                         side, must))
        for widget in (self.legend, self.more_button):
            rect = viewport_rect(widget, self.viewport())
            if not rect.isEmpty():
                obstacles.append(("", (rect.x(), rect.y(), rect.width(), rect.height())))
        placed = {p.key: p for p in place_labels(requests, obstacles, (0, 0, width, height))}
        for request in requests:
            label = self.nodes[request.key].label
            assert label is not None
            spot = placed.get(request.key)
            if spot is None:
                label.hide()
                continue
            left, top, _, _ = spot.rect
            label.place(left - request.x, top - request.y, spot.width_index)
            label.show()

    def visible_labels(self) -> list[LabelItem]:
        return [n.label for n in self.nodes.values() if n.label is not None and n.label.isVisible()]

    def label_rect(self, label: LabelItem) -> QRectF:
        """A label's rectangle in viewport pixels."""
        return label.deviceTransform(self.viewportTransform()).mapRect(label.boundingRect())

    def _selection_changed(self) -> None:
        chosen = [item for item in self.scene().selectedItems() if isinstance(item, NodeItem)]
        for node in {*self._selected, *chosen}:
            node.update_pen()
        self._selected = chosen

    # -- overlays ----------------------------------------------------------------------------

    def _anchor_overlays(self) -> None:
        area = self.viewport().geometry()
        self.legend.move(area.left() + 8, area.top() + 8)
        self.more_button.move(area.left() + 8, area.bottom() - self.more_button.height() - 8)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._anchor_overlays()
        if self.fitted:
            self.fit()
        self._placer.start()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._placer.start()

    # -- hover -------------------------------------------------------------------------------

    def set_hovered(self, node: NodeItem | None) -> None:
        """Bring out `node`'s edges and neighbours and dim the rest (None: all back)."""
        if node is self.hovered:
            return
        if self.hovered is not None:
            self.hovered.hovered = False
            self.hovered.update_pen()
        self.hovered = node
        near: set[str] = set()
        if node is not None:
            node.hovered = True
            node.update_pen()
            near = {node.node.item} | {e.edge.source for e in node.edges} | {e.edge.target for e in node.edges}
        dim = self.colours.dimmed_opacity
        for item, shown in self.nodes.items():
            opacity = 1.0 if node is None or item in near else dim
            shown.setOpacity(opacity)
            if shown.label is not None:
                shown.label.setOpacity(opacity)
        for edge in self.edges:
            touches = node is not None and node in (edge.source, edge.target)
            edge.emphasise(self.colours.highlight if touches else None)
            edge.setOpacity(1.0 if node is None or touches else dim)
        self.place_labels()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if not event.buttons():
            self.set_hovered(self.node_at(event.position()))

    def leaveEvent(self, event: object) -> None:
        super().leaveEvent(event)  # type: ignore[arg-type]
        self.set_hovered(None)

    # -- interaction -------------------------------------------------------------------------

    def node_at(self, position: QPointF) -> NodeItem | None:
        """The node under a point: a node's own shape wins over another node's label."""
        hits = self.items(position.toPoint())
        for item in hits:
            if isinstance(item, NodeItem):
                return item
        for item in hits:
            if isinstance(item, LabelItem):
                return item.owner
            if isinstance(item.parentItem(), NodeItem):
                return item.parentItem()  # type: ignore[return-value]
        return None

    def activate(self, node: NodeItem) -> None:
        """What a click does: the centre opens, a cluster expands, any other node becomes the centre."""
        if node.node.item == self.centre:
            self.openRequested.emit(node.node.item)
        elif is_cluster(node.node.item):
            self.expandRequested.emit(node.node.item)
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
            self.fitted = self.fitted and self._press is None
            return  # a drag, not a click
        self._press = None
        if event.button() != Qt.MouseButton.LeftButton:
            return
        node = self.node_at(event.position())
        if node is not None:
            self.activate(node)

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        scale = min(max(self.zoom() * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        self.scale(scale / self.zoom(), scale / self.zoom())
        self.fitted = False
        self._placer.start()

    def selected(self) -> NodeItem | None:
        chosen = [item for item in self.scene().selectedItems() if isinstance(item, NodeItem)]
        return chosen[0] if chosen else self.nodes.get(self.centre)

    def select(self, node: NodeItem) -> None:
        self.scene().clearSelection()
        node.setSelected(True)
        self.ensureVisible(node)
        self._placer.start()

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
            self.activate(node) if is_cluster(node.node.item) else self.walkRequested.emit(node.node.item)
        elif key == Qt.Key.Key_Space and (node := self.selected()) is not None:
            self.openRequested.emit(node.node.item)
        elif key == Qt.Key.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)
