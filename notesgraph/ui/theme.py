"""Light and dark themes from assets/: the Qt palette and the graph's colours
(assets/palettes.json) and a style sheet per theme (assets/qss/<theme>.qss).

"system" follows the desktop's colour scheme (light when it says nothing). Applying a theme
sets the application's style, palette and style sheet: every widget repolishes, so it
costs a few milliseconds per hundred widgets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from notesgraph.config import asset_path, asset_text

THEMES = ("system", "light", "dark")


@dataclass(frozen=True)
class GraphColours:
    """What the neighbourhood view paints with."""

    canvas: QColor
    text: QColor
    label_background: QColor
    edge: QColor
    highlight: QColor
    dimmed_opacity: float


@cache
def _palettes() -> dict[str, Any]:
    return json.loads(asset_text("palettes.json"))


def _colour(text: str) -> QColor:
    """#rrggbb or #rrggbbaa (CSS order; Qt reads 8 digits as #aarrggbb)."""
    if len(text) == 9:
        colour = QColor(text[:7])
        colour.setAlpha(int(text[7:], 16))
        return colour
    return QColor(text)


def resolve(name: str) -> str:
    """"light" or "dark" for a theme name ("system" asks the desktop)."""
    if name in ("light", "dark"):
        return name
    hints = QGuiApplication.styleHints() if QGuiApplication.instance() is not None else None
    if hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark:
        return "dark"
    return "light"


_current = "light"


def current() -> str:
    """The theme last applied ("light" before any)."""
    return _current


def graph_colours(name: str | None = None) -> GraphColours:
    """The graph colours of theme `name` (default: the current one)."""
    graph = _palettes()[resolve(name or _current)]["graph"]
    return GraphColours(_colour(graph["canvas"]), _colour(graph["text"]), _colour(graph["label_background"]),
                        _colour(graph["edge"]), _colour(graph["highlight"]), float(graph["dimmed_opacity"]))


def palette(name: str) -> QPalette:
    """The Qt palette of theme `name`."""
    result = QPalette()
    for role, value in _palettes()[resolve(name)]["qt"].items():
        result.setColor(getattr(QPalette.ColorRole, role), _colour(value))
    return result


def app_icon() -> QIcon:
    return QIcon(str(asset_path("icons/app.svg")))


def kind_icon(kind: str) -> QIcon:
    """The kind's icon from assets/icons (an unknown kind: the note icon)."""
    try:
        return QIcon(str(asset_path(f"icons/{kind}.svg")))
    except FileNotFoundError:
        return QIcon(str(asset_path("icons/note.svg")))


def apply(app: QApplication, name: str) -> str:
    """Give `app` the Fusion style, theme `name`'s palette and style sheet; returns "light"
    or "dark"."""
    global _current
    resolved = resolve(name)
    _current = resolved
    app.setStyle("Fusion")
    app.setPalette(palette(resolved))
    app.setStyleSheet(asset_text(f"qss/{resolved}.qss"))
    return resolved
