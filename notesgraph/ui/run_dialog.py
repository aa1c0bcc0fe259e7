"""The "Run replication…" dialog: which experiment, quick or full, every parameter, the seeds.

The dialog only collects a `RunChoice` (checked against the spec, so a bad value is shown here
rather than failing later); the window starts it through the same core functions as
`notesgraph run` (runner.start_run on runner.make_backend: this machine, or Ray with an
address, as `--backend ray --address`). Ray is never imported here (only looked up).

Parameters are numbers today (a spin box with the spec's range) and may be strings soon (a
combo box when the spec lists `choices`, else a line edit): the editor is picked from the
parameter's value type, so both kinds work without changes here. Numbers keep every digit
typed (5e-05 stays 5e-05, not the 4 decimals of a plain QDoubleSpinBox), each parameter shows
its spec help, parameters that do not apply to the chosen backend or family are hidden, and a
run estimated over ten minutes asks before it starts.
"""

from __future__ import annotations

import html
import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from notesgraph.experiments.spec import ExperimentError, ExperimentSpec, Parameter, ParameterValue

_INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
CONFIRM_OVER_SECONDS = 600
"""A run estimated longer than this asks "Start it?" first."""
_NUMBER_PREFIX = re.compile(r"[+-]?(\d+\.?\d*|\.\d*)?([eE][+-]?\d*)?")
"""What a number may look like while it is being typed ("5e-", "0.")."""


@dataclass(frozen=True)
class RunChoice:
    """What the user asked for: passed as is to runner.create_run."""

    experiment: str
    quick: bool
    parameters: dict[str, ParameterValue]
    seeds: list[int]
    backend: str = "local"
    """runner.BACKENDS: "local" (this machine) or "ray" (a task per condition)"""
    address: str = ""
    """ray: HOST:PORT, "auto", or "" (start or join a Ray instance on this machine)"""


class NumberBox(QDoubleSpinBox):
    """A spin box for real numbers that keeps the value typed: shown in the shortest form
    (0.6, 0.0003, 5e-05), scientific notation accepted, and stepped by factors of two on a
    range spanning three or more decades (a learning rate), where +0.01 would be meaningless."""

    def __init__(self, low: float, high: float) -> None:
        super().__init__()
        self.setDecimals(20)  # QDoubleSpinBox rounds to these decimals: 5e-05 needs 5
        self.setRange(low, high)
        self._log_steps = low > 0 and high / low >= 1000
        self.setSingleStep(0.1 if high - low > 1 else 0.01)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt API
        return f"{value:.12g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt API
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:  # noqa: D102 - Qt API
        try:
            number = float(text)
        except ValueError:
            intermediate = _NUMBER_PREFIX.fullmatch(text.strip()) is not None
            return (QValidator.State.Intermediate if intermediate else QValidator.State.Invalid), text, pos
        inside = self.minimum() <= number <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        if self._log_steps:
            self.setValue(self.value() * 2.0 ** steps)
        else:
            super().stepBy(steps)


def duration_text(seconds: float) -> str:
    """"about 40 s", "about 52 min", "about 2.5 h": the estimate in a unit a person plans with."""
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def parse_seeds(text: str) -> list[int]:
    """"0, 1, 2" -> [0, 1, 2]; ValueError with a message a user can act on otherwise
    (empty, not a whole number, negative, or repeated)."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        try:
            seed = int(part)
        except ValueError:
            raise ValueError(f"seed {part!r} is not a whole number") from None
        if seed < 0:
            raise ValueError(f"seed {seed} is negative (seeds are 0 or more)")
        if seed in seeds:
            raise ValueError(f"seed {seed} is listed twice")
        seeds.append(seed)
    if not seeds:
        raise ValueError("give at least one seed, e.g. 0, 1, 2")
    return seeds


def parameter_editor(parameter: Parameter, value: ParameterValue) -> QWidget:
    """The editor for one parameter, showing `value`: a combo box (text with choices), a line
    edit (free text), a spin box (int) or a double spin box (float), with the spec's range."""
    if isinstance(parameter.default, str):
        if parameter.choices:
            combo = QComboBox()
            combo.addItems(list(parameter.choices))
            combo.setCurrentText(str(value))
            return combo
        return QLineEdit(str(value))
    if isinstance(parameter.default, int):
        spin = QSpinBox()
        spin.setRange(max(int(parameter.low), -_INT_LIMIT), min(int(parameter.high), _INT_LIMIT))
        spin.setValue(int(value))
        return spin
    double = NumberBox(float(parameter.low), float(parameter.high))
    double.setValue(float(value))
    return double


