"""Replication 1: does instruction tuning learn the task or the output format? (Kung & Peng 2023)

The design of the paper at a scale that runs on 2 CPU cores (issue 9): a generated task suite
(instruction_tasks.py), a small encoder trained from scratch (reader_model.py) in a
*pretraining* stage that teaches it to read definitions, then an *instruction-tuning* stage
under each condition: definition original / simplified / empty x demonstrations correct /
delusive / none, with n training instances per task, several seeds. Held-out tasks are scored
by exact match, split into compliance (answer inside the output space) and accuracy among
compliant answers, reported for LI / DR tasks, new / pretraining wordings, two-label /
multi-label tasks and the attribute no stage ever asked about.

Runner conditions, in order:
- `baselines`: pretrains the base model (cached next to the run folder, shared by runs with the
  same pretraining parameters), then scores the untuned base model, the random baseline and the
  constant baseline; also the pretraining diagnostics (trained wordings, new wordings, the
  held-out attribute).
- the nine `<definition>+<examples>` conditions: tune and score, per n and seed.
- `no_pretraining`: original+correct tuned from random weights (does the ability come from
  pretraining?).
- `compare`: paired differences by task with 95% bootstrap intervals (original - simplified,
  correct - delusive, tuned - random, tuned - untuned), the DR check, and an equivalence test
  (90% interval inside +-3 EM).

`family=minilm` runs the same conditions on the second model family, frozen all-MiniLM-L6-v2
with a trained head (minilm_family.py): the contrast "a model that can only learn format". Its
untuned baseline is the zero-shot cosine between the prompt and each label; it has no
pretraining stage and no from-scratch control.

Per-task scores are saved as JSON in the run folder, so a resumed run redoes only what is missing
and `compare` reads what the other conditions measured. With `backend=hf_seq2seq` every
condition but `no_pretraining` and `compare` runs through hf_seq2seq.py on a local T5 and SuperNI.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.instruction_tasks import (ATTRIBUTES, HELD_OUT_ATTRIBUTE, Prompt, Task,
                                                      TaskSuite, build_suite, definition_words,
                                                      pretraining_prompt, task_prompt)
from notesgraph.experiments.spec import ClaimVerdict, ExperimentSpec, ParameterValue, Progress, Result

DEFINITIONS = ("original", "simplified", "empty")
EXAMPLES = ("correct", "delusive", "none")
TUNING_CONDITIONS = tuple(f"{d}+{e}" for d in DEFINITIONS for e in EXAMPLES)
CONDITIONS = ("baselines", *TUNING_CONDITIONS, "no_pretraining", "compare")
SPLITS = ("all", "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label", "unseen_attribute")
MARGIN = 3.0
"""EM points within which two conditions count as equivalent (the issue's equivalence margin)."""
CHECK_MARGIN = 10.0
"""On DR tasks at the largest n, original must beat random by at least this many EM points."""
PAPER = {"untuned": 12.78, "tuned": 43.0, "random": 42.6}
"""The paper's zero-shot classification numbers (low-resource setting), for the tables."""
SUITE_SEED = 0
"""The task suite and the pretraining are fixed; seeds vary the instruction tuning (which
instances, their order, the tuned model's updates)."""



def _tags(task: Task) -> tuple[str, ...]:
    tags = ["all", task.group, f"{task.wording}_wording", "two_label" if len(task.labels) == 2 else "multi_label"]
    if task.attribute == HELD_OUT_ATTRIBUTE:
        tags.append("unseen_attribute")
    return tuple(tags)


def n_values(parameters: Mapping[str, ParameterValue]) -> list[int]:
    return [int(v) for v in str(parameters["n_values"]).split(",") if v.strip()]


# -- the cached pieces --------------------------------------------------------------------------

class Context:
    """What every condition of a run shares: the suite, the vocabulary, the base model."""

    def __init__(self, parameters: Mapping[str, ParameterValue], workdir: Path) -> None:
        import torch

        from notesgraph.experiments.lexicon import vocabulary
        from notesgraph.experiments.reader_model import Vocabulary

        torch.set_num_threads(int(parameters.get("threads", 2)))
        self.parameters = parameters
        self.workdir = workdir
        self.suite: TaskSuite = build_suite(SUITE_SEED, int(parameters["train_tasks"]),
                                            int(parameters["held_out_tasks"]), max(n_values(parameters)),
                                            int(parameters["held_out_instances"]))
        self.vocab = Vocabulary(vocabulary(sorted(definition_words())))
        self.scores = workdir / "scores"
        self.scores.mkdir(parents=True, exist_ok=True)
        self.family = str(parameters.get("family", "reader"))
        self.demonstrations = float(parameters.get("pretrain_demos", 0.0))
        self._vectors: Any = None

    def vector_cache(self) -> Any:
        """The frozen-MiniLM family's text vectors, one cache per run folder."""
        if self._vectors is None:
            from notesgraph.experiments.minilm_family import VectorCache

            self._vectors = VectorCache(self.workdir / "minilm-vectors.npz", int(self.parameters.get("threads", 2)))
        return self._vectors

    def base_path(self) -> Path:
        """Where the pretrained base model is cached, keyed by the parameters that shape it (the
        demonstration share only when non-zero, so the first design's caches keep their names)."""
        keys = ("pretrain_steps", "pretrain_lr", "batch_size", "train_tasks", "held_out_tasks")
        key = {k: self.parameters[k] for k in keys}
        if self.demonstrations:
            key["pretrain_demos"] = self.demonstrations
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()
                                + "|".join(self.vocab.words).encode()).hexdigest()[:16]
        return self.workdir.parent / "cache" / f"reader-base-{digest}.pt"

    def new_model(self, seed: int) -> Any:
        import torch

        from notesgraph.experiments.reader_model import ModelConfig, ReaderModel

        torch.manual_seed(seed)
        return ReaderModel(ModelConfig(len(self.vocab)))

    def base_model(self) -> Iterator[Progress | Any]:
        """Yields Progress while pretraining (when no cached model exists), then the model."""
        import torch

        path = self.base_path()
        model = self.new_model(SUITE_SEED)
        if path.exists():
            model.load_state_dict(torch.load(path, weights_only=True))
            yield model
            return
        steps, batch = int(self.parameters["pretrain_steps"]), int(self.parameters["batch_size"])
        rng = np.random.default_rng([SUITE_SEED, 777])
        attributes = [a for a in ATTRIBUTES if a != HELD_OUT_ATTRIBUTE]
        pool = self.suite.pool

        def batches() -> Iterator[list[Any]]:
            while True:
                yield [pretraining_prompt(rng, pool, attributes, self.demonstrations) for _ in range(batch)]

        started = time.monotonic()
        loss = float("nan")
        for item in train_chunks(model, self.vocab, batches(), steps, float(self.parameters["pretrain_lr"]),
                                 True, "pretraining"):
            if isinstance(item, Progress):
                yield item
            else:
                loss = item
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)
        path.with_suffix(".json").write_text(json.dumps({"seconds": time.monotonic() - started, "loss": loss,
                                                         "examples": steps * batch}), encoding="utf-8")
        yield model


