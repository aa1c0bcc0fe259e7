"""The navigator's Claims list: claims grouped under their note's title, each row wrapped to
show its status, its sentence and the experiments that can test it, with a "testable" filter.

Rows come from `claims_by_note` (the store's claims plus a few regexes per experiment); a
group header is its note (clicking it opens the note). Rows wrap, so they are not uniform in
height: fine for hundreds of claims, the Notes list keeps uniform rows for 30,000.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QCheckBox, QListView, QVBoxLayout, QWidget

from notesgraph.kinds import elide
from notesgraph.model import item_id
from notesgraph.store import Store
from notesgraph.ui.navigator_lists import ItemList, ItemListModel

BADGE = {"untested": "○", "consistent": "✔", "inconsistent": "✘", "inconclusive": "?", "stale": "⟳"}
HEADER = "header"
"""The kind of a group's row (its item is the note's id)."""
SHOWN_CHARACTERS = 180
"""A claim's sentence is elided past this in its row (whole in the tooltip)."""


class GroupedModel(ItemListModel):
    """Rows of claims with their notes' titles as bold, shaded group headers."""

    def __init__(self) -> None:
        super().__init__()
        self.tips: dict[str, str] = {}
        """item -> its tooltip (a claim's whole sentence and what tests it)"""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and self.rows[index.row()][1] == HEADER:
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor("#eef1f5"))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#1f3b63"))
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole:
            item = self.rows[index.row()][0]
            return self.tips.get(item) or super().data(index, role)
        return super().data(index, role)


class ClaimPanel(QWidget):
    """The "testable" filter above the grouped list; emits `itemChosen(item_id)` (a claim, or
    a note for a header)."""

    itemChosen = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.testable = QCheckBox("Testable: only claims an experiment can test")
        self.testable.setToolTip("Hide the claims no registered experiment tests (see `notesgraph experiments`)")
        self.testable.toggled.connect(lambda _: self.refresh())
        self.list = ItemList(model=GroupedModel())
        self.list.setUniformItemSizes(False)
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setSpacing(1)
        self.list.itemChosen.connect(self.itemChosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.testable)
        layout.addWidget(self.list, 1)
        self.claims = 0
        """How many claims the list shows (headers not counted)."""

    def refresh(self) -> None:
        """Reload from the store: a header per note, then its claims in text order."""
        from notesgraph.experiments.claim_experiments import claims_by_note

        rows: list[tuple[str, str, str, int]] = []
        tips: dict[str, str] = {}
        for group in claims_by_note(self.store, testable_only=self.testable.isChecked()):
            rows.append((item_id("note", group.note_id), HEADER, group.title, 0))
            for found in group.claims:
                stored = found.stored
                tests = ("⚗ " + ", ".join(found.names)) if found.testable else "no experiment tests it yet"
                rows.append((stored.item, "claim", f"{BADGE.get(stored.status, '·')} {stored.status} · "
                             f"{elide(stored.claim.text, SHOWN_CHARACTERS)}\n    {tests}", 0))
                tips[stored.item] = (f"{stored.claim.text}\n\n{found.describe()}"
                                     + (f"\nrun: notesgraph run --for-claim {stored.id}" if found.testable else ""))
        self.claims = sum(1 for row in rows if row[1] != HEADER)
        self.list.model_.tips = tips
        self.list.fill(rows)

    def rows(self) -> list[tuple[str, str, str, int]]:
        return self.list.model_.rows


__all__ = ["ClaimPanel", "GroupedModel", "HEADER"]