def editor_value(editor: QWidget) -> ParameterValue:
    """The value an editor made by `parameter_editor` holds."""
    if isinstance(editor, QComboBox):
        return editor.currentText()
    if isinstance(editor, QLineEdit):
        return editor.text()
    if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
        return editor.value()
    raise TypeError(f"not a parameter editor: {editor!r}")


class RunDialog(QDialog):
    """Choose and check a replication run of one claim; `choice()` once accepted.

    Switching experiment or quick/full resets the editors to that setting's values (the spec's
    quick or default value), so what is shown is always what would run.
    """

    def __init__(self, specs: Sequence[ExperimentSpec], claim_text: str, preferred: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not specs:
            raise ValueError("no experiment tests this claim")
        self.setWindowTitle("Run replication")
        self.specs = {spec.name: spec for spec in specs}
        self.editors: dict[str, QWidget] = {}
        self.confirmation: QMessageBox | None = None
        claim = QLabel(claim_text, wordWrap=True)
        claim.setStyleSheet("QLabel { background-color: #fff1b8; padding: 4px; }")
        self.experiment = QComboBox()
        for spec in specs:
            self.experiment.addItem(f"{spec.name} — {spec.title}", spec.name)
        self.quick = QRadioButton("Quick (same code, fewer tasks)")
        self.full = QRadioButton("Full run")
        self._mode = QButtonGroup(self)
        self._mode.addButton(self.quick)
        self._mode.addButton(self.full)
        self.quick.setChecked(True)
        self.estimate = QLabel()
        self.where = QComboBox()
        self.where.addItem("This machine", "local")
        self.where.addItem("Ray cluster (a task per condition)", "ray")
        if importlib.util.find_spec("ray") is None:
            self.where.model().item(1).setEnabled(False)
            self.where.setToolTip("Ray is not installed: pip install 'notesgraph[ray]'")
        self.address = QLineEdit()
        self.address.setPlaceholderText("blank: a Ray instance on this machine · auto · HOST:PORT of the head")
        self.parameters = QFormLayout()
        self.seeds = QLineEdit()
        self.seeds.setToolTip("comma-separated whole numbers, e.g. 0, 1, 2")
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("QLabel { color: #c0392b; }")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Experiment", self.experiment)
        form.addRow("Setting", self.quick)
        form.addRow("", self.full)
        form.addRow("", self.estimate)
        form.addRow("Run on", self.where)
        form.addRow("Ray address", self.address)
        self.where.currentIndexChanged.connect(lambda _: form.setRowVisible(self.address, self.backend() == "ray"))
        form.setRowVisible(self.address, False)
        layout = QVBoxLayout(self)
        layout.addWidget(claim)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>Parameters</b>"))
        layout.addLayout(self.parameters)
        seeds_form = QFormLayout()
        seeds_form.addRow("Seeds", self.seeds)
        layout.addLayout(seeds_form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        if preferred in self.specs:
            self.experiment.setCurrentIndex(list(self.specs).index(preferred))
        self.experiment.currentIndexChanged.connect(lambda _: self._fill())
        self.quick.toggled.connect(lambda _: self._fill())
        self.seeds.textChanged.connect(lambda _: self._check())
        self._fill()

    @property
    def spec(self) -> ExperimentSpec:
        return self.specs[self.experiment.currentData()]

    def _fill(self) -> None:
        """Editors for the chosen experiment, showing the quick or default values, each with
        its help; those that do not apply to the chosen backend or family hidden."""
        spec, quick = self.spec, self.quick.isChecked()
        while self.parameters.rowCount():
            self.parameters.removeRow(0)
        self.editors = {}
        for parameter in spec.parameters:
            value = parameter.quick if quick and parameter.quick is not None else parameter.default
            editor = parameter_editor(parameter, value)
            editor.setToolTip(parameter.help)
            if isinstance(editor, QLineEdit):
                editor.textChanged.connect(lambda _: self._check())
            if isinstance(editor, QComboBox):  # a backend or family: what applies changes
                editor.currentTextChanged.connect(lambda _: self._show_applicable())
            self.editors[parameter.name] = editor
            self.parameters.addRow(parameter.name, _with_help(editor, parameter.help))
        self.seeds.setText(", ".join(map(str, spec.seeds)))
        seconds = self.estimated_seconds()
        self.estimate.setText(f"<small>{duration_text(seconds)} on 2 cores with the default values</small>"
                              if seconds else "")
        self._show_applicable()
        self._check()

    def _show_applicable(self) -> None:
        """Show the rows of parameters that matter with the values chosen now (a row per
        parameter, in spec order: a handful of lookups)."""
        values = {name: editor_value(editor) for name, editor in self.editors.items()}
        for row, name in enumerate(self.editors):
            self.parameters.setRowVisible(row, self.spec.applies(name, values))

    def shown_parameters(self) -> list[str]:
        """The parameters whose rows are shown (those that apply)."""
        return [name for row, name in enumerate(self.editors) if self.parameters.isRowVisible(row)]

    def backend(self) -> str:
        """Where the run is to execute: "local" or "ray"."""
        return str(self.where.currentData())

    def estimated_seconds(self) -> float:
        """The spec's estimate for the chosen setting (quick or full), at the default values."""
        return self.spec.quick_seconds if self.quick.isChecked() else self.spec.estimate_seconds

    def _check(self) -> RunChoice | None:
        """The choice, or None with the problem shown and Start disabled."""
        try:
            seeds = parse_seeds(self.seeds.text())
            values = {name: editor_value(editor) for name, editor in self.editors.items()}
            self.spec.resolve(values, self.quick.isChecked())  # the same checks as create_run
            self.spec.check_seeds(seeds)
        except (ValueError, ExperimentError) as problem:
            self.error.setText(str(problem))
            self.start_button.setEnabled(False)
            return None
        self.error.setText("")
        self.start_button.setEnabled(True)
        address = self.address.text().strip() if self.backend() == "ray" else ""
        return RunChoice(self.spec.name, self.quick.isChecked(), values, seeds, self.backend(), address)

    def choice(self) -> RunChoice | None:
        """What to run (None while a value is invalid)."""
        return self._check()

    def accept(self) -> None:  # noqa: D102 - QDialog API
        if self._check() is None:
            return
        seconds = self.estimated_seconds()
        if seconds <= CONFIRM_OVER_SECONDS:
            super().accept()
            return
        # Window-modal and not exec(): the event loop keeps running (runs' progress, tests).
        self.confirmation = QMessageBox(
            QMessageBox.Icon.Question, "Start a long run?",
            f"This run is estimated at {duration_text(seconds)} on 2 cores. Start it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        yes = self.confirmation.button(QMessageBox.StandardButton.Yes)
        self.confirmation.buttonClicked.connect(lambda button: button is yes and QDialog.accept(self))
        self.confirmation.open()


def _with_help(editor: QWidget, help_text: str) -> QWidget:
    """`editor` with its parameter's help beside it, small and grey, wrapped."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    editor.setMinimumWidth(150)  # the help texts line up
    layout.addWidget(editor, 0)
    note = QLabel(f"<small>{html.escape(help_text)}</small>", wordWrap=True)
    note.setStyleSheet("QLabel { color: #666666; }")
    note.setMinimumWidth(260)
    layout.addWidget(note, 1)
    return row


__all__ = ["CONFIRM_OVER_SECONDS", "NumberBox", "RunChoice", "RunDialog", "duration_text", "editor_value",
           "parameter_editor", "parse_seeds"]
