"""The navigator (left): search as you type (Ctrl+K) and lists of notes, inquiries and papers.

The lists are views over plain Python rows (`ItemListModel`), so 30,000 inquiries cost one
list, not 30,000 widgets.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QTabWidget, QVBoxLayout, QWidget

from notesgraph.ui.workers import Task, start

from notesgraph.kinds import kind_style
from notesgraph.model import item_id
from notesgraph.store import Store

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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = ItemListModel()
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


class Navigator(QWidget):
    """Search box plus tabs; emits `itemChosen(item_id)` for whatever the user picks."""

    itemChosen = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.semantic_search: Any = None
        """Set by the window when vectors exist: text -> fused (full-text + meaning) matches,
        run on a worker thread; until it answers, the full-text hits are shown."""
        self._semantic_task: Task | None = None
        self._semantic_pending = False
        self.search = QLineEdit(placeholderText="Search notes (Ctrl+K)")
        self.search.setClearButtonEnabled(True)
        self.results = ItemList()
        self.status = QLabel()
        self.tabs = QTabWidget()
        self.lists = {"note": ItemList(), "inquiry": ItemList(), "paper": ItemList(),
                      "claim": ItemList(), "run": ItemList()}
        for kind, widget in self.lists.items():
            self.tabs.addTab(widget, kind_style(kind).plural)
            widget.itemChosen.connect(self.itemChosen)
        self.results.itemChosen.connect(self.itemChosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.tabs, 3)
        self.results.hide()
        self.status.hide()
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.search.returnPressed.connect(self._open_first)

    def refresh(self) -> None:
        """Reload the lists from the store (after indexing)."""
        self.lists["note"].fill([(item_id("note", n["id"]), "note", n["title"], 0)
                                 for n in self.store.note_titles()])
        self.lists["inquiry"].fill([(item_id("inquiry", q["id"]), "inquiry", q["text"], q["notes"])
                                    for q in self.store.inquiry_list()])
        self.lists["paper"].fill([(item_id("paper", p["id"]), "paper", p["title"], p["notes"])
                                  for p in self.store.paper_list()])
        self.refresh_claims_and_runs()
        for index, (kind, widget) in enumerate(self.lists.items()):
            self.tabs.setTabText(index, f"{kind_style(kind).plural} ({widget.count():,})")
        if self.search.text().strip():
            self.run_search()

    def refresh_claims_and_runs(self) -> None:
        """Claims with their evidence badge, and runs with their status (newest first)."""
        from notesgraph.claims import stored_claims
        from notesgraph.experiments.runner import list_runs

        badge = {"untested": "○", "consistent": "✔", "inconsistent": "✘", "inconclusive": "?", "stale": "⟳", "mixed": "≠"}
        self.lists["claim"].fill([(c.item, "claim", f"{badge.get(c.status, '·')} {c.status} · {c.claim.text}", 0)
                                  for c in stored_claims(self.store)])
        self.lists["run"].fill([(item_id("run", r.id), "run",
                                 f"#{r.id} {r.experiment}{' (quick)' if r.quick else ''} · {r.status}", 0)
                                for r in list_runs(self.store, limit=500)])
        for index, (kind, widget) in enumerate(self.lists.items()):
            self.tabs.setTabText(index, f"{kind_style(kind).plural} ({widget.count():,})")

    def mark_stale(self, notes: set[str], refreshing: bool) -> None:
        """Mark the notes whose similarities are out of date (until re-embedding ends)."""
        tip = "similarities out of date — " + ("refreshing…" if refreshing else "they refresh when embeddings run")
        self.lists["note"].model_.set_marked(notes, tip)

    def run_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            self.results.hide()
            self.status.hide()
            return
        hits = self.store.search(text, limit=30)
        self.results.fill([(item_id("note", h["id"]), "note", h["title"], 0) for h in hits])
        self.status.setText(f"{len(hits)} notes match" if hits else "No note matches")
        self.status.show()
        self.results.setVisible(bool(hits))
        if self.semantic_search is not None:
            self._search_by_meaning()

    def _search_by_meaning(self) -> None:
        """Start the hybrid search for the current text (one at a time; the latest text wins)."""
        if self._semantic_task is not None:
            self._semantic_pending = True
            return
        text = self.search.text().strip()
        task = Task(lambda progress: (text, self.semantic_search(text)))
        task.signals.finished.connect(self._show_meaning)
        task.signals.failed.connect(self._meaning_failed)
        self._semantic_task = start(task)
        self.status.setText(self.status.text() + " · searching by meaning…")

    def _show_meaning(self, result: tuple[str, list[Any]]) -> None:
        self._semantic_task = None
        text, matches = result
        if self._semantic_pending or text != self.search.text().strip():
            self._semantic_pending = False
            if self.search.text().strip():
                self._search_by_meaning()
            return
        self.results.fill([(m.item, m.kind, m.title, 0) for m in matches])
        self.status.setText(f"{len(matches)} results by words and meaning" if matches else "Nothing matches")
        self.results.setVisible(bool(matches))

    def _meaning_failed(self, message: str) -> None:
        self._semantic_task = None
        self._semantic_pending = False
        self.status.setText(self.status.text().replace(" · searching by meaning…", "")
                            + " (search by meaning unavailable)")

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _open_first(self) -> None:
        self._debounce.stop()
        self.run_search()
        if self.results.count():
            self.itemChosen.emit(self.results.item_at(0))
