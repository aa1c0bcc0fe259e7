"""Replication 1 (issue 9): the task suite's invariants and the quick protocol end to end."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from notesgraph.experiments.shared.instruction_tasks import (BINARY_FRAMES, HELD_OUT_ATTRIBUTE, PREDICATES,
                                                      PRETRAINING_WORDINGS, SYMBOLS, build_suite, task_prompt)
from notesgraph.experiments.shared.heldout_suite import build_heldout_suite, design_checks
from notesgraph.experiments.registry import experiment, experiments_for_claim
from notesgraph.experiments.runner import create_run, execute, run_folder
from notesgraph.store import Store


@pytest.fixture(scope="module")
def suite():
    return build_suite(0, train_tasks=40, held_out_tasks=24, train_instances=16, held_out_instances=40)


def test_held_out_tasks_are_balanced_and_split_into_groups(suite):
    for task in suite.held_out:
        counts = Counter(gold for _, gold in task.instances)
        assert set(counts) == set(task.labels), task.name
        assert max(counts.values()) - min(counts.values()) <= 1, (task.name, counts)
    assert {t.group for t in suite.held_out} == {"LI", "DR"}
    assert {t.wording for t in suite.held_out} == {"new", "pretraining"}
    assert any(t.attribute == HELD_OUT_ATTRIBUTE for t in suite.held_out)
    assert not any(t.attribute == HELD_OUT_ATTRIBUTE for t in suite.train)


def test_held_out_label_sets_and_new_wordings_are_unseen_in_training(suite):
    train_labels = {label for task in suite.train for label in task.labels}
    held_symbols = {label for task in suite.held_out for label in task.labels if label in SYMBOLS}
    assert held_symbols and not held_symbols & train_labels
    new_predicates = {p for options in PREDICATES.values() for p in options[PRETRAINING_WORDINGS:]}
    for task in suite.train:
        assert not any(p in task.definition for p in new_predicates if len(p.split()) > 2), task.definition
    binary_new = [t for t in suite.held_out if t.wording == "new" and len(t.labels) == 2 and t.family != "flipped_names"]
    assert binary_new
    for task in binary_new:
        assert not any(task.definition.startswith(f.split("{")[0]) and f.split("{")[0]
                       for f in BINARY_FRAMES[:PRETRAINING_WORDINGS]), task.definition


def test_conditions_change_the_prompt_as_the_paper_does(suite):
    task = next(t for t in suite.held_out if len(t.labels) == 3)
    words, gold = task.instances[0]
    original = task_prompt(task, words, gold, "original", "correct")
    simplified = task_prompt(task, words, gold, "simplified", "correct")
    empty = task_prompt(task, words, gold, "empty", "none")
    delusive = task_prompt(task, words, gold, "original", "delusive")
    assert " ".join(simplified.words).startswith("[CLS] output one of : " + " , ".join(sorted(task.labels)))
    assert empty.words[:2] == ("[CLS]", "[IN]") and empty.slots == ()
    demo_labels = [label for _, label in task.demonstrations]
    shown = [label for position, label in delusive.slots if delusive.words[position - 1] == "[ANS]"]
    assert len(shown) == 2 and all(s != d and s in task.labels for s, d in zip(shown, demo_labels))
    assert original.gold == delusive.gold == gold


def test_a_simplified_definition_does_not_tell_which_label_means_what(suite):
    """The output space only: a flipped task and a plain one with the same labels read the same."""
    tasks = suite.train + suite.held_out
    flipped = next(t for t in tasks if t.family == "flipped_names")
    plain = next(t for t in tasks if set(t.labels) == set(flipped.labels) and t.family != "flipped_names")
    assert flipped.labels != plain.labels and flipped.simplified == plain.simplified
    yes_no = [t for t in tasks if t.family.startswith("yes_no")]
    assert {t.labels[0] for t in yes_no} == {"yes", "no"}  # both polarities ...
    assert {t.simplified for t in yes_no} == {"output one of : no , yes"}  # ... read the same


def test_the_claim_links_both_experiments_cheapest_first():
    sentence = "A random baseline achieves 42.6% exact-match versus instruction tuning's 43%."
    names = [spec.name for spec, _ in experiments_for_claim(sentence)]
    assert names == ["random_baseline", "instruction_tuning"]


@pytest.mark.slow
def test_quick_protocol_runs_and_keeps_its_invariants(tmp_path: Path):
    """The quick protocol through the real runner: every condition, results, verdicts, plot."""
    spec = experiment("instruction_tuning")
    db = tmp_path / "notes.db"
    with Store(db) as store:
        run_id = create_run(store, "instruction_tuning", quick=True)
    assert execute(db, run_id) == "done"
    with Store(db) as store:
        results = {(c, m): (v, lo, hi, n) for c, m, v, lo, hi, n in store.run_results(run_id)}
        verdicts = store.run_verdicts(run_id)
        assert set(store.finished_conditions(run_id)) == set(spec.conditions)
    folder = run_folder(db, run_id)
    # the random baseline equals 1/|output space| in expectation, within its interval
    params = spec.resolve(quick=True)
    held = build_heldout_suite(0, int(params["train_tasks"]), int(params["held_out_tasks"]), 4,
                               int(params["held_out_instances"])).held_out
    expected = 100 * sum(1 / len(t.labels) for t in held) / len(held)
    value, low, high, n = results[("baselines", "random/em/all")]
    assert low <= expected <= high and n == len(held)
    # held-out means held out: the design checks, computed from the run's suite, are all 0
    for check in ("heldout_tasks_sharing_training_mapping", "heldout_instances_seen_in_training",
                  "heldout_attributes_supervised_in_pretraining", "heldout_attributes_asked_in_training",
                  "heldout_families_in_training"):
        assert results[("design_check", check)][0] == 0, check
    assert results[("design_check", "heldout_only_attributes")][0] >= 1
    # the untuned model's compliance is measured, the DR check and the positive controls are computed
    compliance = results[("baselines", "untuned/compliance/all")][0]
    assert 0.0 <= compliance <= 100.0
    assert ("compare", "check/dr_original_minus_random/n4") in results
    assert ("compare", "diff/demonstration-signal/all/n4") in results
    for name in ("tuned-random", "correct-delusive", "original-simplified", "tuned-untuned"):
        assert 0.0 < results[("compare", f"p_consistent/{name}/all/n4")][0] <= 1.0
    # intervals come from the hierarchical bootstrap: equal to recomputing it from the stored scores
    from notesgraph.experiments.replication1.hierarchical import hierarchical_bootstrap

    held_tasks = build_heldout_suite(0, int(params["train_tasks"]), int(params["held_out_tasks"]), 4,
                                     int(params["held_out_instances"])).held_out
    runs = [json.loads((folder / "scores" / f"original+correct-n4-s{s}.json").read_text()) for s in spec.seeds]
    table = [[100 * run[t.name][0] for run in runs] for t in held_tasks]
    boot = hierarchical_bootstrap(table, [t.family for t in held_tasks], 0)
    assert results[("original+correct", "em/all/n4")][:3] == pytest.approx((boot.value, *boot.interval()))
    for condition in ("original+correct", "simplified+delusive", "empty+none", "no_pretraining"):
        em, compliant = (results[(condition, f"{m}/all/n4")][0] for m in ("em", "compliance"))
        assert 0.0 <= em <= compliant + 1e-9 <= 100.0 + 1e-9  # an exact match is always compliant
    # verdicts exist for each claim test; each is licensed by its control or inconclusive naming it
    assert {v[0] for v in verdicts} == {t.name for t in spec.claims}
    for claim, _, verdict, reason, _ in verdicts:
        assert verdict == "inconclusive" or "Licensed by" in reason, (claim, verdict, reason)
    record = json.loads((folder / "run.json").read_text())
    assert record["verdicts"] and (folder / "results.png").stat().st_size > 10_000
    assert (folder / "scores" / "original+correct-n4-s0.json").exists()
    report = (folder / "report.md").read_text()
    assert "Positive controls" in report and "Design checks" in report and "| original+correct | 4 |" in report


def test_held_out_design_checks_are_zero_and_would_catch_the_first_designs_leak(suite):
    from notesgraph.experiments.shared.world_corpus import supervised_attributes

    held = build_heldout_suite(0, train_tasks=40, held_out_tasks=24, train_instances=16, held_out_instances=40)
    checks = design_checks(held, supervised_attributes())
    assert checks.pop("heldout_only_attributes") >= 1 and set(checks.values()) == {0}
    assert not {s.words for s in held.pool} & {s.words for s in held.held_pool}
    leaky = design_checks(suite, supervised_attributes())  # version 1: training families, one sentence pool
    assert leaky["heldout_tasks_sharing_training_mapping"] > 0 and leaky["heldout_instances_seen_in_training"] > 0
    assert design_checks(held, ["mentions_number"])["heldout_attributes_supervised_in_pretraining"] == 1


def test_masked_word_pretraining_never_shows_the_prompt_format_nor_the_held_out_attribute():
    from notesgraph.experiments.shared.instruction_tasks import PREDICATES
    from notesgraph.experiments.shared.lexicon import sentence_pool
    from notesgraph.experiments.shared.world_corpus import MASK, masked_text

    pool = sentence_pool(0, 200)
    rng = np.random.default_rng(0)
    silent = {w for p in PREDICATES[(HELD_OUT_ATTRIBUTE, "yes")] for w in p.split()} - {
        w for key, options in PREDICATES.items() if key[0] != HELD_OUT_ATTRIBUTE for p in options for w in p.split()}
    for _ in range(500):
        text = masked_text(rng, pool, 96)
        assert text.targets and all(text.words[p] == MASK for p, _ in text.targets)
        assert not {"[IN]", "[EX]", "[SEP]"} & set(text.words)
        restored = list(text.words)
        for p, w in text.targets:
            restored[p] = w
        assert not silent & set(restored[restored.index(".") + 1:] if "." in restored else ()), restored


def test_hierarchical_bootstrap_counts_families_not_tasks_and_holm_corrects():
    from notesgraph.experiments.replication1.hierarchical import hierarchical_bootstrap, holm

    rng = np.random.default_rng(1)
    families = [f"f{i // 8}" for i in range(48)]
    shift = np.repeat(rng.normal(0, 5, 6), 8)  # tasks of one family move together
    table = shift[:, None] + rng.normal(0, 1, (48, 5))
    clustered = hierarchical_bootstrap(table, families, 0).interval()
    as_if_independent = hierarchical_bootstrap(table, [str(i) for i in range(48)], 0).interval()
    assert clustered[1] - clustered[0] > 2 * (as_if_independent[1] - as_if_independent[0])
    boot = hierarchical_bootstrap(table, families, 0)
    assert boot.value == pytest.approx(table.mean()) and boot.families == 6 and boot.seeds == 5
    assert holm({"a": 0.01, "b": 0.04, "c": 0.03}) == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06})


def _verdict_results(demonstration_low: float, dr_low: float = 15.0) -> list:
    from notesgraph.experiments.spec import Result

    rows = [Result("design_check", name, 0.0, 0.0, 0.0, 48) for name in (
        "heldout_tasks_sharing_training_mapping", "heldout_instances_seen_in_training",
        "heldout_attributes_supervised_in_pretraining", "heldout_attributes_asked_in_training",
        "heldout_families_in_training")]
    rows.append(Result("design_check", "heldout_only_attributes", 1.0, 1.0, 1.0, 48))
    rows += [Result("compare", "diff/correct-delusive/all/n32", 0.1, -0.8, 0.9, 48),
             Result("compare", "diff90/correct-delusive/all/n32", 0.1, -0.6, 0.7, 48),
             Result("compare", "p_consistent/correct-delusive/all/n32", 0.001, 0.001, 0.001, 48),
             Result("compare", "p_inconsistent/correct-delusive/all/n32", 1.0, 1.0, 1.0, 48),
             Result("compare", "diff/demonstration-signal/all/n32", 4.0, demonstration_low, 8.0, 48),
             Result("compare", "check/dr_original_minus_random/n32", 20.0, dr_low, 25.0, 32)]
    return rows


def test_no_difference_needs_its_positive_control():
    """delusive ~ correct is consistent only when demonstrations carry signal (empty+correct
    beats empty+delusive); otherwise inconclusive, naming the control that failed."""
    from notesgraph.experiments.replication1.instruction_tuning_report import claim_verdicts

    spec = experiment("instruction_tuning")
    licensed = [v for v in claim_verdicts(spec, _verdict_results(1.5)) if v.claim == "delusive_vs_correct"]
    assert licensed[0].verdict == "consistent" and "Licensed by demonstration signal" in licensed[0].reason
    failed = [v for v in claim_verdicts(spec, _verdict_results(-0.5)) if v.claim == "delusive_vs_correct"]
    assert failed[0].verdict == "inconclusive" and "control failed — demonstration signal" in failed[0].reason
    leaked = [r for r in _verdict_results(1.5) if r.metric != "heldout_instances_seen_in_training"]
    assert claim_verdicts(spec, leaked)[0].verdict == "inconclusive"


def test_the_dr_check_is_judged_on_its_lower_bound():
    from notesgraph.experiments.replication1.instruction_tuning_report import check_passes

    assert check_passes(_verdict_results(1.5, dr_low=10.5))[0]
    assert not check_passes(_verdict_results(1.5, dr_low=4.9))[0]  # value 20, but the interval reaches 4.9


def test_minilm_family_reads_a_prompt_in_three_parts(suite):
    from notesgraph.experiments.replication1.minilm_family import prompt_parts

    task = next(t for t in suite.held_out if len(t.labels) == 2 and t.family == "symbols")
    words, gold = task.instances[0]
    parts = prompt_parts(task_prompt(task, words, gold, "original", "delusive"))
    assert parts.definition == task.definition and parts.input == " ".join(words)
    assert parts.definition_labels == set(task.labels)
    shown = {task.labels[(task.labels.index(label) + 1) % 2] for _, label in task.demonstrations}
    assert parts.demonstration_labels == shown  # delusive: the relabelled outputs, from the slots
    assert parts.demonstrations.count("Input:") == 2 and parts.whole.startswith(f"Definition: {task.definition}.")
    bare = prompt_parts(task_prompt(task, words, gold, "empty", "none"))
    assert (bare.definition, bare.demonstrations, bare.definition_labels) == ("", "", frozenset())
    assert bare.whole.endswith(f"Input: {' '.join(words)} Output:")


def test_minilm_vector_cache_encodes_each_text_once_and_survives_a_restart(tmp_path: Path, encoder):
    import numpy as np

    from notesgraph.experiments.replication1.minilm_family import VectorCache
    from notesgraph.experiments.spec import Progress

    def vectors(cache, texts):
        return [item for item in cache.vectors(texts) if not isinstance(item, Progress)][0]

    cache = VectorCache(tmp_path / "v.npz", threads=1)
    first = vectors(cache, ["a cat sat", "", "a dog ran", "a cat sat"])
    assert first.shape == (4, 384) and not first[1].any()
    assert np.allclose(first[0], first[3]) and np.isclose(np.linalg.norm(first[2]), 1.0, atol=1e-5)
    assert len(cache.index) == 2
    again = VectorCache(tmp_path / "v.npz", threads=1)
    items = list(again.vectors(["a dog ran"]))
    assert len(items) == 1  # nothing to encode: no Progress, straight from the file
    assert np.allclose(items[0][0], first[2])


@pytest.mark.slow
def test_quick_protocol_of_the_frozen_minilm_family(tmp_path: Path, encoder):
    """family=minilm through the real runner: zero-shot untuned baseline, a trained head per
    condition, no from-scratch control, the check and verdicts, a report naming the family."""
    spec = experiment("instruction_tuning")
    db = tmp_path / "notes.db"
    with Store(db) as store:
        run_id = create_run(store, "instruction_tuning", {"family": "minilm"}, quick=True)
    assert execute(db, run_id) == "done"
    with Store(db) as store:
        results = {(c, m): (v, lo, hi, n) for c, m, v, lo, hi, n in store.run_results(run_id)}
        verdicts = store.run_verdicts(run_id)
    assert 0.0 <= results[("baselines", "untuned/compliance/all")][0] <= 100.0
    assert results[("baselines", "head/parameters")][0] > 100_000
    assert not any(c == "no_pretraining" for c, _ in results)
    assert not any("pretraining/accuracy" in m or "pretrained-scratch" in m for _, m in results)
    for condition in ("original+correct", "empty+none"):
        em, compliant = (results[(condition, f"{m}/all/n4")][0] for m in ("em", "compliance"))
        assert 0.0 <= em <= compliant + 1e-9 <= 100.0 + 1e-9
    assert ("compare", "check/dr_original_minus_random/n4") in results
    assert {v[0] for v in verdicts} == {t.name for t in spec.claims}
    folder = run_folder(db, run_id)
    assert (folder / "minilm-vectors.npz").exists() and not (folder.parent / "cache").exists()
    assert "frozen all-MiniLM-L6-v2" in (folder / "report.md").read_text()


def test_pretraining_can_show_demonstrations_under_the_examples_binding(suite):
    import numpy as np

    from notesgraph.experiments.shared.instruction_tasks import (ATTRIBUTES, MAX_PROMPT_WORDS, RELABELLED_DEMONSTRATIONS,
                                                          pretraining_prompt)

    attributes = [a for a in ATTRIBUTES if a != HELD_OUT_ATTRIBUTE]
    plain = [pretraining_prompt(np.random.default_rng(3), suite.pool, attributes) for _ in range(50)]
    assert not any("[EX]" in p.words for p in plain)
    rng = np.random.default_rng(4)
    prompts = [pretraining_prompt(rng, suite.pool, attributes, 0.6) for _ in range(2000)]
    shown = [p for p in prompts if "[EX]" in p.words]
    assert 0.5 < len(shown) / len(prompts) < 0.62  # a few long ones drop their demonstrations
    assert max(len(p.words) for p in prompts) <= MAX_PROMPT_WORDS
    by_words = {sentence.words: sentence for sentence in suite.pool}
    names = list(ATTRIBUTES)
    relabelled = 0
    for prompt in shown:
        definition_end = prompt.words.index("[EX]")
        bound = [label for position, label in prompt.slots if position < definition_end]
        demos = [label for position, label in prompt.slots if prompt.words[position - 1] == "[ANS]"]
        assert len(demos) == 2 and len(set(demos)) == 2 and set(demos) <= set(bound)
        assert all(position < definition_end for position, _, _ in prompt.slot_targets)
        # what each definition slot stands for decides the demonstration's true label
        meaning = {prompt.words[position]: (attribute, klass) for position, attribute, klass in prompt.slot_targets}
        starts = [i for i, w in enumerate(prompt.words) if w == "[EX]"]
        truths = []
        for start, shown_label in zip(starts, demos):
            sentence = by_words[tuple(prompt.words[start + 1:prompt.words.index("[ANS]", start)])]
            attribute = names[next(iter(meaning.values()))[0]]
            value = ATTRIBUTES[attribute].index(sentence.attribute(attribute))
            fits = [label for label, (_, klass) in meaning.items() if klass == value]
            otherwise = [label for label, (_, klass) in meaning.items() if klass == len(ATTRIBUTES[attribute])]
            true = (fits or otherwise)[0]
            truths.append(true == shown_label)
        assert truths in ([True, True], [False, False])  # a pair is relabelled as a whole or not at all
        relabelled += not truths[0]
    assert abs(relabelled / len(shown) - RELABELLED_DEMONSTRATIONS) < 0.05


def test_the_demonstration_share_keys_the_cached_base_and_replication_2_has_its_own(tmp_path: Path):
    from notesgraph.experiments.replication1.instruction_tuning import Context
    from notesgraph.experiments.replication2.prompt_base import PromptBaseContext
    from notesgraph.experiments.replication2.prompt_sensitivity import _base_parameters
    from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs

    parameters = experiment("instruction_tuning").resolve(quick=True)
    first = {**parameters, "suite": "shared_pool", "base_objective": "definitions"}
    with_demos = Context(first, tmp_path / "1").base_path()
    without = Context({**first, "pretrain_demos": 0.0}, tmp_path / "2").base_path()
    assert parameters["pretrain_demos"] > 0 and with_demos != without
    replication2 = _base_parameters(experiment("prompt_sensitivity").resolve(quick=True))
    assert replication2["base_objective"] == "masked_words" and replication2["pretrain_relations"] > 0
    own = PromptBaseContext(replication2, tmp_path / "3", rte_lite_pairs(0, 40)).base_path()
    assert own not in (with_demos, without, Context(parameters, tmp_path / "3").base_path())


def test_batching_nothing_fails_instead_of_looping_forever():
    """Issue 22: n_values=0 gave no training prompts, and the endless batch stream spun at 100% CPU."""
    from notesgraph.experiments.shared.reader_model import shuffled_batches

    with pytest.raises(ValueError, match="no items to batch"):
        next(shuffled_batches([], 4, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="batch size -1"):
        next(shuffled_batches(["a", "b"], -1, np.random.default_rng(0)))  # type: ignore[list-item]
    assert next(shuffled_batches(["a"], 4, np.random.default_rng(0))) == ["a"]


def test_a_run_that_reuses_another_runs_base_model_records_which_and_its_page_shows_it(tmp_path: Path):
    import torch

    from notesgraph.experiments.replication1.instruction_tuning import Context
    from notesgraph.run_page import _reused

    parameters = experiment("instruction_tuning").resolve(quick=True)
    maker = Context(parameters, tmp_path / "runs" / "5")
    path = maker.base_path()
    path.parent.mkdir(parents=True)
    torch.save(maker.new_model(0).state_dict(), path)  # as run 5 left it, with its sidecar
    path.with_suffix(".json").write_text(json.dumps({"made_by": {"run": "5", "folder": str(maker.workdir),
                                                                 "commit": "abc123"}}))
    list(maker.base_model())
    assert not (maker.workdir / "reused.json").exists()  # its own model is no reuse
    user = Context(parameters, tmp_path / "runs" / "6")
    list(user.base_model())
    entries = json.loads((user.workdir / "reused.json").read_text())
    assert entries == [{"what": f"pretrained base model {path.name}", "run": "5", "commit": "abc123"}]
    assert "run 5, commit abc123" in _reused(str(user.workdir)) and _reused(str(maker.workdir)) == ""


def test_replication_1s_vocabulary_is_fixed_for_its_version() -> None:
    """Replication 1's word list and answer vocabulary shape its models (embeddings, label head,
    the cached base model's key): they may not move with replication 2's templates. A change
    here needs a new version of instruction_tuning and a new recorded digest."""
    import hashlib

    from notesgraph.experiments.shared.instruction_tasks import LABEL_WORDS, definition_words
    from notesgraph.experiments.shared.lexicon import vocabulary

    words = vocabulary(sorted(definition_words()))
    assert (len(words), hashlib.sha256("|".join(words).encode()).hexdigest()[:12]) == (507, "6c2d7211a2d9")
    assert (len(LABEL_WORDS), hashlib.sha256("|".join(LABEL_WORDS).encode()).hexdigest()[:12]) == (136, "026bed1526cc")
