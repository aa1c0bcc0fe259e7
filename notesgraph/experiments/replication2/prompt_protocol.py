"""The protocol of replication 2 (Webson & Pavlick 2022), generic over the model.

Few-shot prompt-based fine-tuning: for each prompt (a template and a pair of target words), a
model is reset to its starting weights, fine-tuned on k labelled pairs rendered through the
prompt, and scored on a held-out set by which of the two target words it prefers at the mask.
Any object with the `PromptClassifier` methods can be run: the word-level model of replication 1
and the transformers backend (`hf_prompt`) both are.

**Sampled design.** The full cross (26 templates x 11 target sets x 7 shot counts x 4 seeds =
8,008 fine-tuning runs) does not fit 30 minutes on 2 CPUs. `DEFAULT_DESIGN` runs
- every template with the yes/no targets (the template sweep: categories are compared here), and
- every target set with three instructive templates (the target sweep: kinds are compared here),
56 prompts in all (the three instructive templates with yes/no are shared), i.e. 56 x 6 x 4 =
1,344 fine-tuning runs for k > 0, 56 zero-shot evaluations and 10 check runs (`run_count`: 1,410). The
paper's own claims are read off the same two slices: categories with fixed targets, targets with
fixed instructive templates.

**Example blocks.** Per seed, one balanced permutation of the training pool per label; the block
for k shots is its first k/2 entailed and k/2 not-entailed pairs (blocks are nested: the 8-shot
block contains the 4-shot one), shared by every prompt of that seed. k = 0 (no training) is run
once, with the first seed, since the seed changes nothing without training.

**Metrics.** Accuracy after the last epoch is primary; the best epoch's accuracy (what the paper
reports, an optimistic choice on the test set) is kept beside it.

**The template check** (before any verdict): the same pairs relabelled by whether the premise
mentions an animal (classes balanced), at k <= 4; the animal template must beat the check's
entailment template(s) on those labels, else the model does not read templates and every verdict
is inconclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import numpy as np
from scipy import stats

from notesgraph.experiments.replication2.prompt_statistics import (AboveChance, ShotStatistics, best_above_chance,
                                                      median_difference_tost, statistics_by_shots)
from notesgraph.experiments.replication2.prompt_templates import (ANIMAL_TEMPLATE, CATEGORIES, TARGET_KINDS, TARGET_SETS, TEMPLATES,
                                                     TargetSet, Template, target_set, template)
from notesgraph.experiments.spec import ClaimVerdict

__all__ = ["CHECK_ATTRIBUTE", "CLAIMS", "DEFAULT_DESIGN", "PAPER_ALBERT_32", "PAPER_GPT3_16", "PAPER_T0_3B_ZERO_SHOT",
           "QUICK_DESIGN", "CheckAtShots",
           "MedianRow", "PromptClassifier", "PromptDesign", "PromptExample", "ProtocolConfig", "ProtocolResult",
           "RunRecord", "TemplateCheck", "category_statistics", "claim_verdicts", "example_blocks",
           "examples_from_rte_lite", "learning_curves", "median_table", "positive_control", "run_count", "run_in_parts", "run_protocol",
           "target_kind_statistics", "template_check"]

CHECK_ATTRIBUTE = "mentions_animal"
CLAIMS = ("instructive ≈ irrelevant", "target words matter more than templates",
          "yes/no beats arbitrary and reversed")
PAPER_ALBERT_32: dict[str, str] = {
    "instructive": "70.2", "irrelevant": "72.9", "misleading-moderate": "65.2", "misleading-extreme": "70.8",
    "null": "63.2", "arbitrary": "53-57", "reversed": "53-57",
}
"""The paper's medians for ALBERT on RTE at 32 shots (accuracy, %): the categories from its
Appendix G.1 table (0.7022, 0.7292, 0.6516, 0.7076, 0.6318); the target kinds as issue 7 quoted
them (the paper gives those only in figures)."""
PAPER_GPT3_16: dict[str, str] = {
    "instructive": "65.3", "irrelevant": "61.0", "misleading-moderate": "65.0", "misleading-extreme": "61.7",
    "null": "< 50",
}
"""GPT-3 175B in context at 16 shots, one seed (the paper's Appendix G.7 table, its Figure 2:
0.6534, 0.6101, 0.6498, 0.6173; null "not plotted because they are below 0.5")."""
PAPER_T0_3B_ZERO_SHOT: dict[str, str] = {
    "instructive": "64.8", "irrelevant": "57.0", "misleading-moderate": "64.6", "misleading-extreme": "64.6",
    "null": "62.3",
}
"""T0 3B zero-shot on RTE: our medians of the paper's per-template accuracies (Appendix I, the
table behind its Figure 4: 10 instructive, 5 per misleading and irrelevant category, 2 null)."""

Metric = Literal["final", "best"]


class PromptClassifier(Protocol):
    """What the protocol needs from a model. Label 0 means `targets[0]` (the entailed word),
    label 1 means `targets[1]`."""

    mask_token: str
    """written where the target word goes in a prompt"""

    def reset(self, seed: int) -> None:
        """Back to the starting weights, with the randomness of the next fit seeded."""

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        """Fine-tune on the prompts for `epochs` epochs, calling `on_epoch(epoch)` (1-based)
        after each one so the protocol can score the held-out set."""

    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        """The chosen label (0 or 1) per prompt: which target word scores higher at the mask."""


@dataclass(frozen=True)
class PromptExample:
    """A labelled pair as text, with the boolean attributes it may be relabelled by."""

    premise: str
    hypothesis: str
    entailed: bool
    attributes: Mapping[str, bool] = field(default_factory=dict)


def examples_from_rte_lite(pairs: Iterable[object]) -> list[PromptExample]:
    """RTE-lite pairs (`rte_lite.RtePair`) as protocol examples, keeping `mentions_animal`."""
    return [PromptExample(p.premise.text, p.hypothesis.text, p.entailed,  # type: ignore[attr-defined]
                          {CHECK_ATTRIBUTE: p.premise.mentions_animal})  # type: ignore[attr-defined]
            for p in pairs]


@dataclass(frozen=True)
class PromptDesign:
    """Which (template, target set) prompts to run: `sweep_templates` with `sweep_targets`, and
    `target_sets` with `target_templates`; `check_templates` are the entailment templates the
    animal template must beat."""

    sweep_templates: tuple[str, ...]
    sweep_targets: str
    target_sets: tuple[str, ...]
    target_templates: tuple[str, ...]
    check_templates: tuple[str, ...]

    def prompts(self) -> list[tuple[Template, TargetSet]]:
        """The distinct prompts, template sweep first."""
        chosen = [(template(t), target_set(self.sweep_targets)) for t in self.sweep_templates]
        chosen += [(template(t), target_set(s)) for s in self.target_sets for t in self.target_templates]
        return list(dict.fromkeys(chosen))


DEFAULT_DESIGN = PromptDesign(
    sweep_templates=tuple(t.name for t in TEMPLATES), sweep_targets="yes_no",
    target_sets=tuple(s.name for s in TARGET_SETS),
    target_templates=("inst_imply", "inst_infer", "inst_definitely"), check_templates=("inst_imply",))
"""50 prompts: 26 templates x yes/no, and the paper's 9 target sets x 3 instructive templates."""

