"""The navigator (left): search as you type (Ctrl+K) and the lists of notes, inquiries,
papers, claims and runs, each one click away (a grid of buttons: no tab bar whose tabs hide
behind scroll arrows in a narrow dock).

The lists are views over plain Python rows (`navigator_lists`), so 30,000 inquiries cost one
list, not 30,000 widgets; claims are grouped by note (`claim_list`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from notesgraph.model import item_id
from notesgraph.store import Store
from notesgraph.ui.claim_list import ClaimPanel
from notesgraph.ui.navigator_lists import ITEM_ROLE, ItemList, ItemListModel, Row
from notesgraph.ui.paper_list import PaperPanel
from notesgraph.ui.workers import Task, start

LIST_NAMES = {"note": "Notes", "inquiry": "Inquiries", "paper": "Papers", "claim": "Claims", "run": "Runs"}
"""Short names: five buttons fit a 290 px dock in two rows."""
BUTTON_CELLS = {"note": (0, 0, 2), "inquiry": (0, 2, 2), "paper": (0, 4, 2), "claim": (1, 0, 3), "run": (1, 3, 3)}
"""kind -> (row, column, columns spanned) in a six-column grid: three buttons, then two."""


class Navigator(QWidget):
    """Search box plus list buttons; emits `itemChosen(item_id)` for whatever the user picks."""

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
        self.lists = {kind: ItemList() for kind in ("note", "inquiry", "run")}
        self.claims = ClaimPanel(store)
        self.lists["claim"] = self.claims.list
        self.papers = PaperPanel(store)  # by year, with filters
        self.lists["paper"] = self.papers.list
        pages: dict[str, QWidget] = {"claim": self.claims, "paper": self.papers}
        self.stack = QStackedWidget()
        self.buttons: dict[str, QToolButton] = {}
        self._button_group = QButtonGroup(self)
        grid = QGridLayout()
        grid.setSpacing(2)
        for kind in LIST_NAMES:
            self.stack.addWidget(pages.get(kind, self.lists[kind]))
            button = QToolButton(text=LIST_NAMES[kind], checkable=True)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, k=kind: self.show_list(k))
            self._button_group.addButton(button)
            grid.addWidget(button, *BUTTON_CELLS[kind][:2], 1, BUTTON_CELLS[kind][2])
            self.buttons[kind] = button
        for kind in ("note", "inquiry", "paper", "run"):
            self.lists[kind].itemChosen.connect(self.itemChosen)
        self.claims.itemChosen.connect(self.itemChosen)
        self.results.itemChosen.connect(self.itemChosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        layout.addLayout(grid)
        layout.addWidget(self.stack, 3)
        self.show_list("note")
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
        self.papers.refresh()
        self.refresh_claims_and_runs()
        if self.search.text().strip():
            self.run_search()

    def refresh_claims_and_runs(self) -> None:
        """Claims with their evidence badge, and runs with their status (newest first)."""
        from notesgraph.experiments.runner import list_runs

        self.claims.invalidate()
        self.lists["run"].fill([(item_id("run", r.id), "run",
                                 f"#{r.id} {r.experiment}{' (quick)' if r.quick else ''} · {r.status}", 0)
                                for r in list_runs(self.store, limit=500)])
        self._count_lists()

    def _count_lists(self) -> None:
        """Each button says how many rows its list has ("Claims 46")."""
        for kind, button in self.buttons.items():
            count = self.claims.claims if kind == "claim" else self.lists[kind].count()
            button.setText(f"{LIST_NAMES[kind]} {count:,}")

    def show_list(self, kind: str) -> None:
        """Show one list (notes, inquiries, papers, claims or runs) below the buttons."""
        self.buttons[kind].setChecked(True)
        self.stack.setCurrentWidget({"claim": self.claims, "paper": self.papers}.get(kind, self.lists[kind]))

    def current_list(self) -> str:
        return next(kind for kind, button in self.buttons.items() if button.isChecked())

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


__all__ = ["ITEM_ROLE", "ItemList", "ItemListModel", "Navigator", "Row"]
