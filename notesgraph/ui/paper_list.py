"""The navigator's Papers list: every paper by year (newest first, then most cited), as
"2022 · Webson & Pavlick · Title · 4", with filters: words (title, authors, venue, year, key)
and which papers (all, cited by your notes, only in your library)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from notesgraph.model import item_id
from notesgraph.parsing.library import short_authors
from notesgraph.store import Store
from notesgraph.ui.navigator_lists import ItemList

SHOWN = {"all": "All papers", "cited": "Cited by notes", "library": "Only in library"}


def paper_row_text(paper: dict[str, Any]) -> str:
    """What a row shows: year, first authors and the title (missing parts left out)."""
    authors = short_authors(json.loads(paper["authors"]))
    return " · ".join(x for x in (str(paper["year"] or ""), authors, paper["title"]) if x)


class PaperPanel(QWidget):
    """Filter box, which-papers choice and the list; emits `itemChosen(item id)`."""

    itemChosen = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.papers: list[dict[str, Any]] = []
        self.filter = QLineEdit(placeholderText="Filter: title, author, venue, year")
        self.filter.setClearButtonEnabled(True)
        self.shown = QComboBox()
        for key, label in SHOWN.items():
            self.shown.addItem(label, key)
        self.list = ItemList()
        self.list.itemChosen.connect(self.itemChosen)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.filter, 1)
        row.addWidget(self.shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        self.filter.textChanged.connect(lambda _: self.apply())
        self.shown.currentIndexChanged.connect(lambda _: self.apply())

    def refresh(self) -> None:
        """Reload the papers from the store, then apply the filters."""
        self.papers = self.store.papers_by_year()
        self.apply()

    def apply(self) -> None:
        words = self.filter.text().casefold().split()
        which = self.shown.currentData()
        rows = []
        for paper in self.papers:
            if (which == "cited" and not paper["notes"]) or (which == "library" and paper["notes"]):
                continue
            text = paper_row_text(paper)
            haystack = f"{text} {paper['venue']} {paper['citation_key']} {paper['authors']}".casefold()
            if all(word in haystack for word in words):
                rows.append((item_id("paper", paper["id"]), "paper", text, paper["notes"]))
        self.list.fill(rows)

    def count(self) -> int:
        return self.list.count()