QUICK_DESIGN = PromptDesign(
    sweep_templates=("inst_imply", "mm_paraphrase", "me_sports", "irr_zoning", "null_end"), sweep_targets="yes_no",
    target_sets=("yes_no", "true_false", "no_yes", "cat_dog"), target_templates=("inst_imply",),
    check_templates=("inst_imply",))
"""8 prompts, one template per category and one target set per kind: for `--quick` and tests."""


@dataclass(frozen=True)
class ProtocolConfig:
    """The protocol's sizes. `zero_shot` is False for models that only make sense trained (M0)."""

    shots: tuple[int, ...] = (0, 4, 8, 16, 32, 64, 128)
    seeds: tuple[int, ...] = (0, 1, 2, 3)
    epochs: int = 10
    design: PromptDesign = DEFAULT_DESIGN
    zero_shot: bool = True
    check_shots: tuple[int, ...] = (0, 4)
    check_items: int = 200
    """held-out pairs (balanced by the attribute) for the template check"""
    epoch_budget: int = 0
    """0: `epochs` at every k; else the official schedule's max(1, epoch_budget // k) epochs at k
    (awebson/prompt_semantics trains 300 // k epochs: about the same number of steps at every k)"""
    checkpoints: int = 0
    """0: score the held-out set after every epoch; else after at most this many epochs, evenly
    spaced, the last one always (what a 100-epoch run at k=3 can afford)"""

    def epochs_at(self, shots: int) -> int:
        return max(1, self.epoch_budget // max(shots, 1)) if self.epoch_budget else self.epochs

    def scored_epochs(self, shots: int) -> tuple[int, ...]:
        """The epochs (1-based) after which a run at k = `shots` scores the held-out set."""
        epochs = self.epochs_at(shots)
        if not self.checkpoints or self.checkpoints >= epochs:
            return tuple(range(1, epochs + 1))
        return tuple(sorted({int(round(x)) for x in np.linspace(epochs / self.checkpoints, epochs, self.checkpoints)}))


@dataclass(frozen=True)
class RunRecord:
    """One prompt fine-tuned on one example block and scored on the held-out set."""

    task: Literal["entailment", "animal"]
    template: str
    category: str
    targets: str
    target_kind: str
    shots: int
    seed: int
    final_accuracy: float
    best_accuracy: float
    best_epoch: int
    epoch_accuracies: tuple[float, ...]
    n_test: int

    def accuracy(self, metric: Metric = "final") -> float:
        return self.final_accuracy if metric == "final" else self.best_accuracy


@dataclass(frozen=True)
class ProtocolResult:
    """Every run, and the example blocks used: blocks[seed][k] are indices into the training
    pool (check_blocks likewise for the relabelled check)."""

    config: ProtocolConfig
    records: tuple[RunRecord, ...]
    blocks: dict[int, dict[int, tuple[int, ...]]]
    check_blocks: dict[int, dict[int, tuple[int, ...]]]


def example_blocks(labels: Sequence[bool], shots: Sequence[int], seeds: Sequence[int]
                   ) -> dict[int, dict[int, tuple[int, ...]]]:
    """Per seed and k, the indices of k training examples, half of each label (the extra one,
    for odd k, from label True), nested in k and shuffled; deterministic for the seed.
    Raises ValueError when a label has too few examples for the largest k. O(len(labels))."""
    positive = [i for i, label in enumerate(labels) if label]
    negative = [i for i, label in enumerate(labels) if not label]
    largest = max(shots, default=0)
    if min(len(positive), len(negative)) < (largest + 1) // 2:
        raise ValueError(f"{largest} shots need {(largest + 1) // 2} examples of each label; the pool has "
                         f"{len(positive)} and {len(negative)}")
    blocks: dict[int, dict[int, tuple[int, ...]]] = {}
    for seed in seeds:
        rng = np.random.default_rng([seed, 4242])
        pos = [positive[i] for i in rng.permutation(len(positive))]
        neg = [negative[i] for i in rng.permutation(len(negative))]
        largest_block = pos[: (largest + 1) // 2] + neg[: largest // 2]
        order = [largest_block[i] for i in rng.permutation(len(largest_block))]  # smaller blocks keep it
        blocks[seed] = {}
        for k in shots:
            chosen = set(pos[: (k + 1) // 2] + neg[: k // 2])
            blocks[seed][k] = tuple(i for i in order if i in chosen)
    return blocks


def _balanced(examples: Sequence[PromptExample], attribute: str, size: int) -> list[PromptExample]:
    """Up to `size` examples, half with the attribute and half without, in their given order."""
    yes = [e for e in examples if e.attributes.get(attribute)][: size // 2]
    no = [e for e in examples if attribute in e.attributes and not e.attributes[attribute]][: size // 2]
    n = min(len(yes), len(no))
    return yes[:n] + no[:n]


def run_count(config: ProtocolConfig, with_check: bool = True) -> int:
    """How many fine-tuning runs or evaluations `run_protocol` makes (for progress and budgets);
    `with_check=False` when the examples carry no attribute to relabel by."""
    prompts = len(config.design.prompts())
    checks = 1 + len(config.design.check_templates) if with_check else 0
    total = 0
    for k in config.shots:
        if k == 0 and not config.zero_shot:
            continue
        seeds = 1 if k == 0 else len(config.seeds)
        total += seeds * (prompts + (checks if k in config.check_shots else 0))
    return total


def _one_run(model: PromptClassifier, task: Literal["entailment", "animal"], chosen: Template, targets: TargetSet,
             train: Sequence[tuple[PromptExample, int]], test: Sequence[tuple[PromptExample, int]], shots: int,
             seed: int, config: ProtocolConfig) -> RunRecord:
    """Reset, fine-tune on `train` (skipped at k = 0) for the config's epochs at this k, and score
    `test` after each of its scored epochs."""
    model.reset(seed)
    render = lambda e: chosen.fill(e.premise, e.hypothesis, model.mask_token)  # noqa: E731
    test_prompts = [render(e) for e, _ in test]
    truth = np.array([label for _, label in test])

    def score() -> float:
        predicted = np.asarray(model.predict(test_prompts, targets.words))
        return float(np.mean(predicted == truth))

    accuracies: list[float] = []
    scored = config.scored_epochs(shots)
    if shots == 0:
        accuracies.append(score())
    else:
        epochs, calls = config.epochs_at(shots), []

        def on_epoch(epoch: int) -> None:
            calls.append(epoch)
            if epoch in scored:
                accuracies.append(score())

        model.fit([render(e) for e, _ in train], [label for _, label in train], targets.words, epochs,
                  on_epoch=on_epoch)
        if len(calls) != epochs:
            raise RuntimeError(f"the model called on_epoch {len(calls)} times for {epochs} epochs")
    best = int(np.argmax(accuracies))
    kind = "check" if task == "animal" else targets.kind
    return RunRecord(task, chosen.name, chosen.category, targets.name, kind, shots, seed, accuracies[-1],
                     accuracies[best], 0 if shots == 0 else scored[best], tuple(accuracies), len(test))


def run_protocol(model: PromptClassifier, train: Sequence[PromptExample], test: Sequence[PromptExample],
                 config: ProtocolConfig = ProtocolConfig(),
                 progress: Callable[[int, int, str], None] | None = None) -> ProtocolResult:
    """Run every prompt of the design at every k and seed, and the template check at
    `config.check_shots`; `progress(step, total, message)` after each run. Cost: `run_count`
    fine-tuning runs, each `epochs` passes over k examples plus `epochs` scorings of `test`.

    Raises ValueError when `train` is too small for the largest k."""
    design = config.design
    prompts = design.prompts()
    blocks = example_blocks([e.entailed for e in train], config.shots, config.seeds)
    check_pool = [e for e in train if CHECK_ATTRIBUTE in e.attributes]
    check_test = _balanced(test, CHECK_ATTRIBUTE, config.check_items)
    check_shots = [k for k in config.check_shots if k in config.shots and (k > 0 or config.zero_shot)]
    check_blocks = (example_blocks([bool(e.attributes[CHECK_ATTRIBUTE]) for e in check_pool], check_shots,
                                   config.seeds) if check_test and check_shots else {})
    test_entail = [(e, 0 if e.entailed else 1) for e in test]
    check_labelled = [(e, 0 if e.attributes[CHECK_ATTRIBUTE] else 1) for e in check_test]
    yes_no = target_set("yes_no")
    records: list[RunRecord] = []
    total, step = run_count(config, with_check=bool(check_blocks)), 0

    def advance(message: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(step, total, message)

    for k in config.shots:
        if k == 0 and not config.zero_shot:
            continue
        for seed in (config.seeds[:1] if k == 0 else config.seeds):
            block = [(train[i], 0 if train[i].entailed else 1) for i in blocks[seed][k]]
            for chosen, targets in prompts:
                records.append(_one_run(model, "entailment", chosen, targets, block, test_entail, k, seed, config))
                advance(f"k={k} seed={seed} {chosen.name}/{targets.name}")
            if check_blocks and k in check_shots:
                check_block = [(check_pool[i], 0 if check_pool[i].attributes[CHECK_ATTRIBUTE] else 1)
                               for i in check_blocks[seed][k]]
                for chosen in (ANIMAL_TEMPLATE, *(template(t) for t in design.check_templates)):
                    records.append(_one_run(model, "animal", chosen, yes_no, check_block, check_labelled, k, seed,
                                            config))
                    advance(f"check k={k} seed={seed} {chosen.name}")
    return ProtocolResult(config, tuple(records), blocks, check_blocks)


def run_in_parts(model: PromptClassifier, train: Sequence[PromptExample], test: Sequence[PromptExample],
                 config: ProtocolConfig, label: str) -> Iterator[tuple[int, int, str] | ProtocolResult]:
    """`run_protocol` one (k, seed) at a time, so a caller can report progress and be cancelled
    between them: (runs done, runs in all, message) as each part starts and ends, then the whole result
    (equal to one `run_protocol` call)."""
    records: list[RunRecord] = []
    blocks: dict[int, dict[int, tuple[int, ...]]] = {}
    check_blocks: dict[int, dict[int, tuple[int, ...]]] = {}
    total, done = run_count(config), 0
    for k in config.shots:
        if k == 0 and not config.zero_shot:
            continue
        for seed in (config.seeds[:1] if k == 0 else config.seeds):
            part = replace(config, shots=(k,), seeds=(seed,), check_shots=(k,) if k in config.check_shots else ())
            # before the part too: a part is minutes on a causal LM, and "loading" would stand meanwhile
            yield done, total, f"{label}: k={k} seed {seed} running ({done}/{total} runs done)"
            result = run_protocol(model, train, test, part)
            records += result.records
            for source, target in ((result.blocks, blocks), (result.check_blocks, check_blocks)):
                for block_seed, per_k in source.items():
                    target.setdefault(block_seed, {}).update(per_k)
            done += run_count(part)
            yield done, total, f"{label}: k={k} seed {seed} ({done}/{total} runs)"
    yield ProtocolResult(config, tuple(records), blocks, check_blocks)


# -- summaries ----------------------------------------------------------------------------------

def category_statistics(result: ProtocolResult, metric: Metric = "final") -> dict[int, ShotStatistics]:
    """Per k, the template categories compared (the template sweep: yes/no targets only); one
    observation per run (template x seed)."""
    sweep = result.config.design.sweep_targets
    templates = result.config.design.sweep_templates
    observations = [(r.shots, r.category, r.accuracy(metric)) for r in result.records
                    if r.task == "entailment" and r.targets == sweep and r.template in templates]
    return statistics_by_shots(observations, CATEGORIES)


def target_kind_statistics(result: ProtocolResult, metric: Metric = "final") -> dict[int, ShotStatistics]:
    """Per k, the target-word kinds compared (the target sweep: its instructive templates only);
    one observation per run (target set x template x seed)."""
    design = result.config.design
    observations = [(r.shots, r.target_kind, r.accuracy(metric)) for r in result.records
                    if r.task == "entailment" and r.template in design.target_templates
                    and r.targets in design.target_sets]
    return statistics_by_shots(observations, TARGET_KINDS)


def learning_curves(result: ProtocolResult, by: Literal["category", "target_kind"],
                    metric: Metric = "final") -> dict[str, dict[int, float]]:
    """Median accuracy per group (template category or target-word kind) at each k."""
    per_shot = category_statistics(result, metric) if by == "category" else target_kind_statistics(result, metric)
    curves: dict[str, dict[int, float]] = {}
    for k, shot in per_shot.items():
        for group, median in shot.medians.items():
            curves.setdefault(group, {})[k] = median
    return curves


@dataclass(frozen=True)
class MedianRow:
    """One line of the k = 32 table: our median beside the paper's ALBERT figure."""

    grouping: Literal["category", "target kind"]
    group: str
    median: float
    runs: int
    paper: str


def median_table(result: ProtocolResult, shots: int = 32, metric: Metric = "final") -> list[MedianRow]:
    """Medians at `shots` per template category and per target kind, with the paper's figures
    (empty where the paper gives none). Empty when `shots` was not run."""
    rows: list[MedianRow] = []
    for grouping, per_shot in (("category", category_statistics(result, metric)),
                               ("target kind", target_kind_statistics(result, metric))):
        if shots in per_shot:
            shot = per_shot[shots]
            rows += [MedianRow(grouping, group, median, shot.counts[group], PAPER_ALBERT_32.get(group, ""))
                     for group, median in shot.medians.items()]  # type: ignore[arg-type]
    return rows


@dataclass(frozen=True)
class CheckAtShots:
    """The template check at one k: mean accuracies on the animal labels over seeds, and the
    one-sided p-value that the animal template is better."""

    shots: int
    animal_accuracy: float
    entailment_accuracy: float
    p_value: float


@dataclass(frozen=True)
class TemplateCheck:
    """Passed when, at some k <= 4 that was run, the animal template beats the entailment
    template(s) on the animal labels with p < alpha."""

    passed: bool
    per_shot: tuple[CheckAtShots, ...]

    @property
    def computed(self) -> bool:
        return bool(self.per_shot)


def template_check(result: ProtocolResult, alpha: float = 0.05, metric: Metric = "final") -> TemplateCheck:
    """The check from the animal runs. The p-value is a one-sided two-proportion z-test on
    correct answers pooled over seeds (items repeat across seeds, so it is approximate and
    somewhat optimistic; with one seed at k = 0 it is exact)."""
    rows: list[CheckAtShots] = []
    for k in sorted({r.shots for r in result.records if r.task == "animal"}):
        runs = [r for r in result.records if r.task == "animal" and r.shots == k]
        animal = [r for r in runs if r.template == ANIMAL_TEMPLATE.name]
        entail = [r for r in runs if r.template != ANIMAL_TEMPLATE.name]
        if not animal or not entail:
            continue
        p = _one_sided_proportions([(r.accuracy(metric), r.n_test) for r in animal],
                                   [(r.accuracy(metric), r.n_test) for r in entail])
        rows.append(CheckAtShots(k, float(np.mean([r.accuracy(metric) for r in animal])),
                                 float(np.mean([r.accuracy(metric) for r in entail])), p))
    passed = any(row.animal_accuracy > row.entailment_accuracy and row.p_value < alpha for row in rows)
    return TemplateCheck(passed, tuple(rows))


def _one_sided_proportions(first: Sequence[tuple[float, int]], second: Sequence[tuple[float, int]]) -> float:
    """P(first's success rate is not above second's) by the pooled two-proportion z-test."""
    x1, n1 = sum(a * n for a, n in first), sum(n for _, n in first)
    x2, n2 = sum(a * n for a, n in second), sum(n for _, n in second)
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    return float(stats.norm.sf((x1 / n1 - x2 / n2) / se))


def primary_shots(available: Iterable[int], wanted: int) -> int | None:
    """`wanted` if it was run, else the nearest k > 0 that was."""
    options = sorted(k for k in available if k > 0)
    return min(options, key=lambda k: (abs(k - wanted), k)) if options else None


def positive_control(result: ProtocolResult, shots: int, metric: Metric = "final") -> AboveChance | None:
    """Whether the model reads the task at all at `shots`: the best template of the template
    sweep (the templates the categories compare, with their target words) must beat chance on
    the entailment labels (`best_above_chance`). None without runs."""
    design = result.config.design
    runs: dict[str, list[tuple[float, int]]] = {}
    for r in result.records:
        if (r.task == "entailment" and r.shots == shots and r.targets == design.sweep_targets
                and r.template in design.sweep_templates):
            runs.setdefault(r.template, []).append((r.accuracy(metric), r.n_test))
    return best_above_chance(runs)


def claim_verdicts(result: ProtocolResult, condition: str, shots: int = 32, alpha: float = 0.05,
                   margin: float = 0.05, metric: Metric = "final", primary: bool = True) -> list[ClaimVerdict]:
    """The issue's three verdicts at `shots` (or the nearest k run) for `condition` (a model),
    with the tests' p-values in `details` and the reasons, all marked `primary` as given. Two
    controls gate them, else every verdict is inconclusive: the template check (the model reads
    templates) and the positive control (the best prompt beats chance at that k: the model
    reads the task at all, so "no difference" could have been a difference).

    - instructive ≈ irrelevant: inconsistent when Dunn's test (Bonferroni) separates them;
      consistent when TOST shows their medians equivalent within `margin` (the 90% bootstrap
      interval of the difference inside ±margin); inconclusive otherwise;
    - target words matter more than templates: consistent when the spread (max - min) of medians
      across target kinds exceeds that across categories and Kruskal-Wallis over target kinds has
      p < alpha; inconsistent when the categories spread at least as far with p < alpha;
    - yes/no beats arbitrary and reversed: consistent when Dunn's test puts yes/no above both
      (p < alpha); inconsistent when either is significantly above yes/no.
    """
    check = template_check(result, alpha, metric)
    categories, kinds = category_statistics(result, metric), target_kind_statistics(result, metric)
    k = primary_shots(set(categories) | set(kinds), shots)
    control = positive_control(result, k, metric) if k is not None else None
    details_check = {f"check_p_k{row.shots}": row.p_value for row in check.per_shot}
    if control is not None:
        details_check.update(control_accuracy=control.accuracy, control_p_bonferroni=control.p_adjusted)
    why = ("no run with k > 0" if k is None else
           "the template check was not computed" if not check.computed else
           "the template check failed: the animal template did not beat the entailment template at k <= 4, "
           "so the model does not read templates" if not check.passed else
           f"the positive control failed: the best template ({control.prompt}) scores {control.accuracy:.1%} at "
           f"k={k}, not above chance (binomial p={control.p_adjusted:.3g}, Bonferroni over {control.prompts} "
           "templates), so the model does not read the task and no difference could show"
           if control is not None and control.p_adjusted >= alpha else "")
    if why or k is None:
        return [ClaimVerdict(claim, condition, "inconclusive", why[0].upper() + why[1:] + ".", primary,
                             dict(details_check)) for claim in CLAIMS]
    verdicts = [_instructive_vs_irrelevant(categories.get(k), k, condition, alpha, margin, details_check),
                _targets_vs_templates(categories.get(k), kinds.get(k), k, condition, alpha, details_check),
                _yes_no_beats(kinds.get(k), k, condition, alpha, details_check)]
    return [replace(v, primary=primary) for v in verdicts]


def _instructive_vs_irrelevant(shot: ShotStatistics | None, k: int, condition: str, alpha: float, margin: float,
                               base: dict[str, float]) -> ClaimVerdict:
    claim = CLAIMS[0]
    found = shot.comparison("instructive", "irrelevant") if shot else None
    if shot is None or found is None:
        return ClaimVerdict(claim, condition, "inconclusive", f"At k={k} a category is missing.", True, dict(base))
    tost = median_difference_tost(shot.values["instructive"], shot.values["irrelevant"], margin, alpha)
    details = {**base, "k": float(k), "dunn_z": found.z, "dunn_p_bonferroni": found.p_adjusted,
               "median_instructive": shot.medians["instructive"], "median_irrelevant": shot.medians["irrelevant"],
               "tost_low": tost.low, "tost_high": tost.high, "tost_margin": margin}
    if shot.kruskal is not None:
        details["kruskal_p"] = shot.kruskal.p_value
    said = (f"at k={k} the medians are {shot.medians['instructive']:.1%} (instructive) and "
            f"{shot.medians['irrelevant']:.1%} (irrelevant), Dunn p={found.p_adjusted:.3g} (Bonferroni), "
            f"90% interval of the difference [{tost.low:+.1%}, {tost.high:+.1%}]")
    if found.p_adjusted < alpha:
        return ClaimVerdict(claim, condition, "inconsistent", f"They differ: {said}.", True, details)
    if tost.equivalent:
        return ClaimVerdict(claim, condition, "consistent", f"Equivalent within ±{margin:.0%} (TOST): {said}.", True,
                            details)
    return ClaimVerdict(claim, condition, "inconclusive",
                        f"Neither different nor shown equivalent within ±{margin:.0%} (TOST): {said}.", True, details)


def _spread(shot: ShotStatistics) -> float:
    return max(shot.medians.values()) - min(shot.medians.values()) if shot.medians else 0.0


def _targets_vs_templates(categories: ShotStatistics | None, kinds: ShotStatistics | None, k: int, condition: str,
                          alpha: float, base: dict[str, float]) -> ClaimVerdict:
    claim = CLAIMS[1]
    if categories is None or kinds is None or categories.kruskal is None or kinds.kruskal is None:
        return ClaimVerdict(claim, condition, "inconclusive", f"At k={k} a sweep is missing.", True, dict(base))
    spread_t, spread_w = _spread(categories), _spread(kinds)
    details = {**base, "k": float(k), "spread_categories": spread_t, "spread_target_kinds": spread_w,
               "kruskal_p_categories": categories.kruskal.p_value, "kruskal_p_target_kinds": kinds.kruskal.p_value,
               "epsilon2_categories": categories.kruskal.epsilon_squared,
               "epsilon2_target_kinds": kinds.kruskal.epsilon_squared}
    said = (f"at k={k} medians spread {spread_w:.1%} across target kinds (Kruskal-Wallis p="
            f"{kinds.kruskal.p_value:.3g}) and {spread_t:.1%} across template categories (p="
            f"{categories.kruskal.p_value:.3g})")
    if spread_w > spread_t and kinds.kruskal.p_value < alpha:
        return ClaimVerdict(claim, condition, "consistent", f"Target words matter more: {said}.", True, details)
    if spread_t >= spread_w and categories.kruskal.p_value < alpha:
        return ClaimVerdict(claim, condition, "inconsistent", f"Templates matter at least as much: {said}.", True,
                            details)
    return ClaimVerdict(claim, condition, "inconclusive", f"The larger spread is not significant: {said}.", True,
                        details)


def _yes_no_beats(kinds: ShotStatistics | None, k: int, condition: str, alpha: float,
                  base: dict[str, float]) -> ClaimVerdict:
    claim = CLAIMS[2]
    found = [kinds.comparison("yes-no", other) if kinds else None for other in ("arbitrary", "reversed")]
    if kinds is None or None in found:
        return ClaimVerdict(claim, condition, "inconclusive", f"At k={k} a target kind is missing.", True, dict(base))
    arbitrary, reversed_ = found
    assert arbitrary is not None and reversed_ is not None
    details = {**base, "k": float(k), "dunn_z_arbitrary": arbitrary.z, "dunn_p_arbitrary": arbitrary.p_adjusted,
               "dunn_z_reversed": reversed_.z, "dunn_p_reversed": reversed_.p_adjusted,
               **{f"median_{kind}": value for kind, value in kinds.medians.items()}}
    said = (f"at k={k} yes/no {kinds.medians['yes-no']:.1%} vs arbitrary {kinds.medians['arbitrary']:.1%} "
            f"(Dunn p={arbitrary.p_adjusted:.3g}) and reversed {kinds.medians['reversed']:.1%} "
            f"(p={reversed_.p_adjusted:.3g}), Bonferroni")
    if all(c.z > 0 and c.p_adjusted < alpha for c in found):  # type: ignore[union-attr]
        return ClaimVerdict(claim, condition, "consistent", f"Yes/no is better than both: {said}.", True, details)
    if any(c.z < 0 and c.p_adjusted < alpha for c in found):  # type: ignore[union-attr]
        return ClaimVerdict(claim, condition, "inconsistent", f"Yes/no is significantly worse: {said}.", True,
                            details)
    return ClaimVerdict(claim, condition, "inconclusive", f"Not separated at p < {alpha:g}: {said}.", True, details)
