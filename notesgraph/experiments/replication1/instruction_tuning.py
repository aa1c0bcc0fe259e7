"""Replication 1: does instruction tuning learn the task or the output format? (Kung & Peng 2023)

The design of the paper at a scale that runs on 2 CPU cores (issues 9 and 16): a generated task
suite whose held-out tasks are of families, sentences and an attribute no earlier stage saw
(heldout_suite.py; version 1's leaky suite is suite=shared_pool), a small encoder trained from
scratch (reader_model.py) in a *pretraining* stage on masked words of the world's text
(world_corpus.py; version 1's definition reading is base_objective=definitions), then an
*instruction-tuning* stage under each condition: definition original / simplified / empty x
demonstrations correct / delusive / none, with n training instances per task, several seeds.
Held-out tasks are scored by exact match, split into compliance (answer inside the output space)
and accuracy among compliant answers, reported for LI / DR tasks, new / pretraining wordings,
two-label / multi-label tasks and the attribute no stage asked about. Intervals come from the
hierarchical bootstrap over families, tasks and seeds (hierarchical.py).

Runner conditions, in order:
- `baselines`: pretrains the base model (cached next to the run folder, shared by runs with the
  same pretraining parameters; a run that loads another run's cache records it in reused.json),
  then scores the untuned base model, the random baseline and the constant baseline; also the
  pretraining diagnostics and the design checks (rows of condition `design_check`).
- the nine `<definition>+<examples>` conditions: tune and score, per n and seed.
- `no_pretraining`: original+correct tuned from random weights (does the ability come from
  pretraining?).
- `compare`: paired differences by task and seed with hierarchical-bootstrap intervals (original -
  simplified, correct - delusive, tuned - random, tuned - untuned, and the controls' contrasts),
  each claim's two p-values (TOST within +-3 EM, or a difference), and the DR check.

`family=minilm` runs the same conditions on the second model family, frozen all-MiniLM-L6-v2
with a trained head (minilm_family.py): the contrast "a model that can only learn format". Its
untuned baseline is the zero-shot cosine between the prompt and each label; it has no
pretraining stage and no from-scratch control.

Per-task scores are saved as JSON in the run folder, so a resumed run redoes only what is missing
and `compare` reads what the other conditions measured. With `backend=hf_seq2seq` every
condition but `no_pretraining` and `compare` runs through hf_seq2seq.py on a local T5 and SuperNI.

Split by responsibility: instruction_tuning_context.py holds the condition grid and the Context
(shared/base_model.py's suite, vocabulary, cached base model and training loop, plus score files);
instruction_tuning_report.py the controls, the verdicts (Holm over the primary tests), the report
and the plot. This module
runs the conditions and re-exports what the runner and other modules reach through it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.replication1.hierarchical import Bootstrap, hierarchical_bootstrap
from notesgraph.experiments.shared.instruction_tasks import (ATTRIBUTES, HELD_OUT_ATTRIBUTE, Prompt, Task,
                                                      pretraining_prompt, task_prompt)
from notesgraph.experiments.replication1.instruction_tuning_context import (CONDITIONS, DEFINITIONS, EXAMPLES, SUITE_SEED,
                                                               TUNING_CONDITIONS, Context, n_values, train_chunks)
from notesgraph.experiments.replication1.instruction_tuning_report import (CHECK_MARGIN, DIFFERENCES, FAMILY_TITLES, MARGIN,
                                                              PAPER, check_passes, claim_verdicts, plot, report)
from notesgraph.experiments.spec import ParameterValue, Progress, Result

__all__ = ["CHECK_MARGIN", "CONDITIONS", "DEFINITIONS", "DIFFERENCES", "EXAMPLES", "FAMILY_TITLES", "MARGIN",
           "PAPER", "SPLITS", "SUITE_SEED", "TUNING_CONDITIONS", "Context", "FrozenMiniLMFamily", "ReaderFamily",
           "Spans", "TaskScores", "baseline_scores", "check_passes", "claim_verdicts", "evaluate",
           "held_out_prompts", "n_values", "plot", "report", "run_condition", "score_predictions", "score_spans",
           "summary_results", "train_chunks", "training_prompts", "design_check_results"]

SPLITS = ("all", "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label", "unseen_attribute")


def _tags(task: Task) -> tuple[str, ...]:
    tags = ["all", task.group, f"{task.wording}_wording", "two_label" if len(task.labels) == 2 else "multi_label"]
    if task.attribute == HELD_OUT_ATTRIBUTE:
        tags.append("unseen_attribute")
    return tuple(tags)


# -- scoring ------------------------------------------------------------------------------------

TaskScores = dict[str, tuple[float, float, float]]
"""task name -> (exact match, compliance, accuracy among compliant answers or nan), fractions."""


def score_predictions(task: Task, predictions: Sequence[str], golds: Sequence[str]) -> tuple[float, float, float]:
    from notesgraph.experiments.replication1.superni import exact_match

    correct = [exact_match(p, [g]) for p, g in zip(predictions, golds)]
    inside = [p in task.labels for p in predictions]
    compliant = [c for c, i in zip(correct, inside) if i]
    return (float(np.mean(correct)), float(np.mean(inside)),
            float(np.mean(compliant)) if compliant else float("nan"))


Spans = list[tuple[Task, int, int]]


def held_out_prompts(context: Context, definition: str, examples: str) -> tuple[list[Prompt], Spans]:
    """Every held-out task's scored instances as prompts under a condition, and each task's
    (task, start, end) span in that list."""
    limit = int(context.parameters["held_out_instances"])
    prompts: list[Prompt] = []
    spans = []
    for task in context.suite.held_out:
        start = len(prompts)
        prompts += [task_prompt(task, words, gold, definition, examples) for words, gold in task.instances[:limit]]
        spans.append((task, start, len(prompts)))
    return prompts, spans


def score_spans(prompts: Sequence[Prompt], spans: Spans, predictions: Sequence[str]) -> TaskScores:
    return {task.name: score_predictions(task, predictions[a:b], [p.gold for p in prompts[a:b]])
            for task, a, b in spans}


def training_prompts(context: Context, definition: str, examples: str, n: int, seed: int) -> list[Prompt]:
    """n instances of every training task under a condition: the same instances for every
    condition and model family of this seed and n."""
    rng = np.random.default_rng([seed, n, 99])
    prompts = []
    for task in context.suite.train:
        chosen = rng.choice(len(task.instances), size=min(n, len(task.instances)), replace=False)
        prompts += [task_prompt(task, *task.instances[int(i)], definition, examples) for i in chosen]
    return prompts


def evaluate(context: Context, model: Any, definition: str, examples: str) -> TaskScores:
    """Every held-out task's scores for the reader `model` under a condition (one batched pass)."""
    from notesgraph.experiments.shared.reader_model import predict

    prompts, spans = held_out_prompts(context, definition, examples)
    return score_spans(prompts, spans, predict(model, context.vocab, prompts))


