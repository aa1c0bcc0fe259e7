"""Replication 2 (issue 7) through the real runner with replication 1's reader models (quick)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notesgraph.experiments.replication2.prompt_sensitivity import CLAIM_NAMES, MODELS, load_records
from notesgraph.experiments.registry import experiment, experiments_for_claim
from notesgraph.experiments.runner import create_run, execute, run_folder
from notesgraph.store import Store


def test_the_notes_claims_find_this_experiment():
    sentences = {
        "instructive_vs_irrelevant": "Models learned about as quickly from templates that said nothing useful, "
                                     "or the wrong thing, as from ones that described the task.",
        "targets_vs_templates": "Changing the *target words* — the words the model must output for each label — "
                                "moved results far more than changing the template's meaning.",
    }
    for name, sentence in sentences.items():
        found = [(spec.name, test.name) for spec, test in experiments_for_claim(sentence)]
        assert ("prompt_sensitivity", name) in found


@pytest.mark.slow
def test_quick_protocol_runs_every_model_with_its_invariants(tmp_path: Path):
    spec = experiment("prompt_sensitivity")
    db = tmp_path / "notes.db"
    with Store(db) as store:
        run_id = create_run(store, "prompt_sensitivity", seeds=[0, 1, 2, 3], quick=True)  # CI time: 4 of 8 seeds
    assert execute(db, run_id) == "done"
    with Store(db) as store:
        results = {(c, m): v for c, m, v, *_ in store.run_results(run_id)}
        verdicts = store.run_verdicts(run_id)
        assert set(store.finished_conditions(run_id)) == set(spec.conditions)
    folder = run_folder(db, run_id)
    for model in MODELS:
        records = load_records(folder, model)
        assert records is not None and records.records
        assert all(0.0 <= r.final_accuracy <= 1.0 and r.best_accuracy >= r.final_accuracy for r in records.records)
        # statistics computed at k=8, the template check computed at k<=4
        assert (model, "kruskal_p/category/k8") in results and (model, "kruskal_p/target/k8") in results
        assert (model, "check/passed") in results and (model, "check/p/k4") in results
    assert not any(r.shots == 0 for r in load_records(folder, "M0").records)  # M0 has no zero-shot runs
    primary = [v for v in verdicts if v[4]]
    assert {v[0] for v in primary} == set(CLAIM_NAMES.values()) and all(v[1] == "M1" for v in primary)
    assert all(v[2] == "inconclusive" for v in verdicts if results.get((v[1], "check/passed")) == 0.0)
    record = json.loads((folder / "run.json").read_text())
    assert record["verdicts"] and (folder / "results.png").stat().st_size > 10_000
    report = (folder / "report.md").read_text()
    assert "| category: instructive |" in report and "template check" in report
