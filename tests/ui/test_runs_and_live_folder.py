"""The run dialog, runs as graph nodes, stale-similarity marks and cancelling indexing, driven
on the real window offscreen (real widgets, real SQLite, real runner processes)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

from conftest import NOTES, REPO, write
from notesgraph.claims import stored_claims
from notesgraph.experiments.registry import experiment
from notesgraph.experiments.spec import Parameter
from notesgraph.ui.main_window import MainWindow
from notesgraph.ui.run_dialog import RunDialog, editor_value, parameter_editor, parse_seeds
from ui.test_main_window import MAIN_TITLE, click_node, note_item, open_window
from ui.test_main_window import window  # noqa: F401 - the fixture

sys.path.insert(0, str(REPO / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402


def baseline_claim(win: MainWindow):
    """The 42.6% random-baseline claim of the instruction-tuning note (random_baseline tests it)."""
    main = note_item(win, MAIN_TITLE)
    return next(c for c in stored_claims(win.store, [int(main.split(":")[1])])
                if any(q.value == 42.6 for q in c.claim.quantities))


def note_row_text(win: MainWindow, item: str) -> str:
    model = win.navigator.lists["note"].model_
    row = next(i for i, r in enumerate(model.rows) if r[0] == item)
    return model.data(model.index(row), Qt.ItemDataRole.DisplayRole)


# -- the run dialog and run nodes -----------------------------------------------------------------


def test_run_dialog_starts_a_run_with_the_chosen_parameters_and_seeds(qtbot, window: MainWindow) -> None:
    claim = baseline_claim(window)
    window.walk_and_open(claim.item)
    assert "Run replication…" in window.reader.toPlainText()
    # random_baseline's link (~1 s quick); other experiments may test this claim too.
    link = 'href="replicate:random_baseline:'
    href = link[6:] + window.reader.toHtml().split(link, 1)[1].split('"', 1)[0]
    window.reader.anchorClicked.emit(QUrl(href))  # as if the link were clicked
    dialog = window.run_dialog
    assert isinstance(dialog, RunDialog) and dialog.isVisible()
    assert dialog.spec.name == "random_baseline" and dialog.quick.isChecked()
    tasks = dialog.editors["tasks"]
    assert isinstance(tasks, QSpinBox) and tasks.value() == 20  # the quick value
    assert (tasks.minimum(), tasks.maximum()) == (5, 20000)  # the spec's range
    dialog.full.setChecked(True)
    assert dialog.editors["tasks"].value() == 60  # full: the defaults
    dialog.quick.setChecked(True)
    dialog.editors["tasks"].setValue(12)
    dialog.seeds.setText("4, x")
    assert not dialog.start_button.isEnabled() and "'x' is not a whole number" in dialog.error.text()
    dialog.seeds.setText("5, 7")
    assert dialog.start_button.isEnabled() and dialog.error.text() == ""
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and len(window.watched_runs) == 1
    run_id = next(iter(window.watched_runs))
    assert f"run:{run_id}" in window.graph  # its node appears at once, queued
    runs = window.navigator.lists["run"]
    assert runs.count() == 1 and runs.item_at(0) == f"run:{run_id}"
    assert "Cancel" in window.reader.toPlainText() or "· done" in window.reader.toPlainText()
    qtbot.waitUntil(lambda: not window.watched_runs, timeout=120000)

    row = window.store.run_row(run_id)
    assert row["status"] == "done" and row["quick"]
    assert row["parameters"] == {"tasks": 12, "instances": 20, "bootstrap": 200}
    assert row["seeds"] == [5, 7]
    assert window.store.run_results(run_id)
    panel = window.reader.toPlainText()
    assert f"Run {run_id} · random_baseline (quick) · done" in panel and "95% CI" in panel
    # The run is a node linked from its claim, labelled with its status; clicking it opens it.
    node = f"run:{run_id}"
    assert window.graph.has_edge(claim.item, node, key="replicated_by")
    assert window.graph.nodes[node]["label"] == f"random_baseline (quick) · done · run {run_id}"
    assert window.current == claim.item and node in window.view.nodes
    click_node(qtbot, window, node)
    assert window.reader.current_item == node and "Claims it tests" in window.reader.toPlainText()
    assert "tasks" in window.reader.toPlainText() and "[5, 7]" in window.reader.toPlainText()


def test_parameter_editors_fit_numbers_and_text(qtbot) -> None:
    """Text parameters (a choice list, or free text) get their own editors; numbers spin boxes."""
    backend = Parameter("backend", "cpu", "", "", "where to run", choices=("cpu", "mps"))
    path = Parameter("data", "tasks.jsonl", "", "", "input file")
    rate = Parameter("rate", 0.5, 0.0, 1.0, "a share", quick=0.25)
    editors = [parameter_editor(backend, "mps"), parameter_editor(path, "other.jsonl"),
               parameter_editor(rate, 0.25), parameter_editor(Parameter("n", 3, 1, 9, "count"), 4)]
    for editor in editors:
        qtbot.addWidget(editor)
    assert isinstance(editors[0], QComboBox) and editor_value(editors[0]) == "mps"
    assert isinstance(editors[1], QLineEdit) and editor_value(editors[1]) == "other.jsonl"
    assert editor_value(editors[2]) == 0.25 and editors[2].maximum() == 1.0
    assert editor_value(editors[3]) == 4
    assert parse_seeds(" 0, 1 ,2 ") == [0, 1, 2]
    for bad, message in (("", "at least one"), ("1, 1", "twice"), ("-3", "negative"), ("1.5", "whole")):
        try:
            parse_seeds(bad)
        except ValueError as error:
            assert message in str(error)
        else:
            raise AssertionError(f"{bad!r} was accepted")


# -- stale similarities ---------------------------------------------------------------------------


def test_a_changed_note_is_marked_until_its_similarities_are_refreshed(qtbot, tmp_path: Path, encoder,
                                                                        embedded_notes_db: Path) -> None:
    from notesgraph.embeddings import embed_store
    from notesgraph.indexer import index_folder
    from notesgraph.store import Store

    # The embedded bundled notes, moved to a copy of the folder: vectors are reused, none encoded.
    shutil.copyfile(embedded_notes_db, tmp_path / "app.db")
    shutil.copytree(NOTES, tmp_path / "notes")
    with Store(tmp_path / "app.db") as store:
        store.remove_files(str(NOTES / name) for name in os.listdir(NOTES))
        index_folder(store, tmp_path / "notes")
        assert embed_store(store, encoder).embedded == 0
    win = open_window(qtbot, tmp_path, embed=True, copy=False)
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks and win.navigator.semantic_search is not None,
                    timeout=120000)
    main = note_item(win, MAIN_TITLE)
    win.open_item(main)
    assert not win.stale_notes and "out of date" not in win.reader.toPlainText()
    assert not note_row_text(win, main).startswith("⟳")

    win.embed = False  # hold re-embedding back, to look at the stale state
    path = Path(win.store.note(int(main[5:]))["path"])
    assert tmp_path in path.parents  # never the bundled notes
    path.write_text(path.read_text(encoding="utf-8").replace("Taken at face value,", "Taken at face value alone,"),
                    encoding="utf-8")
    qtbot.waitUntil(lambda: int(main[5:]) in win.stale_notes and not win.tasks, timeout=30000)  # the watcher
    assert win.stale_notes == {int(main[5:])}
    assert win.reader.current_item == main and "similarities out of date" in win.reader.toPlainText()
    assert note_row_text(win, main).startswith("⟳")
    other = next(r[0] for r in win.navigator.lists["note"].model_.rows if r[0] != main)
    assert not note_row_text(win, other).startswith("⟳")

    win.embed = True
    win.reopen()
    assert "similarities out of date — refreshing…" in win.reader.toPlainText()
    win.embed_now()
    qtbot.waitUntil(lambda: not win.tasks, timeout=120000)
    assert not win.stale_notes and "out of date" not in win.reader.toPlainText()
    assert not note_row_text(win, main).startswith("⟳")


def test_run_dialog_refuses_what_the_core_refuses(qtbot) -> None:
    """Issue 22: n_values=0 (training on nothing) and seeds out of range are caught by the same spec
    checks as runner.start_run, shown before Start is enabled."""
    dialog = RunDialog([experiment("instruction_tuning")], "A claim.")
    qtbot.addWidget(dialog)
    n_values = dialog.editors["n_values"]
    assert isinstance(n_values, QLineEdit) and dialog.start_button.isEnabled()
    n_values.setText("0")
    assert not dialog.start_button.isEnabled() and "n_values=0: 0 is outside 1..100000" in dialog.error.text()
    n_values.setText("4, 16")
    assert dialog.start_button.isEnabled()
    dialog.seeds.setText("1, 4294967296")
    assert not dialog.start_button.isEnabled() and "seed 4294967296 is outside 0..4294967295" in dialog.error.text()


def test_a_stale_verdict_says_so_in_the_claim_panel(qtbot, window: MainWindow) -> None:
    from notesgraph.experiments.runner import create_run

    claim = baseline_claim(window)
    run_id = create_run(window.store, "random_baseline", quick=True, claim_id=claim.id)
    window.store.finish_run(run_id, "done", [("random_baseline_em", "two_or_three", "consistent", "in range", True)])
    window.open_item(claim.item)
    assert "evidence: consistent" in window.reader.toPlainText()
    assert "older version" not in window.reader.toPlainText()
    path = Path(window.store.note(claim.note_id)["path"])
    assert window.folder in path.parents  # never the bundled notes
    path.write_text(path.read_text(encoding="utf-8").replace("Taken at face value,", "Read plainly,"),
                    encoding="utf-8")
    # Re-indexing gives the note's claims new ids; the claim keeps its key, so its runs.
    qtbot.waitUntil(lambda: baseline_claim(window).status == "stale" and not window.tasks, timeout=30000)
    window.open_item(baseline_claim(window).item)
    assert "evidence: stale" in window.reader.toPlainText()
    assert "verdict from an older version of this claim's note" in window.reader.toPlainText()


# -- cancelling indexing --------------------------------------------------------------------------


def test_cancel_stops_indexing_between_files_and_keeps_what_was_done(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    write_corpus(400, folder, seed=9)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(tmp_path / "app.db", folder, settings, embed=False)
    qtbot.addWidget(win)
    win.show()
    win.reindex()
    assert win.cancel_button.isVisible()
    qtbot.waitUntil(lambda: win.progress.value() >= 5, timeout=60000)
    qtbot.mouseClick(win.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks, timeout=60000)
    report = win.report
    assert report is not None and report.stopped and 5 <= report.done < 400
    assert report.left == 400 - report.done
    assert win.store.stats()["notes"] == report.done  # each file done is committed
    assert "Indexing stopped" in win.statusBar().currentMessage()
    assert win.navigator.lists["note"].count() == report.done
    assert not win.cancel_button.isVisible() and not win.progress.isVisible()
    win.reindex()  # F5 finishes the rest
    qtbot.waitUntil(lambda: not win.tasks, timeout=120000)
    assert not win.report.stopped and win.report.unchanged == report.done
    assert win.store.stats()["notes"] == 400


def test_watched_paths_are_the_visible_folders_and_few_enough_note_files(tmp_path: Path) -> None:
    from notesgraph.ui.main_window import watched_paths

    for name in ("a.md", "sub/b.txt", "sub/deeper/c.markdown", "sub/d.png", ".hidden/e.md", "sub/.git/f.md"):
        write(tmp_path / Path(name).parent, Path(name).name, "x")
    folders, files = watched_paths(tmp_path, 10)
    assert sorted(folders) == sorted([str(tmp_path), str(tmp_path / "sub"), str(tmp_path / "sub" / "deeper")])
    assert sorted(files) == sorted(str(tmp_path / p) for p in ("a.md", "sub/b.txt", "sub/deeper/c.markdown"))
    assert watched_paths(tmp_path, 2) == (folders, [])  # too many files: folders only
