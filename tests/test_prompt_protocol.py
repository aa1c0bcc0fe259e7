"""The prompt protocol over a fake model, and the verdict logic over constructed runs."""

from __future__ import annotations

import zlib
from dataclasses import replace
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from notesgraph.experiments.replication2.prompt_protocol import (CLAIMS, QUICK_DESIGN, PromptExample, ProtocolConfig,
                                                    ProtocolResult, RunRecord, category_statistics,
                                                    claim_verdicts, example_blocks, examples_from_rte_lite,
                                                    learning_curves, median_table, run_count, run_protocol,
                                                    target_kind_statistics, template_check)
from notesgraph.experiments.replication2.prompt_templates import ANIMAL_TEMPLATE, TARGET_SETS, TEMPLATES
from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs, split_pairs


class OracleFake:
    """Knows every pair's answers; answers correctly with a probability that grows with the
    epochs trained, and is high for the animal template (so the template check passes)."""

    mask_token = "[MASK]"

    def __init__(self, examples: Sequence[PromptExample]) -> None:
        self.by_prompt = {t.fill(e.premise, e.hypothesis, self.mask_token): e
                          for t in (*TEMPLATES, ANIMAL_TEMPLATE) for e in examples}
        self.fits: dict[tuple[int, bool, str], list[tuple[str, ...]]] = defaultdict(list)
        self.seed, self.trained, self.task = 0, 0, "entailment"

    def _find(self, prompt: str) -> PromptExample:
        return self.by_prompt[prompt]

    def reset(self, seed: int) -> None:
        self.seed, self.trained, self.task = seed, 0, "entailment"

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        examples = [self._find(p) for p in prompts]
        entailment = [0 if e.entailed else 1 for e in examples]
        animal = [0 if e.attributes.get("mentions_animal") else 1 for e in examples]
        self.task = "entailment" if list(labels) == entailment else "animal"
        assert list(labels) == (entailment if self.task == "entailment" else animal)
        self.fits[(len(prompts), self.task == "animal", targets[0])].append(tuple(e.premise for e in examples))
        for epoch in range(1, epochs + 1):
            self.trained = epoch
            if on_epoch:
                on_epoch(epoch)

    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        out = []
        for prompt in prompts:
            example = self._find(prompt)
            animal = "mention an animal" in prompt or self.task == "animal"
            truth = example.attributes["mentions_animal"] if animal else example.entailed
            skill = 0.95 if "mention an animal" in prompt else 0.5 + 0.1 * self.trained
            noise = zlib.crc32(f"{prompt}|{self.seed}|{self.trained}".encode()) / 2 ** 32
            correct = noise < skill
            out.append(0 if truth == correct else 1)
        return np.array(out)


@pytest.fixture(scope="module")
def quick_run() -> tuple[ProtocolResult, OracleFake, list[PromptExample]]:
    train, test = split_pairs(rte_lite_pairs(0, 240), 80, seed=0)
    train_ex, test_ex = examples_from_rte_lite(train), examples_from_rte_lite(test)
    model = OracleFake(train_ex + test_ex)
    config = ProtocolConfig(shots=(0, 4, 8), seeds=(0, 1), epochs=2, design=QUICK_DESIGN, check_items=40)
    steps: list[int] = []
    result = run_protocol(model, train_ex, test_ex, config, progress=lambda step, total, _: steps.append(total))
    assert steps and steps[-1] == len(steps) == run_count(config)
    return result, model, train_ex


def test_every_prompt_of_a_seed_sees_the_same_example_block(quick_run) -> None:
    result, model, train = quick_run
    assert len(result.records) == run_count(result.config)
    entailment_fits = [(key, calls) for key, calls in model.fits.items() if not key[1]]
    assert entailment_fits
    for (k, _, _), calls in entailment_fits:
        assert set(calls) == {tuple(train[i].premise for i in result.blocks[s][k]) for s in (0, 1)}
    for seed, blocks in result.blocks.items():
        assert blocks[0] == () and set(blocks[4]) < set(blocks[8])
        assert sum(train[i].entailed for i in blocks[8]) == 4
    assert result.blocks[0][8] != result.blocks[1][8]


def test_records_hold_final_and_best_epochs(quick_run) -> None:
    result, _, _ = quick_run
    zero = [r for r in result.records if r.shots == 0]
    assert {r.seed for r in zero} == {0} and all(r.best_epoch == 0 for r in zero)
    for r in result.records:
        assert 0 <= r.final_accuracy <= r.best_accuracy <= 1
        assert r.final_accuracy == r.epoch_accuracies[-1] and r.best_accuracy == max(r.epoch_accuracies)
        assert len(r.epoch_accuracies) == (1 if r.shots == 0 else 2)
    assert {r.shots for r in result.records if r.task == "animal"} == {0, 4}