def train_chunks(model: Any, vocab: Any, batches: Iterator[Sequence[Any]], steps: int, lr: float,
                 auxiliary: bool, label: str, chunk: int = 10) -> Iterator[Progress | float]:
    """Train for `steps` steps in chunks of `chunk`, yielding Progress between chunks (the
    runner's progress and cancellation checks), then the final mean loss."""
    from notesgraph.experiments.reader_model import Trainer

    trainer = Trainer(model, lr, steps, auxiliary)
    done = 0
    while done < steps:
        count = min(chunk, steps - done)
        trainer.steps(vocab, batches, count)
        done += count
        yield Progress(done, steps, f"{label}: step {done}/{steps}, loss {trainer.recent_loss():.3f}")
    yield trainer.recent_loss()


# -- scoring ------------------------------------------------------------------------------------

TaskScores = dict[str, tuple[float, float, float]]
"""task name -> (exact match, compliance, accuracy among compliant answers or nan), fractions."""


def score_predictions(task: Task, predictions: Sequence[str], golds: Sequence[str]) -> tuple[float, float, float]:
    from notesgraph.experiments.superni import exact_match

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
    from notesgraph.experiments.reader_model import predict

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


def _save(context: Context, name: str, scores: TaskScores) -> None:
    path = context.scores / f"{name}.json"
    path.with_suffix(".tmp").write_text(json.dumps(scores), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


def _load(context: Context, name: str) -> TaskScores | None:
    path = context.scores / f"{name}.json"
    if not path.exists():
        return None
    return {k: tuple(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}  # type: ignore[misc]


def _task_means(context: Context, runs: Sequence[TaskScores], column: int) -> dict[str, float]:
    """Each held-out task's score averaged over runs (seeds); nan when never defined."""
    out = {}
    for task in context.suite.held_out:
        values = [run[task.name][column] for run in runs if task.name in run]
        values = [v for v in values if not np.isnan(v)]
        out[task.name] = float(np.mean(values)) if values else float("nan")
    return out


def _interval(values: Sequence[float], seed: int, level: float = 95.0, resamples: int = 2000) -> tuple[float, float, float]:
    array = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if array.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng([seed, array.size, int(level)])
    means = array[rng.integers(0, array.size, (resamples, array.size))].mean(axis=1)
    tail = (100.0 - level) / 2
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(array.mean()), float(low), float(high)


def _split_tasks(context: Context, split: str) -> list[str]:
    return [t.name for t in context.suite.held_out if split in _tags(t)]


def summary_results(context: Context, condition: str, prefix: str, runs: Sequence[TaskScores],
                    suffix: str = "") -> list[Result]:
    """EM, compliance and accuracy-in-space per split (percent, 95% CI over tasks), as metrics
    `<prefix><metric>/<split><suffix>`."""
    results = []
    for column, metric in enumerate(("em", "compliance", "accuracy_in_space")):
        means = _task_means(context, runs, column)
        for split in SPLITS:
            names = _split_tasks(context, split)
            value, low, high = _interval([means[n] for n in names], column)
            if names and not np.isnan(value):
                results.append(Result(condition, f"{prefix}{metric}/{split}{suffix}", 100 * value,
                                      100 * low, 100 * high, len(names)))
    return results


# -- conditions -----------------------------------------------------------------------------------

def _tune_and_score(context: Context, base: Any, definition: str, examples: str, n: int, seed: int,
                    label: str) -> Iterator[Progress | TaskScores]:
    """Copy `base`, instruction-tune it on n instances of every training task under the
    condition (the same instances for every condition of this seed and n), score held-out tasks."""
    import torch

    from notesgraph.experiments.reader_model import shuffled_batches

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
        from notesgraph.experiments import hf_seq2seq

        yield from hf_seq2seq.run_condition(condition, parameters, seeds, Path(workdir or "."))
        return
    context = Context(parameters, Path(workdir) if workdir else Path.cwd() / "instruction-tuning-run")
    if condition == "compare":
        yield from _compare(context, seeds)
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
            scores = _load(context, name)
            if scores is None:
                for item in family.tune_and_score(definition, examples, n, seed, f"{condition} n={n} seed {seed}",
                                                  from_scratch=condition == "no_pretraining"):
                    if isinstance(item, Progress):
                        yield Progress(step * 1000 + 1000 * item.step // max(item.total, 1), total * 1000, item.message)
                    else:
                        scores = item
                _save(context, name, scores)
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
        yield evaluate(self.context, self.base, "original", examples)

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
        from notesgraph.experiments.minilm_family import label_vectors

        self.labels = yield from _drain(label_vectors(self.cache))

    def untuned(self, examples: str) -> Iterator[Progress | TaskScores]:
        from notesgraph.experiments.minilm_family import untuned_predictions

        prompts, spans = held_out_prompts(self.context, "original", examples)
        predictions = yield from _drain(untuned_predictions(self.cache, prompts, self.labels, f"untuned ({examples})"))
        yield score_spans(prompts, spans, predictions)

    def tune_and_score(self, definition: str, examples: str, n: int, seed: int, label: str,
                       from_scratch: bool = False) -> Iterator[Progress | TaskScores]:
        from notesgraph.experiments.minilm_family import features, head_predictions, train_head

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
        from notesgraph.experiments.minilm_family import head_parameters

        count = float(head_parameters(self.labels, int(self.context.parameters["head_hidden"])))
        return [Result("baselines", "head/parameters", count, count, count, 1)]


def _baselines(context: Context, family: ReaderFamily | FrozenMiniLMFamily,
               seeds: Sequence[int]) -> Iterator[Progress | Result]:
    yield Progress(1, 3, "baselines: scoring the untuned model")
    results = []
    for examples in ("correct", "none"):
        name = f"untuned+original+{examples}"
        scores = _load(context, name)
        if scores is None:
            scores = yield from _drain(family.untuned(examples))
            _save(context, name, scores)
        prefix = "untuned/" if examples == "correct" else "untuned_no_examples/"
        results += summary_results(context, "baselines", prefix, [scores])
    for kind in ("random", "constant"):
        runs = []
        for seed in seeds:
            scores = baseline_scores(context, kind, seed)
            _save(context, f"{kind}-s{seed}", scores)
            runs.append(scores)
        results += summary_results(context, "baselines", f"{kind}/", runs)
    yield Progress(2, 3, "baselines: diagnostics")
    results += family.diagnostics()
    yield Progress(3, 3, "baselines: done")
    yield from results


def _pretraining_diagnostics(context: Context, base: Any) -> list[Result]:
    """Accuracy of the base model on fresh pretraining-format prompts: trained attributes, and
    the attribute pretraining never asked about (chance expected)."""
    from notesgraph.experiments.reader_model import predict

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


# -- comparisons and verdicts ---------------------------------------------------------------------

DIFFERENCES: dict[str, tuple[str, str, float]] = {
    "original-simplified": ("original+correct", "simplified+correct", 0.0),
    "correct-delusive": ("original+correct", "original+delusive", 0.0),
    "tuned-random": ("original+correct", "random", 0.4),
    "tuned-untuned": ("original+correct", "untuned+original+correct", 30.0),
    "pretrained-scratch": ("original+correct", "no_pretraining", float("nan")),
}
"""name -> (minuend, subtrahend, the paper's difference in EM points)."""


def _runs(context: Context, source: str, n: int, seeds: Sequence[int]) -> list[TaskScores]:
    if source.startswith("untuned"):
        names = [source]
    elif source in ("random", "constant"):
        names = [f"{source}-s{s}" for s in seeds]
    else:
        names = [f"{source}-n{n}-s{s}" for s in seeds]
    runs = [_load(context, name) for name in names]
    missing = [name for name, run in zip(names, runs) if run is None]
    if missing:
        from notesgraph.experiments.spec import ExperimentError

        raise ExperimentError(f"compare needs the scores of {', '.join(missing)}: run their conditions first")
    return runs  # type: ignore[return-value]


def _compare(context: Context, seeds: Sequence[int]) -> Iterator[Progress | Result]:
    sizes = n_values(context.parameters)
    results = []
    for step, (name, (left, right, _)) in enumerate(DIFFERENCES.items()):
        if right == "no_pretraining" and context.family == "minilm":
            continue  # the frozen family has no from-scratch control
        yield Progress(step, len(DIFFERENCES) + 1, f"compare: {name}")
        for n in sizes:
            a = _task_means(context, _runs(context, left, n, seeds), 0)
            b = _task_means(context, _runs(context, right, n, seeds), 0)
            for split in SPLITS:
                diffs = [100 * (a[t] - b[t]) for t in _split_tasks(context, split)]
                if not diffs:
                    continue
                value, low, high = _interval(diffs, 11)
                results.append(Result("compare", f"diff/{name}/{split}/n{n}", value, low, high, len(diffs)))
                _, low90, high90 = _interval(diffs, 11, level=90.0)
                results.append(Result("compare", f"diff90/{name}/{split}/n{n}", value, low90, high90, len(diffs)))
    largest = max(sizes)
    tuned = _task_means(context, _runs(context, "original+correct", largest, seeds), 0)
    untuned = _task_means(context, _runs(context, "untuned+original+correct", largest, seeds), 0)
    random = _task_means(context, _runs(context, "random", largest, seeds), 0)
    for label, scores in (("dr_original_minus_random", tuned), ("dr_untuned_minus_random", untuned)):
        diffs = [100 * (scores[t] - random[t]) for t in _split_tasks(context, "DR")]
        value, low, high = _interval(diffs, 13)
        results.append(Result("compare", f"check/{label}/n{largest}", value, low, high, len(diffs)))
    yield Progress(len(DIFFERENCES) + 1, len(DIFFERENCES) + 1, "compare: done")
    yield from results


def check_passes(results: Sequence[Result]) -> tuple[bool, str]:
    """The check before any verdict: on DR tasks at the largest n, original beats random by at
    least CHECK_MARGIN EM, and the untuned base model beats random on them too (interval above 0)."""
    found = {r.metric.split("/")[1]: r for r in results if r.metric.startswith("check/")}
    tuned, untuned = found.get("dr_original_minus_random"), found.get("dr_untuned_minus_random")
    if tuned is None or untuned is None:
        return False, "the DR check was not computed"
    text = (f"DR check: tuned original - random = {tuned.value:+.1f} EM [{tuned.ci_low:+.1f}, {tuned.ci_high:+.1f}] "
            f"(needs >= {CHECK_MARGIN:g}); untuned - random = {untuned.value:+.1f} [{untuned.ci_low:+.1f}, "
            f"{untuned.ci_high:+.1f}] (needs > 0)")
    return tuned.value >= CHECK_MARGIN and untuned.ci_low > 0, text


def _difference_verdict(name: str, paper: float, r95: Result, r90: Result) -> tuple[str, str]:
    """Equivalence-style verdict against the paper's difference: for the 'about equal' findings
    (paper within +-MARGIN of 0) consistent when the 90% interval lies inside +-MARGIN,
    inconsistent when the 95% interval lies wholly outside it; for tuned - untuned (+30 in the
    paper) consistent when the 95% interval lies above half the paper's gain, inconsistent when
    it lies below it."""
    span = f"{r95.value:+.1f} EM, 95% [{r95.ci_low:+.1f}, {r95.ci_high:+.1f}], 90% [{r90.ci_low:+.1f}, {r90.ci_high:+.1f}], {r95.n} tasks"
    if abs(paper) <= MARGIN:
        if -MARGIN <= r90.ci_low and r90.ci_high <= MARGIN:
            return "consistent", f"{name} = {span}: equivalent within +-{MARGIN:g} EM, as the paper reports (~{paper:g})."
        if r95.ci_low > MARGIN or r95.ci_high < -MARGIN:
            return "inconsistent", f"{name} = {span}: outside +-{MARGIN:g} EM; the paper reports ~{paper:g}."
        return "inconclusive", f"{name} = {span}: neither equivalent within +-{MARGIN:g} nor clearly different."
    half = paper / 2
    if r95.ci_low > half:
        return "consistent", f"{name} = {span}: a gain above half the paper's +{paper:g}."
    if r95.ci_high < half:
        return "inconsistent", f"{name} = {span}: below half the paper's +{paper:g}."
    return "inconclusive", f"{name} = {span}: the interval straddles half the paper's +{paper:g}."


def claim_verdicts(spec: ExperimentSpec, results: Sequence[Result]) -> list[ClaimVerdict]:
    """One verdict per claim test (primary: all held-out tasks at the test's n) plus the same
    test on LI and DR tasks and on new / pretraining wordings; every verdict is inconclusive when
    the DR check fails."""
    passed, check_text = check_passes(results)
    by_metric = {r.metric: r for r in results if r.condition == "compare"}
    verdicts = []
    for test in spec.claims:
        _, name, split, n = test.metric.split("/")
        if n == "nmax":
            sizes = [int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith(f"diff/{name}/{split}/n")]
            n = f"n{max(sizes)}" if sizes else n
        paper = DIFFERENCES[name][2]
        for group in (split, "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label"):
            r95 = by_metric.get(f"diff/{name}/{group}/{n}")
            r90 = by_metric.get(f"diff90/{name}/{group}/{n}")
            if r95 is None or r90 is None:
                continue
            verdict, reason = _difference_verdict(name, paper, r95, r90)
            if not passed:
                verdict, reason = "inconclusive", f"{check_text}: failed, so no verdict. ({reason})"
            details = {"claimed": paper, "value": r95.value, "ci_low": r95.ci_low, "ci_high": r95.ci_high}
            verdicts.append(ClaimVerdict(test.name, f"{group}/{n}", verdict, reason, group == split, details))
    return verdicts


FAMILY_TITLES = {
    "reader": "reader model (pretrained from scratch to read definitions)",
    "minilm": "frozen all-MiniLM-L6-v2 + trained head (a model that can only learn format)",
}


def _family(parameters: Mapping[str, ParameterValue] | None) -> str:
    return str((parameters or {}).get("family", "reader"))


def plot(spec: ExperimentSpec, results: Sequence[Result], path: str,
         parameters: Mapping[str, ParameterValue] | None = None) -> None:
    """EM against n per condition on all, LI and DR held-out tasks, with the random baseline and
    the untuned model as lines (matplotlib Agg, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = {(r.condition, r.metric): r for r in results}
    sizes = sorted({int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith("em/") and "/n" in r.metric})
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.2), dpi=100, sharey=True)
    for axis, split in zip(axes, ("all", "LI", "DR")):
        for condition in (*TUNING_CONDITIONS, "no_pretraining"):
            points = [values.get((condition, f"em/{split}/n{n}")) for n in sizes]
            if not any(points):
                continue
            style = "--" if condition == "no_pretraining" else "-"
            axis.plot([n for n, p in zip(sizes, points) if p], [p.value for p in points if p], style, marker="o",
                      label=condition, linewidth=1.5 if condition.startswith("original") else 1)
        for metric, colour in (("random/em", "black"), ("untuned/em", "grey"), ("constant/em", "brown")):
            baseline = values.get(("baselines", f"{metric}/{split}"))
            if baseline:
                axis.axhline(baseline.value, color=colour, linestyle=":", label=metric.split("/")[0])
        axis.set_xscale("log", base=2)
        axis.set_xticks(sizes, [str(n) for n in sizes])
        axis.set_title(f"held-out tasks: {split}")
        axis.set_xlabel("training instances per task (n)")
    axes[0].set_ylabel("exact match (%)")
    axes[-1].legend(fontsize=7, loc="lower right")
    figure.suptitle(f"Instruction tuning on the synthetic suite, {FAMILY_TITLES[_family(parameters)]}: EM vs n\n"
                    "(paper: untuned 12.78, tuned 43, random 42.6)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def report(spec: ExperimentSpec, results: Sequence[Result],
           parameters: Mapping[str, ParameterValue] | None = None) -> str:
    """The run's tables in Markdown: baselines, conditions x n by split, paired differences,
    the DR check and the verdicts, beside the paper's numbers."""
    family = _family(parameters)
    by = {(r.condition, r.metric): r for r in results}

    def cell(condition: str, metric: str, interval: bool = False) -> str:
        r = by.get((condition, metric))
        if r is None:
            return "–"
        return f"{r.value:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]" if interval else f"{r.value:.1f}"

    lines = [f"### {spec.title}", "", f"Model family: **{FAMILY_TITLES[family]}**.", "",
             f"Paper (T5-large, SuperNI zero-shot classification, low-resource): untuned {PAPER['untuned']}, "
             f"tuned {PAPER['tuned']:g}, random {PAPER['random']} EM. Ours: synthetic held-out tasks, EM %, 95% "
             "intervals by resampling tasks.", "",
             "| baseline | EM all | EM LI | EM DR | EM two-label | EM multi-label | compliance |",
             "|---|---|---|---|---|---|---|"]
    zero_shot = "zero-shot cosine, " if family == "minilm" else ""
    for label, prefix in ((f"untuned ({zero_shot}original + correct demos)", "untuned/"),
                          (f"untuned ({zero_shot}original, no demos)", "untuned_no_examples/"),
                          ("random", "random/"), ("constant", "constant/")):
        lines.append(f"| {label} | {cell('baselines', prefix + 'em/all', True)} | {cell('baselines', prefix + 'em/LI')} | "
                     f"{cell('baselines', prefix + 'em/DR')} | {cell('baselines', prefix + 'em/two_label')} | "
                     f"{cell('baselines', prefix + 'em/multi_label')} | {cell('baselines', prefix + 'compliance/all')} |")
    if ("baselines", "pretraining/accuracy/trained_attributes") in by:
        lines += ["", "Base model on fresh pretraining-format prompts: trained attributes "
                  f"{cell('baselines', 'pretraining/accuracy/trained_attributes', True)}, the attribute never asked "
                  f"{cell('baselines', 'pretraining/accuracy/held_out_attribute', True)}."]
    if ("baselines", "head/parameters") in by:
        lines += ["", f"Head: {by[('baselines', 'head/parameters')].value:,.0f} trainable parameters on frozen "
                  "MiniLM vectors of the definition, the demonstrations and the input."]
    lines += ["", "| condition | n | EM all | EM LI | EM DR | EM new wording | EM pretraining wording | EM unseen attribute "
              "| compliance | accuracy in space |", "|---|---|---|---|---|---|---|---|---|---|"]
    sizes = sorted({int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith("em/all/n")})
    for condition in (*TUNING_CONDITIONS, "no_pretraining"):
        for n in sizes:
            if (condition, f"em/all/n{n}") not in by:
                continue
            cells = [cell(condition, f"em/all/n{n}", True)] + [cell(condition, f"em/{s}/n{n}") for s in (
                "LI", "DR", "new_wording", "pretraining_wording", "unseen_attribute")]
            cells += [cell(condition, f"compliance/all/n{n}"), cell(condition, f"accuracy_in_space/all/n{n}")]
            lines.append(f"| {condition} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "| difference (paper) | n | all | LI | DR | new wording | pretraining wording | two-label | multi-label |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, (_, _, paper) in DIFFERENCES.items():
        for n in sizes:
            if ("compare", f"diff/{name}/all/n{n}") not in by:
                continue
            cells = [cell("compare", f"diff/{name}/{s}/n{n}", True) for s in (
                "all", "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label")]
            label = f"{name} ({paper:+g})" if not np.isnan(paper) else name
            lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    passed, text = check_passes(results)
    lines += ["", f"**Check before any verdict** — {text}: **{'passed' if passed else 'failed'}**.", "",
              "| claim test | group | verdict | reason |", "|---|---|---|---|"]
    for verdict in claim_verdicts(spec, results):
        lines.append(f"| {verdict.claim}{' (primary)' if verdict.primary else ''} | {verdict.condition} | "
                     f"{verdict.verdict} | {verdict.reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
