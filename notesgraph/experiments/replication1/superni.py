"""Super-NaturalInstructions as data: answer normalisation, exact match, the task files, the
Kung & Peng (2023) conditions, Tk-Instruct prompts and the task-level metrics.

Pure Python and numpy (no torch), so the synthetic pipeline and the hf_seq2seq backend share one
definition of exact match, of each condition and of each metric.

Conditions are named "<definition>+<examples>": definition in {original, simplified, empty},
examples in {correct, delusive, none}. Only classification tasks (a small output space, see
`classification_space`) have a simplified definition and delusive examples.
"""

from __future__ import annotations

import json
import string
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from notesgraph.experiments.spec import ExperimentError

__all__ = ["CONDITIONS", "DEFINITIONS", "EXAMPLES", "MAX_LABELS", "METRICS", "MIN_LABEL_SHARE", "SPLITS",
           "SuperNIFormatError", "SuperNITask", "TaskScore", "bootstrap_interval", "classification_space",
           "condition_inputs", "constant_answer", "correct_examples", "delusive_examples",
           "empty_definition", "exact_match", "load_superni", "no_examples", "normalise_answer",
           "original_definition", "parse_condition", "random_baseline_scores", "score_task",
           "simplified_definition", "split_of", "summarise", "task_rng", "tk_instruct_prompt"]


_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = frozenset({"a", "an", "the"})


def normalise_answer(text: str, *, remove_articles: bool = False) -> str:
    """`text` lowercased, ASCII punctuation removed, whitespace collapsed to single spaces.

    This is SuperNI's `normalize_answer` (eval/automatic/evaluation.py), which is SQuAD v1.1's
    "without removing the articles": keeping articles is what makes our numbers comparable with
    the paper's. `remove_articles=True` gives SQuAD's variant (drops the words a/an/the).
    O(len(text)).

    >>> normalise_answer("  The  Answer: Yes! ")
    'the answer yes'
    >>> normalise_answer("The answer", remove_articles=True)
    'answer'
    """
    kept = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    words = kept.split()
    if remove_articles:
        words = [word for word in words if word not in _ARTICLES]
    return " ".join(words)


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """1.0 when the normalised `prediction` equals any normalised reference, else 0.0 (SuperNI's
    `metric_max_over_ground_truths(exact_match, ...)`). No references scores 0.0.

    >>> exact_match("Positive.", ["positive", "pos"])
    1.0
    """
    answer = normalise_answer(prediction)
    return 1.0 if any(answer == normalise_answer(reference) for reference in references) else 0.0


# -- the task files -------------------------------------------------------------------------------

MAX_LABELS = 10
"""A classification task has at most this many distinct (normalised) first outputs ..."""
MIN_LABEL_SHARE = 0.02
"""... each the first output of at least this share of its instances, and at least two of them."""


class SuperNIFormatError(ExperimentError):
    """A SuperNI folder, split file or task file is missing or not in SuperNI's layout."""


@dataclass(frozen=True)
class SuperNITask:
    """One SuperNI task: its first definition, its positive examples as (input, output), its
    instances as (input, acceptable outputs), and its output space -- the distinct first outputs,
    sorted case-insensitively -- when it is a classification task, else ()."""

    name: str
    definition: str
    examples: tuple[tuple[str, str], ...]
    instances: tuple[tuple[str, tuple[str, ...]], ...]
    output_space: tuple[str, ...] = ()

    @property
    def is_classification(self) -> bool:
        return len(self.output_space) >= 2


def classification_space(first_outputs: Sequence[str]) -> tuple[str, ...]:
    """The output space when `first_outputs` (one per instance) look like a classification task,
    else (). The rule: 2..MAX_LABELS distinct answers after `normalise_answer`, each at least
    MIN_LABEL_SHARE of the instances. Answers equal after normalisation count once, written as
    their most frequent spelling. Sorted case-insensitively, so no order hints at frequency.

    >>> classification_space(["Yes", "no", "yes", "No.", "yes"])
    ('no', 'yes')
    """
    if not first_outputs:
        return ()
    spellings: dict[str, Counter[str]] = {}
    for output in first_outputs:
        spellings.setdefault(normalise_answer(output), Counter())[output.strip()] += 1
    total = len(first_outputs)
    if not 2 <= len(spellings) <= MAX_LABELS:
        return ()
    if any(sum(counts.values()) < MIN_LABEL_SHARE * total for counts in spellings.values()):
        return ()
    if "" in spellings:
        return ()
    labels = [counts.most_common(1)[0][0] for counts in spellings.values()]
    return tuple(sorted(labels, key=lambda label: (label.casefold(), label)))


