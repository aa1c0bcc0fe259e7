"""The main window's walk: the history of centred items, Back and Forward, and keeping it
across launches.

A mixin of MainWindow, kept apart so the window module stays about layout. It uses the
window's graph, reader, settings, folder, status bar, redraw() and open_item(); when the
reader shows the centre, Back and Forward take it along. The history (the last
50 items and where in it the walk stands) is saved on close with the folder it belongs to and
read back by a new window on the same folder; items gone from the graph by then are dropped
when indexing finishes.
"""

from __future__ import annotations

from typing import Any

from notesgraph.ui import graph_bridge

DEFAULT_CAP = 60
KEPT_HISTORY = 50
"""Items of the walk saved on close."""


class HistoryMixin:
    """Walking for MainWindow (see the module docstring for what it relies on)."""

    history: list[str]
    position: int
    cap: int
    graph: Any
    settings: Any
    reader: Any

    @property
    def current(self) -> str | None:
        return self.history[self.position] if 0 <= self.position < len(self.history) else None

    def walk(self, item: str) -> None:
        """Make `item` the centre of the view, recording it in the history. Items the graph
        does not hold (a run that tests no stored claim; a claim while the graph is being
        built) open in the reader."""
        item = graph_bridge.shown_item(self.graph, item)
        if item.startswith(("claim:", "run:")) and not graph_bridge.has_item(self.graph, item):
            self.open_item(item)
            return
        if self.graph is None or not graph_bridge.has_item(self.graph, item):
            self.statusBar().showMessage(f"{item} is not in the graph", 5000)
            return
        if item != self.current:
            del self.history[self.position + 1:]
            self.history.append(item)
            self.position = len(self.history) - 1
            self.cap = DEFAULT_CAP
        self.redraw()

    def back(self) -> None:
        """One step back; when the reader shows the centre, it follows (Back returns to the page)."""
        if self.position > 0:
            self._step(-1)

    def forward(self) -> None:
        if self.position < len(self.history) - 1:
            self._step(1)

    def _step(self, by: int) -> None:
        follows = self.current is not None and self.reader.current_item == self.current
        self.position += by
        self.redraw()
        if follows and self.current is not None:
            self.open_item(self.current)

    def save_history(self) -> None:
        """Keep the last KEPT_HISTORY items, the position in them and their folder."""
        start = max(0, len(self.history) - KEPT_HISTORY)
        self.settings.setValue("history", self.history[start:])
        self.settings.setValue("history_position", max(self.position - start, -1))
        self.settings.setValue("history_folder", str(self.folder))
        self.settings.setValue("current", self.current or "")

    def restore_history(self) -> None:
        """The walk saved by the last window on this folder (ids name other things in another)."""
        if str(self.settings.value("history_folder", "")) != str(self.folder):
            return
        saved = self.settings.value("history") or []
        history = [saved] if isinstance(saved, str) else [str(item) for item in saved]  # INI: one item is a str
        try:
            position = int(self.settings.value("history_position", len(history) - 1))
        except (TypeError, ValueError):
            position = len(history) - 1
        self.history = history
        self.position = min(max(position, -1), len(history) - 1)

    def prune_history(self) -> None:
        """Drop items the graph no longer holds (a deleted note), keeping the position on the
        same item or the nearest earlier one. One pass over the history."""
        kept: list[str] = []
        position = -1
        for index, item in enumerate(self.history):
            if graph_bridge.has_item(self.graph, item):
                kept.append(item)
            if index == self.position:
                position = len(kept) - 1
        self.history, self.position = kept, position


__all__ = ["DEFAULT_CAP", "HistoryMixin"]