def test_statistics_curves_table_and_check_are_computed(quick_run) -> None:
    result, _, _ = quick_run
    categories = category_statistics(result)
    assert sorted(categories) == [0, 4, 8] and categories[8].kruskal is not None
    assert set(categories[8].medians) == {"instructive", "misleading-moderate", "misleading-extreme", "irrelevant",
                                          "null"}
    kinds = target_kind_statistics(result, metric="best")
    assert set(kinds[4].medians) == {"yes-no", "yes-no-like", "reversed", "arbitrary"}
    assert kinds[4].counts["yes-no"] == 2  # one template x two seeds
    curves = learning_curves(result, "category")
    assert set(curves["null"]) == {0, 4, 8}
    assert median_table(result, shots=32) == []
    assert {row.group for row in median_table(result, shots=8)} >= {"instructive", "arbitrary"}
    check = template_check(result)
    assert check.computed and check.passed
    assert [row.shots for row in check.per_shot] == [0, 4]
    verdicts = claim_verdicts(result, "fake")
    assert [v.claim for v in verdicts] == list(CLAIMS) and all(v.primary for v in verdicts)
    assert all(v.details["k"] == 8 for v in verdicts)  # nearest to 32 that was run


def test_without_an_attribute_the_check_is_not_computed_and_verdicts_wait() -> None:
    train, test = split_pairs(rte_lite_pairs(1, 120), 40, seed=0)
    strip = lambda pairs: [PromptExample(e.premise, e.hypothesis, e.entailed)  # noqa: E731
                           for e in examples_from_rte_lite(pairs)]
    config = ProtocolConfig(shots=(0, 4), seeds=(0,), epochs=1, design=QUICK_DESIGN)
    totals: list[int] = []
    result = run_protocol(OracleFake(strip(train) + strip(test)), strip(train), strip(test), config,
                          progress=lambda step, total, _: totals.append(total))
    assert totals[-1] == len(totals) == len(result.records) == run_count(config, with_check=False)
    assert not template_check(result).computed
    verdicts = claim_verdicts(result, "M0", primary=False)
    assert all(v.verdict == "inconclusive" and "not computed" in v.reason and not v.primary for v in verdicts)


def test_example_blocks_refuse_a_pool_too_small() -> None:
    with pytest.raises(ValueError, match="each label"):
        example_blocks([True, False, True], shots=(4,), seeds=(0,))
    odd = example_blocks([True, False] * 5, shots=(3,), seeds=(0,))
    assert len(odd[0][3]) == 3


# -- the verdict logic on constructed runs -------------------------------------------------------

CATEGORY_MEANS = {"instructive": 0.71, "misleading-moderate": 0.66, "misleading-extreme": 0.66, "irrelevant": 0.71,
                  "null": 0.63}
KIND_MEANS = {"yes-no": 0.72, "yes-no-like": 0.70, "reversed": 0.52, "arbitrary": 0.55}


def _constructed(category_means: dict[str, float], kind_means: dict[str, float], check: tuple[float, float],
                 seeds: int = 4, spread: float = 0.02) -> ProtocolResult:
    """Runs of the default design at k = 32 whose accuracies scatter around the given means."""
    rng = np.random.default_rng(0)
    config = ProtocolConfig(shots=(4, 32), seeds=tuple(range(seeds)))
    design = config.design
    records: list[RunRecord] = []

    def add(task: str, template: str, category: str, targets: str, kind: str, shots: int, mean: float) -> None:
        for seed in range(seeds):
            acc = float(np.clip(mean + rng.normal(0, spread), 0, 1))
            records.append(RunRecord(task, template, category, targets, kind, shots, seed, acc, acc, 1, (acc,), 200))

    for t in TEMPLATES:
        add("entailment", t.name, t.category, "yes_no", "yes-no", 32, category_means[t.category])
    for s in TARGET_SETS:
        for name in design.target_templates:
            if s.name != "yes_no":
                add("entailment", name, "instructive", s.name, s.kind, 32, kind_means[s.kind])
    add("animal", ANIMAL_TEMPLATE.name, "check", "yes_no", "check", 4, check[0])
    add("animal", "inst_imply", "instructive", "yes_no", "check", 4, check[1])
    return ProtocolResult(config, tuple(records), {}, {})


def _verdicts(result: ProtocolResult) -> list[str]:
    return [v.verdict for v in claim_verdicts(result, "M1")]


def test_the_papers_pattern_is_consistent() -> None:
    result = _constructed(CATEGORY_MEANS, KIND_MEANS, check=(0.8, 0.55))
    assert _verdicts(result) == ["consistent", "consistent", "consistent"]
    verdict = claim_verdicts(result, "M1")[2]
    assert verdict.details["dunn_p_arbitrary"] < 0.05 and "Bonferroni" in verdict.reason


def test_the_opposite_pattern_is_inconsistent() -> None:
    templates_matter = {**CATEGORY_MEANS, "instructive": 0.85, "irrelevant": 0.55}
    # yes/no runs with instructive templates are shared by both sweeps: their kind's median is 0.85
    targets_flat = {"yes-no": 0.85, "yes-no-like": 0.85, "reversed": 0.90, "arbitrary": 0.90}
    assert _verdicts(_constructed(templates_matter, targets_flat, check=(0.8, 0.55))) == ["inconsistent"] * 3