def _split_path(folder: Path, split_file: str | Path) -> Path:
    candidate = Path(split_file)
    if candidate.is_absolute():
        return candidate
    direct = folder / candidate
    return direct if direct.exists() or candidate.parent != Path(".") else folder / "splits" / "default" / candidate


def _task_from_json(path: Path) -> SuperNITask:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuperNIFormatError(f"{path}: task file not found (the split names a task the tasks/ "
                                 "folder does not have; is this the full SuperNI checkout?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SuperNIFormatError(f"{path}: not valid JSON ({error}); re-download the file") from None
    if not isinstance(data, dict):
        raise SuperNIFormatError(f"{path}: expected a JSON object with Definition, Positive Examples and Instances")
    missing = [key for key in ("Definition", "Positive Examples", "Instances") if key not in data]
    if missing:
        raise SuperNIFormatError(f"{path}: missing key(s) {', '.join(missing)}; a SuperNI task file has "
                                 "Definition, Positive Examples and Instances")
    try:
        definitions = data["Definition"]
        definition = (definitions[0] if isinstance(definitions, list) else definitions).strip()
        examples = tuple((str(e["input"]).strip(), str(e["output"]).strip()) for e in data["Positive Examples"])
        instances = tuple((str(i["input"]).strip(),
                           tuple(str(o).strip() for o in (i["output"] if isinstance(i["output"], list) else [i["output"]])))
                          for i in data["Instances"])
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise SuperNIFormatError(f"{path}: malformed Definition, Positive Examples or Instances "
                                 f"({type(error).__name__}: {error}); each example needs input and output, "
                                 "each instance input and a list of outputs") from None
    instances = tuple(instance for instance in instances if instance[1])
    space = classification_space([outputs[0] for _, outputs in instances])
    return SuperNITask(path.stem, definition, examples, instances, space)


def load_superni(folder: str | Path, split_file: str | Path) -> list[SuperNITask]:
    """The tasks a split file names, read from `folder`/tasks/<name>.json, in the split's order.

    `split_file` is a path relative to `folder` ("splits/default/test_tasks.txt") or a bare name
    looked up in splits/default ("train_tasks.txt"). Instances with no output are dropped.
    Raises SuperNIFormatError naming the file when the folder, split or a task is missing or
    malformed. Costs one JSON parse per task, and holds every instance in memory (some tasks
    have thousands; pass a shorter split file to read less).
    """
    folder = Path(folder)
    if not (folder / "tasks").is_dir():
        raise SuperNIFormatError(f"{folder}: no tasks/ folder; point superni_dir at a checkout of "
                                 "github.com/allenai/natural-instructions")
    split = _split_path(folder, split_file)
    try:
        names = [line.strip() for line in split.read_text(encoding="utf-8").splitlines()]
    except OSError as error:
        raise SuperNIFormatError(f"{split}: cannot read the split file ({error.strerror})") from None
    names = [name.removesuffix(".json") for name in names if name and not name.startswith("#")]
    return [_task_from_json(folder / "tasks" / f"{name}.json") for name in names]


# -- conditions -----------------------------------------------------------------------------------

Examples = tuple[tuple[str, str], ...]


def original_definition(task: SuperNITask) -> str:
    """The task's own (first) definition."""
    return task.definition


def simplified_definition(task: SuperNITask) -> str:
    """Only the output space, as Kung & Peng's simplified definition: "Output one of: a, b.".

    >>> simplified_definition(SuperNITask("t", "d", (), (), ("no", "yes")))
    'Output one of: no, yes.'
    """
    _require_space(task, "a simplified definition")
    return f"Output one of: {', '.join(task.output_space)}."


def empty_definition(task: SuperNITask) -> str:
    """No definition at all (the prompt then has no "Definition:" line)."""
    return ""


def correct_examples(task: SuperNITask, rng: np.random.Generator, count: int = 2) -> Examples:
    """The task's first `count` positive examples, unchanged (Tk-Instruct's "def + 2 pos")."""
    return task.examples[:count]


def delusive_examples(task: SuperNITask, rng: np.random.Generator, count: int = 2) -> Examples:
    """The first `count` positive examples, each relabelled with a label from the output space
    that differs (after normalisation) from its true output, drawn uniformly by `rng`: a wrong
    input-output mapping in the right format. In a two-label task this is an inversion."""
    _require_space(task, "delusive examples")
    relabelled = []
    for given, output in task.examples[:count]:
        others = [label for label in task.output_space if normalise_answer(label) != normalise_answer(output)]
        relabelled.append((given, others[int(rng.integers(len(others)))]))
    return tuple(relabelled)


def no_examples(task: SuperNITask, rng: np.random.Generator, count: int = 2) -> Examples:
    """No demonstrations."""
    return ()


def _require_space(task: SuperNITask, what: str) -> None:
    if not task.is_classification:
        raise ExperimentError(f"task {task.name} is not a classification task (its outputs take more than "
                              f"{MAX_LABELS} values, or some are rarer than {MIN_LABEL_SHARE:.0%}), so it has no {what}")


DEFINITIONS: dict[str, Callable[[SuperNITask], str]] = {
    "original": original_definition, "simplified": simplified_definition, "empty": empty_definition}
EXAMPLES: dict[str, Callable[[SuperNITask, np.random.Generator, int], Examples]] = {
    "correct": correct_examples, "delusive": delusive_examples, "none": no_examples}
CONDITIONS: tuple[str, ...] = tuple(f"{d}+{e}" for d in DEFINITIONS for e in EXAMPLES)
"""The nine conditions, "original+correct" first."""


def parse_condition(condition: str) -> tuple[str, str]:
    """"simplified+delusive" -> ("simplified", "delusive"); ExperimentError naming the choices."""
    definition, plus, examples = condition.partition("+")
    if not plus or definition not in DEFINITIONS or examples not in EXAMPLES:
        raise ExperimentError(f"condition {condition!r} is not <definition>+<examples> with definition in "
                              f"{', '.join(DEFINITIONS)} and examples in {', '.join(EXAMPLES)}")
    return definition, examples


def task_rng(*parts: int | str) -> np.random.Generator:
    """A generator seeded from `parts` (strings through crc32), the same on every machine."""
    return np.random.default_rng([zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in parts])


def condition_inputs(task: SuperNITask, condition: str, seed: int, count: int = 2) -> tuple[str, Examples]:
    """The definition and demonstrations `task` shows under `condition`; delusive labels are
    drawn from a generator seeded by (seed, task name), so every instance of a task sees the
    same wrong demonstrations within a seed."""
    definition, examples = parse_condition(condition)
    return DEFINITIONS[definition](task), EXAMPLES[examples](task, task_rng(seed, task.name, "delusive"), count)


def _with_full_stop(text: str) -> str:
    return text if text and text[-1] in _PUNCTUATION else text + "."


def tk_instruct_prompt(definition: str, examples: Sequence[tuple[str, str]], input: str) -> str:
    """The source text in Tk-Instruct's format (its DataCollatorForNI, "def + pos" encoding):

        Definition: <definition>.

        Positive Example 1 -
        Input: <input>.
        Output: <output>.

        Now complete the following example -
        Input: <input>.
        Output:

    A full stop is added where a field does not end in punctuation, as Tk-Instruct does; an
    empty definition drops the Definition block. (Tk-Instruct also puts a space before
    "Positive Example" and "Output" inside examples; T5's tokenizer ignores it, so we do not.)

    >>> tk_instruct_prompt("", [], "hi")
    'Now complete the following example -\\nInput: hi.\\nOutput:'
    """
    parts = []
    if definition.strip():
        parts.append(f"Definition: {_with_full_stop(definition.strip())}\n\n")
    for number, (given, output) in enumerate(examples, start=1):
        parts.append(f"Positive Example {number} -\nInput: {_with_full_stop(given.strip())}\n"
                     f"Output: {_with_full_stop(output.strip())}\n\n")
    parts.append(f"Now complete the following example -\nInput: {_with_full_stop(input.strip())}\nOutput:")
    return "".join(parts)


# -- metrics --------------------------------------------------------------------------------------

SPLITS: tuple[str, ...] = ("all", "two_label", "multi_label")


def split_of(task: SuperNITask) -> str:
    """"two_label" for a two-label task (where a delusive mapping is just an inversion), else
    "multi_label"."""
    return "two_label" if len(task.output_space) == 2 else "multi_label"


@dataclass(frozen=True)
class TaskScore:
    """One task's scores, as fractions: exact match, compliance (answers whose normalised form is
    in the normalised output space), and exact match among compliant answers (nan when none)."""

    task: str
    split: str
    exact_match: float
    compliance: float
    accuracy_in_space: float
    instances: int


def score_task(task: SuperNITask, predictions: Sequence[str],
               instances: Sequence[tuple[str, Sequence[str]]] | None = None) -> TaskScore:
    """Scores of `predictions`, one per instance of `instances` (default: the task's first
    len(predictions) instances). O(instances x references)."""
    instances = task.instances[:len(predictions)] if instances is None else instances
    if len(instances) != len(predictions):
        raise ValueError(f"{task.name}: {len(predictions)} predictions for {len(instances)} instances")
    space = {normalise_answer(label) for label in task.output_space}
    correct = [exact_match(p, refs) for p, (_, refs) in zip(predictions, instances)]
    inside = [normalise_answer(p) in space for p in predictions]
    compliant = [c for c, i in zip(correct, inside) if i]
    count = max(len(predictions), 1)
    return TaskScore(task.name, split_of(task), sum(correct) / count, sum(inside) / count,
                     sum(compliant) / len(compliant) if compliant else float("nan"), len(predictions))


def constant_answer(task: SuperNITask) -> str:
    """The most frequent first output among all the task's instances (ties: first in the
    output space) -- an optimistic constant baseline, since it peeks at the label balance."""
    counts = Counter(normalise_answer(outputs[0]) for _, outputs in task.instances)
    return max(task.output_space, key=lambda label: (counts[normalise_answer(label)], -task.output_space.index(label)))


def random_baseline_scores(task: SuperNITask, instances: int, seed: int) -> TaskScore:
    """Scores of answering each of the first `instances` instances uniformly at random from the
    output space (seeded by seed and task name). Expected exact match: 1/|output space|."""
    chosen = task.instances[:instances]
    rng = task_rng(seed, task.name, "random")
    answers = [task.output_space[int(i)] for i in rng.integers(0, len(task.output_space), len(chosen))]
    return score_task(task, answers, chosen)


def bootstrap_interval(values: Sequence[float], seed: int = 0, resamples: int = 2000) -> tuple[float, float, float]:
    """(mean, 2.5th, 97.5th percentile) of the mean of `values` under resampling with
    replacement; nan values are dropped first, all-nan gives nans. O(resamples x len(values))."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = array[rng.integers(0, array.size, (resamples, array.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(array.mean()), float(low), float(high)


METRICS: dict[str, str] = {"em": "exact_match", "compliance": "compliance", "accuracy_in_space": "accuracy_in_space"}
"""Metric names in results -> TaskScore fields."""


def summarise(per_seed: Sequence[Sequence[TaskScore]], metric: str, split: str = "all",
              seed: int = 0) -> tuple[float, float, float, int]:
    """(value, ci_low, ci_high, n) in percent for `metric` (a METRICS key) on the tasks of
    `split`: each task's score is first averaged over seeds (`per_seed[s]` lists one seed's
    task scores), then macro-averaged over tasks, with a 95% bootstrap interval resampling tasks.
    n counts the tasks with a defined value (accuracy_in_space is undefined for a task that
    never answered inside its output space)."""
    if metric not in METRICS:
        raise ExperimentError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    by_task: dict[str, list[float]] = {}
    for scores in per_seed:
        for score in scores:
            if split == "all" or score.split == split:
                by_task.setdefault(score.task, []).append(getattr(score, METRICS[metric]))
    means = [float(np.nanmean(v)) if not np.all(np.isnan(v)) else float("nan") for v in by_task.values()]
    value, low, high = bootstrap_interval(means, seed)
    defined = sum(not np.isnan(m) for m in means)
    return 100 * value, 100 * low, 100 * high, defined

