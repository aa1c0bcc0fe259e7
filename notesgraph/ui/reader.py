"""The reader: one item (note, inquiry, paper or concept stub) as rendered HTML.

Every item in the page is a link; clicking it asks the window to walk there. Links a note
brings (http/https only) open in the system browser; nothing else is followed.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import QTextBrowser, QWidget

from notesgraph.config import asset_text
from notesgraph.reader_html import parse_href

STYLE = asset_text("reader.css")
"""The reader's style sheet, from assets/reader.css."""


class Reader(QTextBrowser):
    """Shows one page; emits `itemActivated(item_id)`, `createRequested(title)`,
    `runRequested(spec)`, `cancelRequested(run_id)`, `replicateRequested(spec)`, `imageRequested(path)`,
    `reportRequested(run_id)`, `citeRequested(item)` and `refreshRequested()` (a folded part
    toggled: `expanded` holds the open ones; or a page with a plot changed width:
    `content_width` is the width to draw it at)."""

    itemActivated = Signal(str)
    createRequested = Signal(str)
    runRequested = Signal(str)  # "experiment:quick:claim id"
    cancelRequested = Signal(int)  # run id
    replicateRequested = Signal(str)  # "experiment:claim id": open the run dialog
    refreshRequested = Signal()  # a folded part opened or closed, or the width changed: render again
    imageRequested = Signal(str)  # an image's path: show it full size
    reportRequested = Signal(int)  # run id: its report in a window of its own
    citeRequested = Signal(str)  # an item id: copy the BibTeX of its papers

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.document().setDefaultStyleSheet(STYLE)
        self.anchorClicked.connect(self._follow)
        self.current_item = ""
        self.expanded: set[str] = set()
        """keys of the folded parts shown open (e.g. "verdicts:3"); kept across pages"""
        self._width_timer = QTimer(self, singleShot=True, interval=250)
        self._width_timer.timeout.connect(self._width_settled)
        self._drawn_width = self.content_width()
        self._has_image = False
        self._kept_scroll: int | None = None
        """where a refreshed page should stay, until the reader scrolls (see show_page)"""
        self.verticalScrollBar().rangeChanged.connect(self._keep_place)
        self.verticalScrollBar().actionTriggered.connect(lambda _: setattr(self, "_kept_scroll", None))
        self.setPlaceholderText("Click the centre of the graph, or pick an item on the left, to read it here.")

    def show_page(self, item: str, page_html: str) -> None:
        """Show `page_html` for `item`; the same item shown again (refreshed after a re-index,
        Create note, new similarities) keeps its scroll position, another starts at the top."""
        bar = self.verticalScrollBar()
        scroll = bar.value() if item == self.current_item else 0
        if item == self.current_item and self._kept_scroll is not None:
            scroll = self._kept_scroll  # a refresh before the last one settled
        self.current_item = item
        self._has_image, self._drawn_width = "<img" in page_html, self.content_width()
        self.setHtml(page_html)
        self._kept_scroll = scroll or None
        bar.setValue(scroll)
        if scroll:  # layout settles within a few event-loop turns; then scrolling is the reader's
            QTimer.singleShot(1000, self, lambda kept=self._kept_scroll: self._settled(kept))

    def _settled(self, kept: int | None) -> None:
        if self._kept_scroll == kept:
            self._kept_scroll = None

    def _keep_place(self, _low: int, high: int) -> None:
        """The scroll range grows as the new page is laid out (lazily, after setHtml): hold the
        kept position until layout settles or the reader scrolls themselves."""
        if self._kept_scroll is not None:
            self.verticalScrollBar().setValue(min(self._kept_scroll, high))

    def content_width(self) -> int:
        """The width a plot should be drawn at to fill the page (at least 300 px), room left for
        the scroll bar whether it shows or not (so drawing the page does not change it)."""
        room = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width()
        return max(300, room - 2 * int(self.document().documentMargin()) - 4)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        """A page with a plot is drawn again at the new width once resizing pauses."""
        super().resizeEvent(event)
        if self._has_image:
            self._width_timer.start()

    def _width_settled(self) -> None:
        if abs(self.content_width() - self._drawn_width) > 8:
            self._drawn_width = self.content_width()
            self.refreshRequested.emit()

    def _follow(self, url: QUrl) -> None:
        kind, target = parse_href(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
        if kind == "item":
            self.itemActivated.emit(target)
        elif kind == "create":
            self.createRequested.emit(target)
        elif kind == "run":
            self.runRequested.emit(target)
        elif kind == "cancel":
            self.cancelRequested.emit(int(target))
        elif kind == "replicate":
            self.replicateRequested.emit(target)
        elif kind == "expand":
            self.expanded.symmetric_difference_update({target})
            self.refreshRequested.emit()
        elif kind == "view":
            self.imageRequested.emit(target)
        elif kind == "report":
            self.reportRequested.emit(int(target))
        elif kind == "cite":
            self.citeRequested.emit(target)
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)
