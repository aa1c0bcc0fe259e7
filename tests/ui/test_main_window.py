"""The main window driven like a user would, offscreen, on a copy of the bundled corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from conftest import NOTES
from notesgraph.ui.main_window import MainWindow

MAIN_TITLE = "Does instruction tuning teach task understanding or output format?"


def open_window(qtbot, tmp_path: Path, embed: bool = False, broken: bytes = b"", copy: bool = True) -> MainWindow:
    """A shown window on a fresh copy of the bundled notes (plus a broken file when given;
    `copy=False`: the copy in tmp_path/notes is made already), with its own database and
    settings; indexing started, not awaited."""
    folder = tmp_path / "notes"
    if copy:
        shutil.copytree(NOTES, folder)
    if broken:
        (folder / "bad.txt").write_bytes(broken)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(tmp_path / "app.db", folder, settings, embed=embed)
    qtbot.addWidget(win)
    win.show()
    win.reindex()
    return win


@pytest.fixture
def window(qtbot, tmp_path: Path):
    win = open_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=30000)
    return win


def click_node(qtbot, win: MainWindow, item: str) -> None:
    view = win.view
    view.finish_animation()  # click where the node ends up, as a user would
    node = view.nodes[item]
    point = view.mapFromScene(node.scenePos())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))


def note_item(win: MainWindow, title: str) -> str:
    return next(f"note:{n['id']}" for n in win.store.note_titles() if n["title"] == title)


def test_opens_on_the_best_connected_note(window: MainWindow) -> None:
    assert window.current == note_item(window, MAIN_TITLE)
    assert window.reader.current_item == window.current
    assert MAIN_TITLE in window.reader.toPlainText()
    assert len(window.view.nodes) > 10


def test_click_a_neighbour_walks_and_the_centre_opens(qtbot, window: MainWindow) -> None:
    start = window.current
    neighbour = note_item(window, "Can models pass tests while missing the actual grammar?")
    click_node(qtbot, window, neighbour)
    assert window.current == neighbour
    assert window.view.centre == neighbour
    assert window.reader.current_item == start  # walking does not open
    click_node(qtbot, window, neighbour)  # the centre: opens it
    assert window.reader.current_item == neighbour
    assert "Can models pass tests" in window.reader.toPlainText()


def test_back_and_forward_restore_the_walk(qtbot, window: MainWindow) -> None:
    first = window.current
    second = note_item(window, "Does supervised fine-tuning actually improve reasoning quality?")
    window.walk(second)
    third = next(item for item in window.view.nodes if item.startswith("paper:"))
    window.walk(third)
    assert window.history[-3:] == [first, second, third]
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.current == second and window.view.centre == second
    window.back()
    assert window.current == first
    window.forward()
    window.forward()
    assert window.current == third
    assert not window.forward_action.isEnabled()


def test_an_inquiry_shows_everything_it_traces_back_to(window: MainWindow) -> None:
    inquiry = "Can correct outputs mask reliance on surface heuristics rather than deep understanding?"
    item = next(f"inquiry:{q['id']}" for q in window.store.inquiry_list() if q["text"] == inquiry)
    window.reader.itemActivated.emit(item)  # as if clicked in the reader
    assert window.current == item
    sources = {f"note:{n['id']}" for n in window.store.inquiry(int(item.split(':')[1]))["notes"]}
    shown = set(window.view.nodes)
    assert len(sources) >= 2 and sources <= shown
    assert any(node.startswith("paper:") for node in shown)
    assert not any(node.startswith("inquiry:") and node != item for node in shown)


def test_keyboard_moves_the_selection_and_walks(qtbot, window: MainWindow) -> None:
    view = window.view
    view.setFocus()
    start = window.current
    qtbot.keyClick(view, Qt.Key.Key_Right)
    selected = view.selected()
    assert selected is not None and selected.node.item != start
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.current == selected.node.item
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert window.reader.current_item == window.current


def test_create_note_resolves_a_stub(qtbot, window: MainWindow) -> None:
    stub = next(item for item in window.view.nodes if item.startswith("concept:"))
    title = window.graph.nodes[stub]["label"]
    window.open_item(stub)
    assert "Create note" in window.reader.toPlainText()
    tasks_before = len(window.tasks)
    window.reader.createRequested.emit(title)
    assert len(window.tasks) == tasks_before + 1
    qtbot.waitUntil(lambda: not window.tasks, timeout=30000)
    assert (window.folder / f"{title.rstrip('?')}.md").exists()
    assert stub not in window.graph  # the stub became a note
    new_note = note_item(window, title)
    assert new_note in window.graph


def test_broken_notes_are_listed_and_the_rest_shows(qtbot, tmp_path: Path) -> None:
    win = open_window(qtbot, tmp_path, broken=b"Title\nbad \xff byte\n")
    qtbot.waitUntil(lambda: not win.tasks, timeout=30000)
    assert win.problems.count() == 1
    assert "bad.txt:2: is not valid UTF-8" in win.problems.item(0).text()
    assert win.problems_dock.isVisible()
    assert win.navigator.lists["note"].count() == 10


def test_app_command_opens_the_window_and_saves_a_screenshot(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    from conftest import REPO

    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "notesgraph", "--db", str(tmp_path / "a.db"), "app",
                           str(NOTES), "--screenshot", str(shot), "--no-embed"],
                          capture_output=True, text=True, timeout=180, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 700
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50  # a drawn window, not a blank one
    assert not (tmp_path / ".config" / "notesgraph").exists()  # the screenshot keeps no settings


def test_embeddings_add_similar_items_paper_ranks_and_search_by_meaning(qtbot, tmp_path: Path, encoder) -> None:
    win = open_window(qtbot, tmp_path, embed=True)
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=120000)
    assert any(kind == "similar" for _, _, kind in win.graph.edges(keys=True))
    text = win.reader.toPlainText()
    assert "Similar (not already linked)" in text and "why:" in text and "our rank" in text
    win.exclude_linked.setChecked(False)  # the reader re-renders with linked items included
    text = win.reader.toPlainText()
    assert "Similar (not already linked)" not in text and "Similar (" in text and "why:" in text
    # Search as you type: full-text hits first, then words and meaning fused (all kinds).
    navigator = win.navigator
    assert navigator.semantic_search is not None
    navigator.search.setText("models copying the style of a stronger chatbot")  # no note has all these words
    qtbot.waitUntil(lambda: "by words and meaning" in navigator.status.text(), timeout=60000)
    kinds = {navigator.results.item_at(i).split(":")[0] for i in range(navigator.results.count())}
    assert navigator.results.count() >= 5 and len(kinds) >= 2


def test_a_note_saved_on_disk_is_picked_up(qtbot, window: MainWindow) -> None:
    before = window.navigator.lists["note"].count()
    (window.folder / "fresh.md").write_text("# A freshly written note\n\nIt links [[Does instruction tuning "
                                            "teach task understanding or output format?]].\n", encoding="utf-8")
    qtbot.waitUntil(lambda: window.navigator.lists["note"].count() == before + 1, timeout=20000)
    new = note_item(window, "A freshly written note")
    qtbot.waitUntil(lambda: window.graph is not None and new in window.graph, timeout=5000)
    (window.folder / "fresh.md").unlink()
    qtbot.waitUntil(lambda: window.navigator.lists["note"].count() == before, timeout=20000)



def test_open_in_graph_shows_the_offline_page(qtbot, window: MainWindow) -> None:
    window.open_in_graph()
    view = window._graph_window
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loadFinished, timeout=30000) as loaded:
        pass
    assert loaded.args == [True]
    page = Path(view.url().toLocalFile()).read_text(encoding="utf-8")
    assert "<script src=\"http" not in page and MAIN_TITLE in page
    answers: list = []
    view.page().runJavaScript("typeof vis !== 'undefined' && document.querySelectorAll('canvas').length",
                              0, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=10000)
    assert answers[0] >= 1  # vis-network drew its canvas from the inlined script


def test_claims_are_highlighted_and_open_their_panel(qtbot, window: MainWindow) -> None:
    main = note_item(window, MAIN_TITLE)
    window.open_item(main)
    page = window.reader.toHtml()
    assert "#fff1b8" in page  # claim sentences carry the highlight
    text = window.reader.toPlainText()
    assert "42.6% exact-match versus instruction tuning" in text or "42.6% exact-match" in text
    from notesgraph.claims import stored_claims
    claim = next(c for c in stored_claims(window.store, [int(main.split(":")[1])])
                 if any(q.value == 42.6 for q in c.claim.quantities))
    window.reader.itemActivated.emit(claim.item)  # the ◆ link after the sentence
    panel = window.reader.toPlainText()
    assert window.reader.current_item == claim.item
    assert "evidence: untested" in panel and "42.6%" in panel
    assert "Do Models Really Learn to Follow Instructions?" in panel


def test_claims_are_nodes_next_to_their_note_and_paper(qtbot, window: MainWindow) -> None:
    claims = [item for item in window.view.nodes if item.startswith("claim:")]
    assert claims  # the centre note's claims are shown around it
    window.walk(claims[0])
    shown = set(window.view.nodes)
    assert note_item(window, MAIN_TITLE) in shown
    click_node(qtbot, window, claims[0])  # the centre: its panel opens
    assert window.reader.current_item == claims[0] and "evidence:" in window.reader.toPlainText()


def test_a_quick_run_launched_from_the_claim_panel_finishes_and_shows_its_result(qtbot, window: MainWindow) -> None:
    from notesgraph.claims import stored_claims

    main = note_item(window, MAIN_TITLE)
    claim = next(c for c in stored_claims(window.store, [int(main.split(":")[1])])
                 if any(q.value == 42.6 for q in c.claim.quantities))
    window.walk_and_open(claim.item)
    assert "Run replication (quick)" in window.reader.toPlainText()
    html = window.reader.toHtml()  # the quick link of random_baseline (~1 s; other experiments may test it too)
    href = "random_baseline:1:" + html.split('href="run:random_baseline:1:', 1)[1].split('"', 1)[0]
    window.reader.runRequested.emit(href)  # as if the link were clicked
    assert window.watched_runs
    qtbot.waitUntil(lambda: not window.watched_runs, timeout=120000)
    panel = window.reader.toPlainText()
    assert "· done" in panel and "95% CI" in panel
    assert any(word in panel for word in ("consistent", "inconclusive", "inconsistent"))
    assert "evidence: untested" not in panel
    runs = window.navigator.lists["run"]
    assert runs.count() == 1 and "random_baseline (quick) · done" in runs.model_.rows[0][2]
    claims = window.navigator.lists["claim"]
    window.navigator.show_list("claim")  # the list refills when shown (it is not read on every change)
    assert any(row[0] == claim.item and "untested" not in row[2] for row in claims.model_.rows)
    window.navigator.itemChosen.emit(runs.item_at(0))  # the Runs tab: the run's own page
    assert window.reader.current_item == runs.item_at(0) and "Claims it tests" in window.reader.toPlainText()


def test_an_inquiry_page_listed_as_a_note_walks_to_its_inquiry(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    shutil.copytree(NOTES, folder)
    page = Path(__file__).resolve().parent.parent / "data" / "page_layouts" / "inquiry.txt"
    shutil.copy(page, folder / "inquiry-page.txt")
    win = open_window(qtbot, tmp_path, copy=False)
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=30000)
    title = "Why do strong models follow formatting instructions less reliably than weaker ones?"
    win.walk(note_item(win, title))  # what the navigator's Notes tab does with the page's file
    assert win.current.startswith("inquiry:") and win.graph.nodes[win.current]["label"] == title
