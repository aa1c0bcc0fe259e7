"""The reference library in the app: File → Import library…, the paper page with its metadata,
Copy BibTeX, the Papers list by year with its filters, and bigger papers for more citing notes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from conftest import REPO
from notesgraph.ui.main_window import MainWindow
from ui.test_main_window import open_window

WEBSON = "Do Prompt-Based Models Really Understand the Meaning of Their Prompts?"


@pytest.fixture
def imported(qtbot, tmp_path: Path) -> MainWindow:
    win = open_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=30000)
    win.import_library_file(tmp_path / "notes" / "library.bib")
    qtbot.waitUntil(lambda: win.last_import is not None and not win.tasks, timeout=30000)
    return win


def paper_item(win: MainWindow, title: str) -> str:
    return f"paper:{win.store.rows('SELECT id FROM papers WHERE title = ?', [title])[0]['id']}"


def test_the_paper_page_shows_the_library_entry_and_copies_its_bibtex(qtbot, imported: MainWindow) -> None:
    win = imported
    assert win.last_import.matched == 39 and not win.last_import.problems
    item = paper_item(win, WEBSON)
    win.walk(item)
    win.open_item(item)
    text = win.reader.toPlainText()
    assert "Albert Webson, Ellie Pavlick · 2022 · Proceedings of the 2022 Conference of the North American" in text
    assert "arXiv:2109.01247" in text and "Abstract" in text and "webson2022prompt" in text
    page = win.reader.toHtml()
    assert 'href="https://arxiv.org/abs/2109.01247"' in page  # opened by the browser, only on a click
    assert "Shares authors with" in text and "Right for the Wrong Reasons" in text  # Ellie Pavlick
    win.reader.citeRequested.emit(item)  # the page's "Copy BibTeX" link
    copied = QApplication.clipboard().text()
    assert copied.startswith("@inproceedings{webson2022prompt,") and "eprint = {2109.01247}" in copied
    if os.environ.get("NOTESGRAPH_SCREENSHOTS"):  # how docs/paper-page.png is made
        win.resize(1400, 860)
        win.navigator.show_list("paper")
        qtbot.wait(800)
        win.grab().save(str(REPO / "docs" / "paper-page.png"))


def test_a_citation_in_a_note_links_to_its_paper_and_the_note_copies_its_papers(imported: MainWindow) -> None:
    win = imported
    note = next(f"note:{n['id']}" for n in win.store.note_titles()  # an export note
                if n["title"] == "Can models pass tests while missing the actual grammar?")
    win.open_item(note)
    page = win.reader.toHtml()
    webson = paper_item(win, WEBSON)
    assert page.count(f"item:paper%3A{webson.split(':')[1]}") == 2  # "Webson & Pavlick (2021)", the listed paper
    assert "Copy BibTeX of these papers" in win.reader.toPlainText()
    markdown = next(f"note:{n['id']}" for n in win.store.note_titles()
                    if n["title"].startswith("Are instruction-tuned models more or less sensitive"))
    win.open_item(markdown)  # a Markdown note: its citations are links too
    # "Webson & Pavlick (2021)", its arXiv id "(2109.01247)" and the listed paper
    assert win.reader.toHtml().count(f"item:paper%3A{webson.split(':')[1]}") == 3
    assert "Webson & Pavlick (2021), " in win.reader.toPlainText()
    text = win.copy_bibtex(note)
    assert text.count("@") == 7 and "@inproceedings{webson2022prompt," in text


def test_papers_list_by_year_with_filters(qtbot, imported: MainWindow) -> None:
    panel = imported.navigator.papers
    imported.navigator.show_list("paper")
    rows = panel.list.model_.rows
    assert len(rows) == 43 and rows[0][2].startswith("2025 · ")
    years = [int(text[:4]) for _, _, text, _ in rows if text[:4].isdigit()]
    assert years == sorted(years, reverse=True)
    panel.shown.setCurrentIndex(panel.shown.findData("library"))
    assert {text.split(" · ")[-1] for _, _, text, _ in panel.list.model_.rows} == {
        "Does Fine-Tuning LLMs on New Knowledge Encourage Hallucinations?",
        "Quantifying Language Models' Sensitivity to Spurious Features in Prompt Design or: How I learned to "
        "start worrying about prompt formatting",
        "Solving math word problems with process- and outcome-based feedback",
        "Instruction Tuning for Large Language Models: A Survey"}
    panel.shown.setCurrentIndex(0)
    qtbot.keyClicks(panel.filter, "pavlick")
    assert [text for _, _, text, _ in panel.list.model_.rows] == [
        f"2022 · Webson & Pavlick · {WEBSON}",
        "2019 · McCoy et al. · Right for the Wrong Reasons: Diagnosing Syntactic Heuristics in Natural Language "
        "Inference"]
    panel.list.itemChosen.emit(panel.list.item_at(0))
    assert imported.reader.current_item == paper_item(imported, WEBSON)


def test_papers_cited_by_more_notes_are_drawn_larger(imported: MainWindow) -> None:
    win = imported  # centred on the best connected note, which lists papers cited once and more often
    win.view.finish_animation()
    counts = {p["id"]: p["notes"] for p in win.store.papers_by_year()}
    radius = {int(item.split(":")[1]): node.radius for item, node in win.view.nodes.items()
              if item.startswith("paper:")}
    once = [r for ident, r in radius.items() if counts[ident] == 1]
    more = [r for ident, r in radius.items() if counts[ident] >= 2]
    assert once and more and min(more) > max(once)


def test_file_menu_imports_a_library_and_saves_bibtex(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    win = open_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=30000)
    actions = {a.text(): a for a in win.menuBar().actions()[0].menu().actions()}
    ris = tmp_path / "refs.ris"  # a modal file dialog cannot be clicked offscreen: it answers with this
    ris.write_text("TY  - JOUR\nTI  - Language Models are Few-Shot Learners\nAU  - Brown, Tom B.\nAU  - Mann, "
                   "Benjamin\nPY  - 2020\nER  - \nTY  - JOUR\nAU  - Nobody\nER  - \n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(ris), ""))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    shown: list[str] = []
    actions["&Import library…"].trigger()
    qtbot.waitUntil(lambda: win.last_import is not None and not win.tasks, timeout=30000)
    assert win.last_import.matched == 1 and shown and "refs.ris:7: record has no title" in shown[0]
    win.open_item(paper_item(win, "Language Models are Few-Shot Learners"))
    assert "Tom B. Brown, Benjamin Mann · 2020" in win.reader.toPlainText()
    target = tmp_path / "out.bib"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    actions["Save &BibTeX of this page's papers…"].trigger()
    assert target.read_text(encoding="utf-8").startswith("@article{brown2020language,")
