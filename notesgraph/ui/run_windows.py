"""Windows of their own for what a run page cannot fit: its plot at full size and its
report (tables 8-10 columns wide). Plain widgets, no state; each window is closed by its user
and deleted then. Costs one pixmap or one rendered document.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QTextBrowser, QVBoxLayout, QWidget


def _window(parent: QWidget, title: str, content: QWidget, width: int, height: int) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(content)
    screen = parent.screen().availableGeometry() if parent.screen() else None
    if screen is not None:
        width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
    dialog.resize(width, height)
    dialog.show()
    return dialog


def show_image(parent: QWidget, path: str) -> QDialog:
    """The image at `path` at its own size (scrolling when the screen is smaller)."""
    label = QLabel()
    pixmap = QPixmap(path)
    label.setPixmap(pixmap)
    if pixmap.isNull():
        label.setText(f"Cannot read {path}")
    scroll = QScrollArea()
    scroll.setWidget(label)
    scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return _window(parent, Path(path).name, scroll, pixmap.width() + 24, pixmap.height() + 24)


def show_report(parent: QWidget, title: str, page_html: str) -> QDialog:
    """A run's report as HTML in a wide window (links are not followed)."""
    browser = QTextBrowser()
    browser.setOpenLinks(False)
    browser.setHtml(page_html)
    return _window(parent, title, browser, 1200, 860)


__all__ = ["show_image", "show_report"]
