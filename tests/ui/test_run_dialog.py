"""The run dialog on the real experiment specs, driven with keys and clicks (offscreen): numbers
keep their precision, help shows, what does not apply is hidden, long runs ask first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox

from notesgraph.cli import main
from notesgraph.experiments.registry import INSTRUCTION_TUNING, PROMPT_SENSITIVITY, RANDOM_BASELINE, SPECS
from notesgraph.experiments.runner import create_run
from notesgraph.store import Store
from notesgraph.ui.run_dialog import NumberBox, RunDialog, duration_text
from ui.test_main_window import window  # noqa: F401 - the fixture


def open_dialog(qtbot, spec=INSTRUCTION_TUNING) -> RunDialog:
    dialog = RunDialog([spec], "a claim", spec.name)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick `text` in a combo box with the keyboard, as a user would."""
    combo.setFocus()
    while combo.currentText() != text:
        qtbot.keyClick(combo, Qt.Key.Key_Down)


def type_into(qtbot, box: NumberBox, text: str) -> None:
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    box.interpretText()


def test_the_dialog_submits_5e_05_exactly_and_the_run_records_it(qtbot, tmp_path: Path, capsys) -> None:
    dialog = open_dialog(qtbot)
    dialog.full.setChecked(True)
    choose(qtbot, dialog.editors["backend"], "hf_seq2seq")
    lr = dialog.editors["lr"]
    assert isinstance(lr, NumberBox) and lr.lineEdit().text() == "5e-05"  # the default, not 0.0001
    type_into(qtbot, lr, "3e-05")
    assert lr.value() == 3e-05
    type_into(qtbot, lr, "5e-05")
    dialog.editors["model_dir"].setText(str(tmp_path))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    # Estimated at 52 min: the dialog asks first and stays open until Yes.
    assert dialog.isVisible() and isinstance(dialog.confirmation, QMessageBox)
    assert "about 52 min" in dialog.confirmation.text()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.confirmation.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    choice = dialog.choice()
    assert choice is not None and choice.parameters["lr"] == 5e-05 and not choice.quick

    db = tmp_path / "runs.db"
    with Store(db) as store:
        run_id = create_run(store, choice.experiment, choice.parameters, choice.seeds, choice.quick)
    capsys.readouterr()
    assert main(["--db", str(db), "--json", "runs", "show", str(run_id)]) == 0
    assert json.loads(capsys.readouterr().out)["parameters"]["lr"] == 5e-05


def test_no_starts_nothing_and_a_short_run_does_not_ask(qtbot) -> None:
    dialog = open_dialog(qtbot)
    dialog.full.setChecked(True)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.confirmation.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result() == 0
    quick = open_dialog(qtbot, RANDOM_BASELINE)
    with qtbot.waitSignal(quick.accepted, timeout=5000):
        qtbot.mouseClick(quick.start_button, Qt.MouseButton.LeftButton)
    assert quick.confirmation is None


def test_only_parameters_that_apply_are_shown_each_with_its_help(qtbot) -> None:
    dialog = open_dialog(qtbot)
    shown = dialog.shown_parameters()
    assert "family" in shown and "pretrain_steps" in shown
    assert not {"model_dir", "superni_dir", "lr", "head_epochs", "head_lr", "head_hidden"} & set(shown)
    choose(qtbot, dialog.editors["family"], "minilm")
    shown = dialog.shown_parameters()
    assert {"head_epochs", "head_lr", "head_hidden"} <= set(shown) and "pretrain_steps" not in shown
    choose(qtbot, dialog.editors["backend"], "hf_seq2seq")
    shown = dialog.shown_parameters()
    assert {"model_dir", "superni_dir", "lr", "batch_size", "n_values"} <= set(shown)
    assert not {"family", "head_lr", "pretrain_steps", "tune_lr"} & set(shown)
    assert dialog.editors["model_dir"].isVisible() and not dialog.editors["head_lr"].isVisible()
    for parameter in INSTRUCTION_TUNING.parameters:  # the help is on screen beside the editor
        editor = dialog.editors[parameter.name]
        labels = [label.text() for label in editor.parentWidget().findChildren(QLabel)]
        assert parameter.help and any(parameter.help.split(":")[-1].strip()[:20] in t for t in labels)
        assert editor.toolTip() == parameter.help
    sensitivity = open_dialog(qtbot, PROMPT_SENSITIVITY)
    assert "rte_dir" not in sensitivity.shown_parameters() and "m1_lr" in sensitivity.shown_parameters()


def test_every_only_when_rule_names_real_parameters_and_choices() -> None:
    for spec in SPECS.values():
        names = {p.name: p for p in spec.parameters}
        for rule in spec.only_when:
            assert set(rule.parameters) <= set(names), (spec.name, rule)
            assert rule.equals in names[rule.when].choices, (spec.name, rule)


@pytest.mark.parametrize(("seconds", "text"), [(40, "about 40 s"), (3100, "about 52 min"), (1800, "about 30 min"),
                                               (9000, "about 2.5 h")])
def test_estimates_read_in_minutes(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_number_boxes_keep_small_values_and_step_by_factors_on_wide_ranges(qtbot) -> None:
    box = NumberBox(1e-8, 1.0)
    qtbot.addWidget(box)
    for value, shown in ((5e-05, "5e-05"), (3e-4, "0.0003"), (1e-08, "1e-08"), (0.6, "0.6")):
        box.setValue(value)
        assert box.value() == value and box.lineEdit().text() == shown
    box.setValue(1e-3)
    box.stepBy(1)
    assert box.value() == 2e-3
    share = NumberBox(0.0, 1.0)
    qtbot.addWidget(share)
    share.setValue(0.6)
    share.stepBy(1)
    assert share.value() == pytest.approx(0.61)


def test_the_dialog_runs_on_ray(qtbot, window, ray_address: str) -> None:
    """"Run on: Ray cluster" with an address: the window starts the run through Ray (a real local
    instance) and watches it to the end (tests/test_ray_backend.py checks its numbers)."""
    from ui.test_runs_and_live_folder import baseline_claim

    claim = baseline_claim(window)
    window.walk_and_open(claim.item)
    window.open_run_dialog(f"random_baseline:{claim.id}")  # what "Run replication…" does
    dialog = window.run_dialog
    assert not dialog.address.isVisible() and dialog.choice().backend == "local"
    choose(qtbot, dialog.where, "Ray cluster (a task per condition)")
    assert dialog.address.isVisible()
    qtbot.keyClicks(dialog.address, ray_address)
    assert dialog.choice().backend == "ray" and dialog.choice().address == ray_address
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    run_id = next(iter(window.watched_runs))
    assert "on Ray" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.watched_runs, timeout=300000)
    row = window.store.run_row(run_id)
    assert row["status"] == "done" and row["environment"]["backend"] == "ray"
    assert row["environment"]["ray"]["address"] == ray_address and len(window.store.run_results(run_id)) == 12
    assert f"Run {run_id} · random_baseline (quick) · done" in window.reader.toPlainText()
