"""The neighbourhood view is readable (issue 15): real widgets, offscreen, on a copy of the
bundled notes, centred on the main note. Labels are measured in viewport pixels."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QGraphicsItem

from notesgraph.clusters import cluster_id
from notesgraph.ui import theme
from notesgraph.ui.main_window import MainWindow
from notesgraph.ui.neighbourhood_view import LabelItem, NeighbourhoodView
from ui.test_main_window import MAIN_TITLE, click_node, note_item
from ui.test_main_window import window  # noqa: F401 - the fixture

CLUSTER = cluster_id("inquiry", 1)


def settle(qtbot, view: NeighbourhoodView) -> None:
    """Let the walk animation end and the coalesced label placement run."""
    view.finish_animation()
    qtbot.waitUntil(lambda: not view._placer.isActive(), timeout=5000)


def set_depth(qtbot, win: MainWindow, depth: int) -> None:
    win.depth.setValue(depth)
    settle(qtbot, win.view)


def point_of(view: NeighbourhoodView, item: str) -> QPoint:
    return view.mapFromScene(view.nodes[item].scenePos())


def assert_labels_apart(view: NeighbourhoodView) -> list[LabelItem]:
    """No two visible labels share a pixel, no label covers another node, every label is
    horizontal, unscaled and at least 10 pt. Returns the visible labels."""
    labels = view.visible_labels()
    rects = {label: view.label_rect(label) for label in labels}
    for a, b in itertools.combinations(labels, 2):
        assert not rects[a].intersects(rects[b]), (a.text, b.text, rects[a], rects[b])
    scale = view.zoom()
    for label in labels:
        assert label.rotation() == 0 and label.transform().isIdentity()
        assert label.flags() & QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
        assert label.font().pointSizeF() >= 10 and QFontInfo(label.font()).pointSizeF() >= 9.5
        assert rects[label].height() >= label.height - 0.01  # the same pixels at any zoom
        if label.owner.node.centre:
            continue  # always shown, even where nothing is free
        for node in view.nodes.values():
            if node is not label.owner:
                at, radius = view.viewportTransform().map(node.scenePos()), node.radius * scale
                square = QRectF(at.x() - radius, at.y() - radius, 2 * radius, 2 * radius)
                assert not rects[label].intersects(square), (label.text, node.node.label)
    return labels


def test_labels_are_horizontal_readable_and_never_overlap_at_depth_1_and_2(qtbot, window: MainWindow) -> None:
    view = window.view
    seen = {}
    for depth in (1, 2):
        set_depth(qtbot, window, depth)
        labels = assert_labels_apart(view)
        seen[depth] = len(labels)
        assert view.nodes[window.current].label in labels  # the centre is always labelled
        assert MAIN_TITLE.startswith(view.nodes[window.current].label.text.rstrip("…"))
        # Zoomed in, nodes spread apart: more labels find room, still none overlapping.
        view.scale(2.5, 2.5)
        view.centerOn(view.nodes[window.current])
        settle(qtbot, view)
        closer = assert_labels_apart(view)
        assert any(label.text != label.full_text for label in labels)  # long titles are elided
        assert len(closer) >= 1
        view.fit()
        settle(qtbot, view)
    assert seen[1] >= 15 and seen[2] >= 25, seen


def test_more_labels_show_as_you_zoom_in(qtbot, window: MainWindow) -> None:
    view = window.view
    set_depth(qtbot, window, 2)
    fitted = {label.owner.node.item for label in view.visible_labels()}
    whole = {label.owner.node.item for label in view.visible_labels() if label.text == label.full_text}
    view.scale(3, 3)
    zoomed: set[str] = set()
    zoomed_whole: set[str] = set()
    for item in list(view.nodes):  # pan over the picture, as a reader would
        view.centerOn(view.nodes[item])
        settle(qtbot, view)
        zoomed |= {label.owner.node.item for label in view.visible_labels()}
        zoomed_whole |= {label.owner.node.item for label in view.visible_labels() if label.text == label.full_text}
        assert_labels_apart(view)
    assert len(zoomed) > len(fitted) and len(zoomed_whole) > len(whole)


def test_legend_lists_every_kind_shown_and_the_edge_styles(qtbot, window: MainWindow) -> None:
    view = window.view
    settle(qtbot, view)
    assert view.legend.isVisible() and view.legend.width() > 100 and view.legend.height() > 80
    shown = {node.node.kind for node in view.nodes.values()}
    assert set(view.legend.kinds) == shown and {"note", "paper", "inquiry"} <= shown
    assert "Similar in meaning" in view.legend.entries and any(e.startswith("Link") for e in view.legend.entries)
    assert any("cluster" in e for e in view.legend.entries)
    window.filters["paper"].setChecked(False)
    settle(qtbot, view)
    assert "paper" not in view.legend.kinds and "note" in view.legend.kinds
    labels = [view.label_rect(label) for label in view.visible_labels()]
    legend = view.legend.geometry().translated(-view.viewport().x(), -view.viewport().y())
    assert not any(rect.intersects(legend) for rect in labels)  # labels keep clear of the legend


def test_inquiries_collapse_into_a_cluster_that_expands_on_click(qtbot, window: MainWindow) -> None:
    view = window.view
    main = window.current
    assert main == note_item(window, MAIN_TITLE)
    settle(qtbot, view)
    assert CLUSTER in view.nodes
    cluster = view.nodes[CLUSTER]
    assert cluster.node.count >= 20 and cluster.label.isVisible()
    assert cluster.label.text == f"{cluster.node.count} inquiries"
    single = [item for item in view.nodes if item.startswith("inquiry:")]
    assert 1 <= len(single) <= 3
    assert any(e.edge.source == main and e.edge.target == CLUSTER for e in view.edges)
    click_node(qtbot, window, CLUSTER)
    settle(qtbot, view)
    assert window.current == main and CLUSTER not in view.nodes
    assert len([item for item in view.nodes if item.startswith("inquiry:")]) == len(single) + cluster.node.count
    assert_labels_apart(view)
    # A walk closes it again.
    other = note_item(window, "Can models pass tests while missing the actual grammar?")
    window.walk(other)
    window.walk(main)
    settle(qtbot, view)
    assert CLUSTER in view.nodes


def test_hovering_a_node_brings_out_its_edges_and_neighbours(qtbot, window: MainWindow) -> None:
    view = window.view
    settle(qtbot, view)
    item = note_item(window, "Can models pass tests while missing the actual grammar?")
    node = view.nodes[item]
    qtbot.mouseMove(view.viewport(), QPoint(5, view.viewport().height() - 5))
    qtbot.mouseMove(view.viewport(), point_of(view, item))
    qtbot.waitUntil(lambda: view.hovered is node, timeout=3000)
    near = {e.edge.source for e in node.edges} | {e.edge.target for e in node.edges}
    colours = theme.graph_colours()
    for edge in view.edges:
        if node in (edge.source, edge.target):
            assert edge.pen().color() == colours.highlight and edge.pen().widthF() > 2 and edge.opacity() == 1
        else:
            assert edge.opacity() < 0.5
    others = [n for key, n in view.nodes.items() if key not in near]
    assert others and all(n.opacity() < 0.5 for n in others)
    assert all(view.nodes[key].opacity() == 1 for key in near)
    assert node.label.isVisible()  # the hovered node is always labelled
    qtbot.mouseMove(view.viewport(), QPoint(5, view.viewport().height() - 5))
    qtbot.waitUntil(lambda: view.hovered is None, timeout=3000)
    assert all(n.opacity() == 1 for n in view.nodes.values())


def test_more_button_is_readable_and_shows_more(qtbot, window: MainWindow) -> None:
    view = window.view
    set_depth(qtbot, window, 2)
    button = view.more_button
    assert button.isVisible() and button.text().startswith("+") and "more" in button.text()
    assert QFontInfo(button.font()).pointSizeF() >= 9 and button.height() >= 20
    before, cap = len(view.nodes), window.cap
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert window.cap == 2 * cap and len(view.nodes) > before
    assert_labels_apart(view)


def test_the_same_input_draws_the_same_picture(qtbot, window: MainWindow) -> None:
    view = window.view

    def picture() -> dict[str, tuple]:
        settle(qtbot, view)
        return {item: (node.pos().toTuple(), node.label.isVisible(), view.label_rect(node.label).getRect(),
                       node.label.text) for item, node in view.nodes.items()}

    first = picture()
    window.redraw(animate=False)
    assert picture() == first


def test_dark_theme_recolours_the_canvas_and_labels(qtbot, window: MainWindow) -> None:
    app = QApplication.instance()
    saved = (app.styleSheet(), app.palette(), app.style().name(), theme.current())
    try:
        window.dark_action.trigger()
        settle(qtbot, window.view)
        dark = theme.graph_colours("dark")
        assert theme.current() == "dark" and window.view.backgroundBrush().color() == dark.canvas
        assert all(label.colour == dark.text for label in window.view.visible_labels())
        assert app.palette().color(app.palette().ColorRole.Window).lightness() < 80
        window.dark_action.trigger()
        assert window.view.backgroundBrush().color() == theme.graph_colours("light").canvas
    finally:
        app.setStyleSheet(saved[0])
        app.setPalette(saved[1])
        app.setStyle(saved[2])
        theme._current = saved[3]  # noqa: SLF001 - leave the app as the other tests expect it