def baseline_scores(context: Context, kind: str, seed: int) -> TaskScores:
    """The random (uniform over the output space, seeded) or constant (most frequent gold label)
    baseline's scores per held-out task."""
    limit = int(context.parameters["held_out_instances"])
    rng = np.random.default_rng([seed, 31337])
    scores = {}
    for task in context.suite.held_out:
        golds = [gold for _, gold in task.instances[:limit]]
        if kind == "random":
            answers = [task.labels[int(i)] for i in rng.integers(0, len(task.labels), len(golds))]
        else:
            answers = [max(task.labels, key=golds.count)] * len(golds)
        scores[task.name] = score_predictions(task, answers, golds)
    return scores


def save_scores(context: Context, name: str, scores: TaskScores) -> None:
    path = context.scores / f"{name}.json"
    path.with_suffix(".tmp").write_text(json.dumps(scores), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


def load_scores(context: Context, name: str) -> TaskScores | None:
    path = context.scores / f"{name}.json"
    if not path.exists():
        return None
    return {k: tuple(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}  # type: ignore[misc]


def _table(runs: Sequence[TaskScores], names: Sequence[str], column: int) -> np.ndarray:
    """(tasks, seeds) scores of `names` in `column`; nan where a run lacks the task."""
    return np.array([[run[name][column] if name in run else np.nan for run in runs] for name in names], dtype=float)


def _interval(values: Sequence[float], seed: int, level: float = 95.0, resamples: int = 2000) -> tuple[float, float, float]:
    """Mean and percentile interval of independent values (one per example)."""
    array = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if array.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng([seed, array.size, int(level)])
    means = array[rng.integers(0, array.size, (resamples, array.size))].mean(axis=1)
    tail = (100.0 - level) / 2
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(array.mean()), float(low), float(high)


def _split_tasks(context: Context, split: str) -> list[Task]:
    if split == "DR_seen_attribute":
        return [t for t in context.suite.held_out if t.group == "DR" and t.attribute != HELD_OUT_ATTRIBUTE]
    return [t for t in context.suite.held_out if split in _tags(t)]


def _bootstrap(tasks: Sequence[Task], table: np.ndarray, seed: int) -> Bootstrap:
    return hierarchical_bootstrap(table, [t.family for t in tasks], seed)


def summary_results(context: Context, condition: str, prefix: str, runs: Sequence[TaskScores],
                    suffix: str = "") -> list[Result]:
    """EM, compliance and accuracy-in-space per split (percent, 95% CI by the hierarchical
    bootstrap over families, tasks and seeds), as metrics `<prefix><metric>/<split><suffix>`."""
    results = []
    for column, metric in enumerate(("em", "compliance", "accuracy_in_space")):
        for split in SPLITS:
            tasks = _split_tasks(context, split)
            boot = _bootstrap(tasks, _table(runs, [t.name for t in tasks], column), column)
            if tasks and not np.isnan(boot.value):
                low, high = boot.interval()
                results.append(Result(condition, f"{prefix}{metric}/{split}{suffix}", 100 * boot.value,
                                      100 * low, 100 * high, len(tasks)))
    return results


# -- conditions -----------------------------------------------------------------------------------

def _tune_and_score(context: Context, base: Any, definition: str, examples: str, n: int, seed: int,
                    label: str) -> Iterator[Progress | TaskScores]:
    """Copy `base`, instruction-tune it on n instances of every training task under the
    condition (the same instances for every condition of this seed and n), score held-out tasks."""
    import torch

    from notesgraph.experiments.shared.reader_model import shuffled_batches

    model = copy.deepcopy(base)
    torch.manual_seed(seed)
    prompts = training_prompts(context, definition, examples, n, seed)
    batch = int(context.parameters["batch_size"])
    epochs = int(context.parameters["tune_epochs"])
    steps = max(1, -(-len(prompts) * epochs // batch))
    batches = shuffled_batches(prompts, batch, np.random.default_rng([seed, n, 7]))
    for item in train_chunks(model, context.vocab, batches, steps, float(context.parameters["tune_lr"]), False,
                             label):
        if isinstance(item, Progress):
            yield item
    yield evaluate(context, model, definition, examples)


def run_condition(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int],
                  workdir: Path | None = None) -> Iterator[Progress | Result]:
    """One runner condition (see the module docstring): Progress, then its Results."""
    if str(parameters.get("backend", "synthetic")) == "hf_seq2seq":
        if condition in ("no_pretraining", "compare"):
            return
        from notesgraph.experiments.replication1 import hf_seq2seq

        yield from hf_seq2seq.run_condition(condition, parameters, seeds, Path(workdir or "."))
        return
    context = Context(parameters, Path(workdir) if workdir else Path.cwd() / "instruction-tuning-run")
    if condition == "compare":
        yield from compare(context, seeds)
        return
    if context.family == "minilm" and condition == "no_pretraining":
        return  # a frozen encoder has nothing to train from random weights
    family: ReaderFamily | FrozenMiniLMFamily = (FrozenMiniLMFamily(context) if context.family == "minilm"
                                                 else ReaderFamily(context))
    yield from family.prepare()
    if condition == "baselines":
        yield from _baselines(context, family, seeds)
        return
    definition, examples = ("original", "correct") if condition == "no_pretraining" else condition.split("+")
    sizes = n_values(parameters)
    total, step, results = len(sizes) * len(seeds), 0, []
    for n in sizes:
        runs = []
        for seed in seeds:
            name = f"{condition}-n{n}-s{seed}"
            scores = load_scores(context, name)
            if scores is None:
                for item in family.tune_and_score(definition, examples, n, seed, f"{condition} n={n} seed {seed}",
                                                  from_scratch=condition == "no_pretraining"):
                    if isinstance(item, Progress):
                        yield Progress(step * 1000 + 1000 * item.step // max(item.total, 1), total * 1000, item.message)
                    else:
                        scores = item
                save_scores(context, name, scores)
            runs.append(scores)
            step += 1
        results += summary_results(context, condition, "", runs, f"/n{n}")
    yield Progress(total, total, f"{condition}: done")
    yield from results


def _drain(items: Iterator[Progress | Any]) -> Iterator[Progress]:
    """Pass a generator's Progress on and return its last other item (`x = yield from _drain(g)`)."""
    value = None
    for item in items:
        if isinstance(item, Progress):
            yield item
        else:
            value = item
    return value


class ReaderFamily:
    """The from-scratch reader: pretrained once (cached), instruction-tuned by copying the base."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.base: Any = None

    def prepare(self) -> Iterator[Progress]:
        self.base = yield from _drain(Progress(p.step, p.total * 2, p.message) if isinstance(p, Progress) else p
                                      for p in self.context.base_model())

    def untuned(self, examples: str) -> Iterator[Progress | TaskScores]:
        """A base model pretrained on masked words answers with its guess for the word at
        [ANS] (any word of the vocabulary); the first design's base model with its label head."""
        if self.context.objective != "masked_words":
            yield evaluate(self.context, self.base, "original", examples)
            return
        from notesgraph.experiments.shared.reader_model import predict_words

        prompts, spans = held_out_prompts(self.context, "original", examples)
        yield score_spans(prompts, spans, predict_words(self.base, self.context.vocab, prompts))

    def tune_and_score(self, definition: str, examples: str, n: int, seed: int, label: str,
                       from_scratch: bool = False) -> Iterator[Progress | TaskScores]:
        start = self.context.new_model(seed) if from_scratch else self.base
        yield from _tune_and_score(self.context, start, definition, examples, n, seed, label)

    def diagnostics(self) -> list[Result]:
        return _pretraining_diagnostics(self.context, self.base)


class FrozenMiniLMFamily:
    """Frozen all-MiniLM-L6-v2 with a trained head (minilm_family.py): the model that can only
    learn format. Untuned is the zero-shot cosine between the whole prompt and each label."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cache = context.vector_cache()
        self.labels: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.held_out: dict[tuple[str, str], tuple[list[Prompt], Spans, Any]] = {}

    def prepare(self) -> Iterator[Progress]:
        from notesgraph.experiments.replication1.minilm_family import label_vectors

        self.labels = yield from _drain(label_vectors(self.cache))

    def untuned(self, examples: str) -> Iterator[Progress | TaskScores]:
        from notesgraph.experiments.replication1.minilm_family import untuned_predictions

        prompts, spans = held_out_prompts(self.context, "original", examples)
        predictions = yield from _drain(untuned_predictions(self.cache, prompts, self.labels, f"untuned ({examples})"))
        yield score_spans(prompts, spans, predictions)

    def tune_and_score(self, definition: str, examples: str, n: int, seed: int, label: str,
                       from_scratch: bool = False) -> Iterator[Progress | TaskScores]:
        from notesgraph.experiments.replication1.minilm_family import features, head_predictions, train_head

        p = self.context.parameters
        train = yield from _drain(features(self.cache, training_prompts(self.context, definition, examples, n, seed),
                                           label))
        head = yield from _drain(train_head(train, self.labels, seed, int(p["head_epochs"]), float(p["head_lr"]),
                                            int(p["batch_size"]), int(p["head_hidden"]), label))
        if (definition, examples) not in self.held_out:  # the same for every n and seed
            prompts, spans = held_out_prompts(self.context, definition, examples)
            held = yield from _drain(features(self.cache, prompts, label))
            self.held_out[(definition, examples)] = (prompts, spans, held)
        prompts, spans, held = self.held_out[(definition, examples)]
        yield score_spans(prompts, spans, head_predictions(head, held))

    def diagnostics(self) -> list[Result]:
        from notesgraph.experiments.replication1.minilm_family import head_parameters

        count = float(head_parameters(self.labels, int(self.context.parameters["head_hidden"])))
        return [Result("baselines", "head/parameters", count, count, count, 1)]


def _baselines(context: Context, family: ReaderFamily | FrozenMiniLMFamily,
               seeds: Sequence[int]) -> Iterator[Progress | Result]:
    yield Progress(1, 3, "baselines: scoring the untuned model")
    results = []
    for examples in ("correct", "none"):
        name = f"untuned+original+{examples}"
        scores = load_scores(context, name)
        if scores is None:
            scores = yield from _drain(family.untuned(examples))
            save_scores(context, name, scores)
        prefix = "untuned/" if examples == "correct" else "untuned_no_examples/"
        results += summary_results(context, "baselines", prefix, [scores])
    for kind in ("random", "constant"):
        runs = []
        for seed in seeds:
            scores = baseline_scores(context, kind, seed)
            save_scores(context, f"{kind}-s{seed}", scores)
            runs.append(scores)
        results += summary_results(context, "baselines", f"{kind}/", runs)
    yield Progress(2, 3, "baselines: diagnostics")
    results += family.diagnostics()
    results += design_check_results(context)
    yield Progress(3, 3, "baselines: done")
    yield from results


def design_check_results(context: Context) -> list[Result]:
    """The held-out design's checks (heldout_suite.design_checks) on this run's suite, as rows of
    condition `design_check` (each must be 0, but heldout_only_attributes, which must be >= 1)."""
    from notesgraph.experiments.shared.heldout_suite import design_checks

    counts = design_checks(context.suite, context.pretraining_attributes())
    size = len(context.suite.held_out)
    return [Result("design_check", name, float(v), float(v), float(v), size) for name, v in counts.items()]


def _masked_word_accuracy(context: Context, base: Any) -> list[Result]:
    """Share of masked words the base model restores in fresh texts about held-out sentences."""
    import torch

    from notesgraph.experiments.shared.world_corpus import masked_text

    rng = np.random.default_rng([SUITE_SEED, 2025])
    texts = [masked_text(rng, context.suite.held_pool or context.suite.pool, 96) for _ in range(400)]
    hits: list[float] = []
    base.eval()
    with torch.no_grad():
        for text in texts:
            ids = torch.tensor([[context.vocab.id(w) for w in text.words]])
            logits = base.word_logits(base.states(ids, ids == 0)[0])
            hits += [float(context.vocab.words[int(logits[p].argmax())] == w) for p, w in text.targets]
    value, low, high = _interval(hits, 5)
    return [Result("baselines", "pretraining/masked_word_accuracy", 100 * value, 100 * low, 100 * high, len(hits))]


def _pretraining_diagnostics(context: Context, base: Any) -> list[Result]:
    """Accuracy of the base model on fresh pretraining-format prompts: trained attributes, and
    the attribute pretraining never asked about (chance expected)."""
    from notesgraph.experiments.shared.reader_model import predict

    if context.objective == "masked_words":
        return _masked_word_accuracy(context, base)
    rng = np.random.default_rng([SUITE_SEED, 2024])
    results = []
    trained = [a for a in ATTRIBUTES if a != HELD_OUT_ATTRIBUTE]
    for label, attributes in (("trained_attributes", trained), ("held_out_attribute", [HELD_OUT_ATTRIBUTE])):
        count = 10 * int(context.parameters["held_out_instances"])
        prompts = [pretraining_prompt(rng, context.suite.pool, attributes) for _ in range(count)]
        hits = np.array([p == q.gold for p, q in zip(predict(base, context.vocab, prompts), prompts)], dtype=float)
        value, low, high = _interval(hits, 5)
        results.append(Result("baselines", f"pretraining/accuracy/{label}", 100 * value, 100 * low, 100 * high,
                              len(prompts)))
    return results


# -- comparisons (the verdicts are in instruction_tuning_report.py) -------------------------------

def _runs(context: Context, source: str, n: int, seeds: Sequence[int]) -> list[TaskScores]:
    if source.startswith("untuned"):
        names = [source]
    elif source in ("random", "constant"):
        names = [f"{source}-s{s}" for s in seeds]
    else:
        names = [f"{source}-n{n}-s{s}" for s in seeds]
    runs = [load_scores(context, name) for name in names]
    missing = [name for name, run in zip(names, runs) if run is None]
    if missing:
        from notesgraph.experiments.spec import ExperimentError

        raise ExperimentError(f"compare needs the scores of {', '.join(missing)}: run their conditions first")
    return runs  # type: ignore[return-value]


def _difference_table(context: Context, left: str, right: str, n: int, seeds: Sequence[int]) -> np.ndarray:
    """(held-out tasks, seeds) EM differences in points, seeds paired; a one-run side (the
    untuned model) is compared with every seed of the other."""
    names = [t.name for t in context.suite.held_out]
    a = _table(_runs(context, left, n, seeds), names, 0)
    b = _table(_runs(context, right, n, seeds), names, 0)
    return 100 * (a - b)


def _tests(name: str, boot: Bootstrap, split: str, n: int, size: int, paper: float) -> list[Result]:
    """p-values of the claim's two verdicts from the bootstrap: for a claimed ~0, 'consistent'
    is TOST equivalence within +-MARGIN and 'inconsistent' a difference beyond it (two-sided);
    for tuned - untuned, above or below half the paper's gain; nan `paper`: no claim, no tests."""
    if np.isnan(paper):
        return []
    if abs(paper) <= MARGIN:
        consistent = max(boot.p_at_most(-MARGIN), boot.p_at_least(MARGIN))
        inconsistent = min(1.0, 2 * min(boot.p_at_most(MARGIN), boot.p_at_least(-MARGIN)))
    else:
        consistent, inconsistent = boot.p_at_most(paper / 2), boot.p_at_least(paper / 2)
    return [Result("compare", f"p_{kind}/{name}/{split}/n{n}", p, p, p, size)
            for kind, p in (("consistent", consistent), ("inconsistent", inconsistent))]


DR_CHECKS = (("dr_original_minus_random", "original+correct"), ("dr_untuned_minus_random", "untuned+original+correct"))
"""(row name, scores compared with random on DR tasks of seen attributes at the largest n)."""


def compare(context: Context, seeds: Sequence[int], differences: Mapping[str, tuple[str, str, float]] = DIFFERENCES,
             sizes: Sequence[int] | None = None, checks: Sequence[tuple[str, str]] = DR_CHECKS
             ) -> Iterator[Progress | Result]:
    """Paired differences by task and seed (`differences`: name -> (minuend, subtrahend, the
    paper's value)) per split and n, their tests, and the DR checks, as `compare` rows. The
    zero-shot LM (lm_zero_shot.py) passes its own differences, n = 0 and one check."""
    sizes = list(sizes) if sizes is not None else n_values(context.parameters)
    results = []
    for step, (name, (left, right, paper)) in enumerate(differences.items()):
        if right == "no_pretraining" and context.family == "minilm":
            continue  # the frozen family has no from-scratch control
        yield Progress(step, len(differences) + 1, f"compare: {name}")
        for n in sizes:
            diffs = _difference_table(context, left, right, n, seeds)
            for split in (*SPLITS, "DR_seen_attribute"):
                tasks = _split_tasks(context, split)
                if not tasks:
                    continue
                rows = [i for i, t in enumerate(context.suite.held_out) if t in tasks]
                boot = _bootstrap(tasks, diffs[rows], 11)
                for label, level in (("diff", 95.0), ("diff90", 90.0)):
                    low, high = boot.interval(level)
                    results.append(Result("compare", f"{label}/{name}/{split}/n{n}", boot.value, low, high, len(tasks)))
                results += _tests(name, boot, split, n, len(tasks), paper)
    largest = max(sizes)
    tasks = _split_tasks(context, "DR_seen_attribute")
    rows = [i for i, t in enumerate(context.suite.held_out) if t in tasks]
    for label, source in checks:
        boot = _bootstrap(tasks, _difference_table(context, source, "random", largest, seeds)[rows], 13)
        low, high = boot.interval()
        results.append(Result("compare", f"check/{label}/n{largest}", boot.value, low, high, len(tasks)))
    yield Progress(len(differences) + 1, len(differences) + 1, "compare: done")
    yield from results
