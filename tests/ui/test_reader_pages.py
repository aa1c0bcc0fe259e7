"""Issue 15 items 3 and 4 on the real window offscreen (real widgets, real SQLite, real runner
processes): an inquiry's page, every navigator list one click away, claims grouped by note
with the experiments that test them, and a run's page."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPixmap, QTextCursor, QTextTable
from PySide6.QtWidgets import QDialog, QLabel, QListView, QTabBar

from notesgraph import graph_queries
from notesgraph.experiments.claim_experiments import claims_by_note
from notesgraph.experiments.registry import INSTRUCTION_TUNING, specs_for_claim
from notesgraph.experiments.spec import Result
from notesgraph.ui.claim_list import HEADER
from notesgraph.ui.main_window import MainWindow
from ui.test_main_window import click_node, note_item
from ui.test_main_window import window  # noqa: F401 - the fixture
from ui.test_runs_and_live_folder import baseline_claim

INQUIRY = "Can correct outputs mask reliance on surface heuristics rather than deep understanding?"


def click_text(qtbot, win: MainWindow, text: str) -> None:
    """Click the middle of `text` in the reader, as a user would (it must be a link)."""
    reader = win.reader
    cursor = reader.document().find(text)
    assert not cursor.isNull(), text
    middle = QTextCursor(reader.document())
    middle.setPosition((cursor.selectionStart() + cursor.selectionEnd()) // 2)
    reader.setTextCursor(middle)
    reader.ensureCursorVisible()
    qtbot.mouseClick(reader.viewport(), Qt.MouseButton.LeftButton, pos=reader.cursorRect(middle).center())


def click_row(qtbot, view: QListView, item: str) -> None:
    """Click the row of `item` in one of the navigator's lists."""
    row = next(i for i, r in enumerate(view.model_.rows) if r[0] == item)
    index = view.model_.index(row)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())


# -- item 3: inquiry lines in the reader ----------------------------------------------------------


def test_an_inquiry_page_lists_its_sources_and_back_returns_to_it(qtbot, window: MainWindow) -> None:
    item = next(f"inquiry:{q['id']}" for q in window.store.inquiry_list() if q["text"] == INQUIRY)
    qtbot.mouseClick(window.navigator.buttons["inquiry"], Qt.MouseButton.LeftButton)
    click_row(qtbot, window.navigator.lists["inquiry"], item)
    assert window.current == item and window.reader.current_item == item
    page = window.reader.toPlainText()
    trace = graph_queries.trace(window.graph, item)
    assert page.startswith(INQUIRY) and len(trace.sources) >= 2
    assert all(source.title in page for source in trace.sources)
    papers = [paper.title for paper in trace.papers]  # pooled, most cited first
    assert trace.papers[0].cited_by > trace.papers[-1].cited_by
    assert page.index(papers[0]) < page.index(papers[-1]) and f"Papers, most cited first ({len(papers)})" in page
    shared = graph_queries.shared_inquiries(window.graph, item)
    assert shared and all(other.text in page for other in shared)

    source = trace.sources[0]
    click_text(qtbot, window, source.title)  # a source opens that note
    assert window.reader.current_item == source.node and window.current == source.node
    assert window.reader.toPlainText().startswith(source.title)
    window.back_action.trigger()  # Back returns to the inquiry's page
    assert window.current == item and window.reader.current_item == item
    assert window.reader.toPlainText().startswith(INQUIRY)

    window.walk_and_open(source.node)  # in the graph: clicking an inquiry opens its page too
    click_node(qtbot, window, item)
    assert window.current == item and window.reader.current_item == item


# -- item 4: claims lead to experiments ------------------------------------------------------------


def test_every_list_is_one_click_away_at_the_default_window_size(qtbot, window: MainWindow) -> None:
    assert window.size() == QSize(1400, 860)  # the default: no saved geometry
    navigator = window.navigator
    assert not navigator.findChildren(QTabBar)  # no tabs to hide behind scroll arrows
    for kind, button in navigator.buttons.items():
        place = QRect(button.mapTo(navigator, QPoint(0, 0)), button.size())
        assert button.isVisible() and navigator.rect().contains(place), kind
        assert button.width() >= button.sizeHint().width(), f"{button.text()!r} is cut"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        shown = navigator.claims if kind == "claim" else navigator.lists[kind]
        assert shown.isVisible() and navigator.current_list() == kind
    assert navigator.buttons["claim"].text() == f"Claims {navigator.claims.claims}"
    qtbot.mouseClick(navigator.buttons["claim"], Qt.MouseButton.LeftButton)
    claim = baseline_claim(window)
    click_row(qtbot, navigator.lists["claim"], claim.item)  # one more click: the claim's panel
    assert window.reader.current_item == claim.item


