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

BADGE = {"untested": "○", "consistent": "✔", "inconsistent": "✘", "inconclusive": "?", "stale": "⟳", "mixed": "≠"}
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
        self.testable = QCheckBox("Testable only")
        self.testable.setToolTip("Show only the claims an experiment can test (see `notesgraph experiments`)")
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
        """How many claims the store holds (shown or not)."""
        self.testable_claims = 0
        """How many of them an experiment can test."""
        self.stale = True
        """The store changed since the list was filled: it refills when next shown."""

    def invalidate(self) -> None:
        """The store changed: count the claims now (one query) and refill the list when it is
        shown. Filling reads every claim's evidence and experiments: 194 s for the 936k claims of
        the 100k-note store, which held the app's first walk back while it ran on every start."""
        self.stale = True
        self.claims = self.store.claim_count()
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        if self.stale:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """Reload from the store: a header per note, then its claims in text order."""
        self.stale = False
        from notesgraph.experiments.claim_experiments import claims_by_note

        rows: list[tuple[str, str, str, int]] = []
        tips: dict[str, str] = {}
        only_testable = self.testable.isChecked()
        self.claims = self.testable_claims = 0
        for group in claims_by_note(self.store):
            self.claims += len(group.claims)
            shown = [found for found in group.claims if found.testable or not only_testable]
            self.testable_claims += sum(1 for found in group.claims if found.testable)
            if shown:
                rows.append((item_id("note", group.note_id), HEADER, group.title, 0))
            for found in shown:
                rows.append((found.stored.item, "claim", _claim_row(found), 0))
                tips[found.stored.item] = _claim_tip(found)
        self.testable.setText(f"Testable only ({self.testable_claims} of {self.claims} claims)")
        self.list.model_.tips = tips
        self.list.fill(rows)

    def rows(self) -> list[tuple[str, str, str, int]]:
        if self.stale:
            self.refresh()
        return self.list.model_.rows


def _claim_row(found: Any) -> str:
    """Status, the sentence (elided) and, on a second line, the experiments that test it."""
    stored = found.stored
    tests = ("⚗ " + ", ".join(found.names)) if found.testable else "no experiment tests it yet"
    return (f"{BADGE.get(stored.status, '·')} {stored.status} · {elide(stored.claim.text, SHOWN_CHARACTERS)}"
            f"\n    {tests}")


def _claim_tip(found: Any) -> str:
    """The whole sentence, what tests it and the command that runs it."""
    run = f"\nrun: notesgraph run --for-claim {found.stored.id}" if found.testable else ""
    return f"{found.stored.claim.text}\n\n{found.describe()}{run}"


__all__ = ["ClaimPanel", "GroupedModel", "HEADER"]
