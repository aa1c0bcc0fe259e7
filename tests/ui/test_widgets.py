"""The reader and navigator as real widgets (offscreen), on the bundled corpus."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl

from conftest import NOTES
from notesgraph.indexer import index_folder
from notesgraph.reader_html import note_html
from notesgraph.store import Store
from notesgraph.ui.navigator import Navigator
from notesgraph.ui.reader import Reader


def test_reader_links_emit_items_and_create_requests(qtbot, store: Store) -> None:
    index_folder(store, NOTES)
    note_id = next(n["id"] for n in store.note_titles() if n["title"].startswith("Does instruction tuning teach"))
    reader = Reader()
    qtbot.addWidget(reader)
    reader.show_page(f"note:{note_id}", note_html(store.note(note_id)))
    assert "42.6%" in reader.toPlainText()
    with qtbot.waitSignal(reader.itemActivated) as walked:
        reader.anchorClicked.emit(QUrl("item:inquiry%3A3"))
    assert walked.args == ["inquiry:3"]
    with qtbot.waitSignal(reader.createRequested) as created:
        reader.anchorClicked.emit(QUrl("create:A%20new%20idea%3F"))
    assert created.args == ["A new idea?"]


def test_navigator_lists_and_searches(qtbot, store: Store) -> None:
    index_folder(store, NOTES)
    navigator = Navigator(store)
    qtbot.addWidget(navigator)
    navigator.show()
    navigator.refresh()
    assert navigator.lists["note"].count() == len(store.note_titles())
    assert navigator.lists["inquiry"].count() == store.stats()["inquiries"]
    assert navigator.buttons["note"].text() == f"Notes {len(store.note_titles())}"
    navigator.search.setText("delusive")
    qtbot.waitUntil(lambda: navigator.results.isVisible(), timeout=3000)
    first = navigator.results.item_at(0)
    assert first.startswith("note:")
    with qtbot.waitSignal(navigator.itemChosen) as chosen:
        qtbot.keyClick(navigator.search, Qt.Key.Key_Return)
    assert chosen.args == [first]
    navigator.search.setText("zzzzqqq")
    qtbot.waitUntil(lambda: navigator.status.text() == "No note matches", timeout=3000)