def test_the_claim_list_is_read_when_shown_not_on_every_refresh(qtbot, window: MainWindow) -> None:
    """Reading every claim's evidence took minutes at 100k notes: a refresh only counts them."""
    navigator = window.navigator
    navigator.show_list("note")
    navigator.refresh_claims_and_runs()
    assert navigator.claims.stale and navigator.claims.claims == window.store.claim_count() > 0
    assert navigator.buttons["claim"].text() == f"Claims {window.store.claim_count():,}"
    qtbot.mouseClick(navigator.buttons["claim"], Qt.MouseButton.LeftButton)
    assert not navigator.claims.stale and len(navigator.lists["claim"].model_.rows) > navigator.claims.claims


def test_claims_are_grouped_by_note_and_name_the_experiments_that_test_them(qtbot, window: MainWindow) -> None:
    navigator = window.navigator
    qtbot.mouseClick(navigator.buttons["claim"], Qt.MouseButton.LeftButton)
    panel = navigator.claims
    groups = claims_by_note(window.store)
    expected = [row for group in groups
                for row in [f"note:{group.note_id}"] + [found.stored.item for found in group.claims]]
    rows = panel.rows()
    assert [row[0] for row in rows] == expected  # each note's title, then its claims
    assert [row[2] for row in rows if row[1] == HEADER] == [group.title for group in groups]
    for item, kind, text, _ in rows:
        if kind == "claim":
            names = [spec.name for spec in specs_for_claim(next(
                found.stored.claim.text for group in groups for found in group.claims if found.stored.item == item))]
            assert ("⚗ " + ", ".join(names) if names else "no experiment tests it yet") in text
    view = navigator.lists["claim"]
    longest = max(range(len(rows)), key=lambda i: len(rows[i][2]))
    assert view.wordWrap() and view.visualRect(view.model_.index(longest)).height() > 3 * view.fontMetrics().height()
    assert view.visualRect(view.model_.index(longest)).right() <= view.viewport().width()

    click_row(qtbot, view, expected[0])  # a header opens its note
    assert window.reader.current_item == expected[0]

    qtbot.mouseClick(panel.testable, Qt.MouseButton.LeftButton)  # the "testable" filter
    assert panel.testable.isChecked()
    testable = [found.stored.item for group in groups for found in group.claims if found.testable]
    shown = [row[0] for row in panel.rows() if row[1] == "claim"]
    assert shown == testable and 0 < len(testable) < panel.claims
    assert panel.testable.text() == f"Testable only ({len(testable)} of {panel.claims} claims)"
    assert all(row[0] in {f"note:{g.note_id}" for g in groups if any(f.testable for f in g.claims)}
               for row in panel.rows() if row[1] == HEADER)

    claim = baseline_claim(window)  # its panel names the experiments and the command to type
    click_row(qtbot, view, claim.item)
    page = window.reader.toPlainText()
    assert window.reader.current_item == claim.item
    assert all(spec.title in page for spec in specs_for_claim(claim.claim.text))
    assert f"notesgraph run --for-claim {claim.id}" in page


def image_point(win: MainWindow) -> QPoint:
    """A point inside the first image of the reader's page (scrolled into view)."""
    reader = win.reader
    cursor = reader.document().find("\ufffc")  # an image is an object replacement character
    assert not cursor.isNull()
    at = QTextCursor(reader.document())
    at.setPosition(cursor.selectionStart())
    reader.setTextCursor(at)
    reader.ensureCursorVisible()
    rect = reader.cursorRect(at)
    return QPoint(rect.left() + 40, rect.bottom() - 20)


def _table(win: MainWindow) -> QTextTable:
    frames = [win.reader.document().rootFrame()]
    while frames:
        frame = frames.pop()
        if isinstance(frame, QTextTable):
            return frame
        frames.extend(frame.childFrames())
    raise AssertionError("no table on the page")


