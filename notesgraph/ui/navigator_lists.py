"""The navigator's lists: rows of items over plain Python tuples (`ItemListModel`), so 30,000
inquiries cost one list, not 30,000 widgets; clicking a row emits its item id.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListView, QWidget

from notesgraph.kinds import kind_style

ITEM_ROLE = Qt.ItemDataRole.UserRole
Row = tuple[str, str, str, int]  # item id, kind, text, how many notes share it


class ItemListModel(QAbstractListModel):
    """Rows of items; the display adds "· N" for items shared by several notes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self._brushes: dict[str, QBrush] = {}
        self.marked: set[str] = set()
        """Items shown with a ⟳ (e.g. notes whose similarities are out of date)."""
        self.mark_tip = ""

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def set_marked(self, items: set[str], tip: str) -> None:
        """Mark these items (⟳ before the text, `tip` in the tooltip); the rows stay."""
        if items == self.marked and tip == self.mark_tip:
            return
        self.marked, self.mark_tip = set(items), tip
        if self.rows:
            self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item, kind, text, count = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            shown = f"{text}  ·  {count}" if count > 1 else text
            return f"⟳ {shown}" if item in self.marked else shown
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{text}\n\n⟳ {self.mark_tip}" if item in self.marked else text
        if role == Qt.ItemDataRole.ForegroundRole:
            if kind not in self._brushes:
                self._brushes[kind] = QBrush(QColor(kind_style(kind).colour))
            return self._brushes[kind]
        if role == ITEM_ROLE:
            return item
        return None


class ItemList(QListView):
    """A list whose rows are items; clicking or activating a row emits its item id."""

    itemChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, model: ItemListModel | None = None) -> None:
        super().__init__(parent)
        self.model_ = model or ItemListModel()
        self.setModel(self.model_)
        self.setUniformItemSizes(True)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.clicked.connect(self._choose)
        self.activated.connect(self._choose)

    def _choose(self, index: QModelIndex) -> None:
        self.itemChosen.emit(self.model_.rows[index.row()][0])

    def fill(self, rows: list[Row]) -> None:
        self.model_.set_rows(rows)

    def count(self) -> int:
        return len(self.model_.rows)

    def item_at(self, row: int) -> str:
        return self.model_.rows[row][0]


__all__ = ["ITEM_ROLE", "ItemList", "ItemListModel", "Row"]