def test_a_failed_template_check_makes_every_verdict_inconclusive() -> None:
    result = _constructed(CATEGORY_MEANS, KIND_MEANS, check=(0.55, 0.56))
    assert not template_check(result).passed
    verdicts = claim_verdicts(result, "M1")
    assert [v.verdict for v in verdicts] == ["inconclusive"] * 3
    assert "template check failed" in verdicts[0].reason and "check_p_k4" in verdicts[0].details


def test_nothing_learnt_or_too_few_runs_is_inconclusive() -> None:
    at_chance = {name: 0.5 for name in CATEGORY_MEANS}
    assert _verdicts(_constructed(at_chance, KIND_MEANS, check=(0.8, 0.55)))[0] == "inconclusive"
    noisy = _constructed({**CATEGORY_MEANS, "instructive": 0.75, "irrelevant": 0.65}, KIND_MEANS,
                         check=(0.8, 0.55), seeds=1, spread=0.08)
    assert _verdicts(noisy)[0] == "inconclusive"


def test_a_model_at_chance_fails_the_positive_control_and_says_so() -> None:
    at_chance = {name: 0.5 for name in CATEGORY_MEANS}
    verdicts = claim_verdicts(_constructed(at_chance, KIND_MEANS, check=(0.8, 0.55)), "M1")
    assert [v.verdict for v in verdicts] == ["inconclusive"] * 3
    assert "positive control failed" in verdicts[0].reason and verdicts[0].details["control_p_bonferroni"] >= 0.05
    passed = claim_verdicts(_constructed(CATEGORY_MEANS, KIND_MEANS, check=(0.8, 0.55)), "M1")[0]
    assert passed.details["control_p_bonferroni"] < 1e-6 and "TOST" in passed.reason
    assert -0.05 < passed.details["tost_low"] <= passed.details["tost_high"] < 0.05


def test_equivalence_is_shown_only_by_a_narrow_interval() -> None:
    from notesgraph.experiments.replication2.prompt_statistics import best_above_chance, median_difference_tost

    rng = np.random.default_rng(1)
    tight = median_difference_tost(0.7 + rng.normal(0, 0.01, 24), 0.7 + rng.normal(0, 0.01, 20), margin=0.05)
    assert tight.equivalent and tight.low < 0 < tight.high
    few = median_difference_tost([0.6, 0.8], [0.62, 0.78], margin=0.05)  # same medians, two runs each
    assert abs(few.difference) < 0.01 and not few.equivalent
    apart = median_difference_tost(0.75 + rng.normal(0, 0.01, 24), 0.7 + rng.normal(0, 0.01, 20), margin=0.05)
    assert not apart.equivalent
    clear = best_above_chance({"a": [(0.8, 100), (0.82, 100)], "b": [(0.5, 100)]})
    assert clear is not None and clear.prompt == "a" and clear.correct == 80 and clear.p_adjusted < 1e-6
    barely = best_above_chance({f"t{i}": [(0.5 + 0.01 * (i % 3), 100)] for i in range(20)})
    assert barely is not None and barely.p_value < 1 and barely.p_adjusted >= 0.05  # 52% of 100, best of 20
    assert best_above_chance({}) is None


def test_the_official_schedule_trains_budget_over_k_epochs_and_scores_at_checkpoints() -> None:
    config = ProtocolConfig(shots=(0, 3, 10, 100, 400), seeds=(0,), epochs=5, epoch_budget=300, checkpoints=8,
                            design=QUICK_DESIGN, check_items=20)
    assert [config.epochs_at(k) for k in (3, 10, 30, 100, 250, 400)] == [100, 30, 10, 3, 1, 1]
    assert config.scored_epochs(3) == (12, 25, 38, 50, 62, 75, 88, 100)
    assert config.scored_epochs(100) == (1, 2, 3)
    assert ProtocolConfig(epochs=5).epochs_at(100) == 5 and ProtocolConfig(epochs=5).scored_epochs(7) == (1, 2, 3, 4, 5)
    train, test = split_pairs(rte_lite_pairs(0, 240), 40, seed=0)
    train_ex, test_ex = examples_from_rte_lite(train), examples_from_rte_lite(test)
    model = OracleFake(train_ex + test_ex)
    result = run_protocol(model, train_ex, test_ex, replace(config, shots=(0, 3, 10)))
    for r in result.records:
        scored = (0,) if r.shots == 0 else config.scored_epochs(r.shots)  # k=0: one scoring, untrained
        assert len(r.epoch_accuracies) == len(scored) and r.best_epoch in scored
        assert r.best_accuracy == max(r.epoch_accuracies) and r.final_accuracy == r.epoch_accuracies[-1]
    at_three = [r for r in result.records if r.shots == 3 and r.task == "entailment"]
    assert at_three and all(r.best_epoch >= 12 for r in at_three)  # the fake learns with epochs: late is best