def test_a_quick_runs_page_fits_the_reader_and_opens_its_plot_full_size(qtbot, window: MainWindow) -> None:
    from notesgraph.experiments.runner import follow_run, run_details, start_run

    claim = baseline_claim(window)
    run = start_run(window.store, "random_baseline", claim.id, quick=True)  # a real run, ~1 s
    assert follow_run(window.store, run.id, timeout=120).status == "done"
    window.navigator.refresh_claims_and_runs()
    qtbot.mouseClick(window.navigator.buttons["run"], Qt.MouseButton.LeftButton)
    click_row(qtbot, window.navigator.lists["run"], f"run:{run.id}")
    assert window.reader.current_item == f"run:{run.id}"
    details = run_details(window.store, run.id)
    page = window.reader.toPlainText()
    tests = {verdict[0] for verdict in details.verdicts}
    for test in tests:  # one verdict per claim test, the other conditions folded
        assert sum(line.startswith(("consistent " + test, "inconsistent " + test, "inconclusive " + test))
                   for line in page.splitlines()) == 1
    more = len(details.verdicts) - len(tests)
    assert (f"all conditions ({more} more verdicts)" in page) == (more > 0)

    width = window.reader.content_width()  # the plot fills the reader
    assert f'width="{width}"' in window.reader.toHtml()
    assert width > 380
    table = _table(window)  # the results table: headers on one line, inside the reader
    for column in range(table.columns()):
        cell = table.cellAt(0, column)
        first, last = (window.reader.cursorRect(c) for c in (cell.firstCursorPosition(), cell.lastCursorPosition()))
        assert first.top() == last.top(), cell.firstCursorPosition().block().text()
    last_cell = table.cellAt(0, table.columns() - 1).lastCursorPosition()
    assert window.reader.cursorRect(last_cell).right() <= window.reader.viewport().width()

    qtbot.mouseClick(window.reader.viewport(), Qt.MouseButton.LeftButton, pos=image_point(window))
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    label = dialog.findChild(QLabel)
    assert label.pixmap().size() == QPixmap(details.plot).size()  # the picture at its own size
    assert label.pixmap().width() > width


def test_a_failed_gate_is_stated_once_with_one_verdict_per_claim(qtbot, window: MainWindow) -> None:
    """Replication 1's 28 verdicts from its own verdict function (design checks not recorded: the
    gate every verdict fails), stored as its worker stores them; a real quick run of it takes
    ~45 s, so the rows are written here."""
    from notesgraph.experiments.replication1.instruction_tuning_report import claim_verdicts
    from notesgraph.experiments.runner import create_run

    groups = ("all", "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label")
    names = ("original-simplified", "correct-delusive", "tuned-random", "tuned-untuned")
    results = [Result("compare", f"{kind}/{name}/{group}/n4", 1.0, -2.0, 4.0, 16)
               for kind in ("diff", "diff90") for name in names for group in groups]
    results += [Result("compare", f"p_{kind}/{name}/{group}/n4", 0.5, 0.5, 0.5, 16)
                for kind in ("consistent", "inconsistent") for name in names for group in groups]
    verdicts = claim_verdicts(INSTRUCTION_TUNING, results)
    assert len(verdicts) == 28 and all(v.reason.startswith("design checks failed") for v in verdicts)
    claim = baseline_claim(window)
    run_id = create_run(window.store, "instruction_tuning", quick=True, claim_id=claim.id)
    window.store.save_run_condition(run_id, "compare", 0, [(r.condition, r.metric, r.value, r.ci_low, r.ci_high, r.n)
                                                           for r in results])
    window.store.finish_run(run_id, "done", [(v.claim, v.condition, v.verdict, v.reason, v.primary) for v in verdicts])
    window.walk_and_open(f"run:{run_id}")
    page = window.reader.toPlainText()
    assert page.count("design checks failed") == 1 and page.count("no verdict") == 1
    for test in INSTRUCTION_TUNING.claims:
        assert page.count(f"inconclusive {test.name} (") == 1
    assert "all conditions (24 more verdicts)" in page and "results (112 rows)" in page
    click_text(qtbot, window, "all conditions (24 more verdicts)")
    page = window.reader.toPlainText()
    assert page.count("design checks failed") == 1
    for test in INSTRUCTION_TUNING.claims:
        assert page.count(f"inconclusive {test.name} (") == 7
    assert "▾ hide" in page

    window.open_item(claim.item)  # the claim panel shows the run the same way
    panel = window.reader.toPlainText()
    assert panel.count("design checks failed") == 1 and f"Run {run_id} · instruction_tuning (quick) · done" in panel
