"""Replication 1 zero-shot with SmolLM2 (issue 17, item 4): the prompts each condition puts to
the model, rank classification inside the output space, and a quick run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notesgraph.experiments.shared.heldout_suite import build_heldout_suite
from notesgraph.experiments.replication1.lm_zero_shot import lm_context, lm_query


@pytest.fixture(scope="module")
def task():
    return next(t for t in build_heldout_suite(0, 16, 8, 4, 4).held_out if len(t.labels) == 2)


def test_each_condition_puts_its_definition_and_demonstrations_in_the_prompt(task):
    original = lm_context(task, "original", "correct")
    assert original.startswith(f"Definition: {task.definition}\n\n")
    for words, label in task.demonstrations:
        assert f"Input: {' '.join(words)}\nOutput: {label}\n\n" in original
    simplified = lm_context(task, "simplified", "none")
    assert simplified == f"Definition: {task.simplified}\n\n" and "Input:" not in simplified
    assert all(label in task.simplified for label in task.labels)
    delusive = lm_context(task, "empty", "delusive")
    assert "Definition:" not in delusive
    for words, label in task.demonstrations:
        other = task.labels[(task.labels.index(label) + 1) % len(task.labels)]
        assert f"Input: {' '.join(words)}\nOutput: {other}\n\n" in delusive
    assert lm_context(task, "empty", "none") == ""
    assert lm_query(("the", "dog", "runs"), "yes") == "Input: the dog runs\nOutput: yes"


@pytest.mark.slow
def test_a_quick_run_scores_every_condition_inside_the_output_space_and_judges_no_claim(tmp_path: Path, capsys):
    from notesgraph.cli import main
    from notesgraph.experiments.runner import run_folder, run_results
    from notesgraph.store import Store

    db = tmp_path / "notes.db"
    code = main(["--db", str(db), "run", "instruction_tuning_lm", "--quick", "--param", "threads=2"])
    out = capsys.readouterr().out
    assert code == 0, out
    folder = run_folder(db, 1)
    with Store(db) as store:
        assert store.run_verdicts(1) == []  # the paper's claims are about tuned models
        rows = {(r.condition, r.metric): r for r in run_results(store, 1)}
    for condition in ("original+correct", "simplified+none", "empty+delusive"):
        scores = json.loads((folder / "scores" / f"{condition}-n0-s0.json").read_text())
        assert len(scores) == 8 and all(em == accuracy and compliance == 1.0 for em, compliance, accuracy in scores.values())
        assert rows[(condition, "compliance/all/n0")].value == 100.0
    assert all(rows[("design_check", name)].value == 0 for name in (
        "heldout_tasks_sharing_training_mapping", "heldout_instances_seen_in_training", "heldout_families_in_training"))
    gap = rows[("compare", "diff/original-simplified/all/n0")]
    assert gap.ci_low <= gap.value <= gap.ci_high
    check = rows[("compare", "check/dr_original_minus_random/n0")]
    report = (folder / "report.md").read_text()
    assert "SmolLM2-135M-Instruct" in report and "| DR check |" in report
    assert ("| original-simplified | inconclusive | control failed" in report) == (check.ci_low < 10)
    assert (folder / "results.png").stat().st_size > 10_000
