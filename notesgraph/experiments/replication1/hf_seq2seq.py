"""Kung & Peng (2023) at real scale: instruction-tune a local T5 / Flan-T5 on a local copy of
Super-NaturalInstructions under each condition, and evaluate exact match on held-out tasks.

This is the `backend=hf_seq2seq` path of issue 9, for a user with a GPU, a model folder and a
SuperNI checkout. Nothing here touches the network: models and tokenizers load with
`local_files_only=True` from a folder, so a missing folder is an error, never a download. torch
and transformers are imported inside functions, so importing this module costs nothing.

Runner conditions: "baselines" (the untuned model given original definitions and correct
demonstrations; random and constant answers), then the nine "<definition>+<examples>" conditions
of `superni.CONDITIONS`. Conditions change both the training prompts and the held-out prompts,
as in the paper. Only classification tasks (`superni.classification_space`) take part, since
simplified definitions and delusive examples exist only for them.

Cost: per condition, n and seed, `epochs x ceil(tasks x n / batch_size)` training steps plus
`ceil(held-out tasks x instances / batch_size)` generation batches. Finished pieces (the untuned
predictions, each condition/n/seed's predictions) are cached as JSON in `workdir/hf_seq2seq/`,
keyed by a hash of the settings that shape them, so a resumed run redoes only unfinished work.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

from notesgraph.experiments.replication1 import superni
from notesgraph.experiments.spec import ExperimentError, ParameterValue, Progress, Result
from notesgraph.experiments.replication1.superni import SuperNITask, TaskScore

__all__ = ["BASELINES", "CONDITIONS", "Settings", "UNTUNED_CONDITION", "classification_tasks", "generate",
           "load_model", "run_condition", "source_texts", "train", "training_sources"]

BASELINES = "baselines"
CONDITIONS: tuple[str, ...] = (BASELINES, *superni.CONDITIONS)
UNTUNED_CONDITION = "original+correct"
"""The untuned model sees Tk-Instruct's default prompt: the definition and two demonstrations."""
CACHE_VERSION = 1
"""Bump when a change here would change cached predictions."""
_OUTPUT_TAIL = "\nOutput:"


@dataclass(frozen=True)
class Settings:
    """The parameters this backend reads, checked. Required: model_dir, superni_dir, n_values,
    instances, epochs, lr, batch_size, max_tasks, max_source_length. The rest have defaults."""

    model_dir: str
    superni_dir: str
    n_values: tuple[int, ...]
    instances: int
    epochs: int
    lr: float
    batch_size: int
    max_tasks: int
    """at most this many training tasks (0: all)"""
    max_source_length: int
    max_target_length: int = 16
    """target tokens in training, and new tokens in generation"""
    demonstrations: int = 2
    train_split: str = "train_tasks.txt"
    test_split: str = "test_tasks.txt"
    device: str = "auto"
    """"auto" (cuda when available), "cpu", "cuda", "cuda:1", ..."""

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, ParameterValue]) -> Settings:
        """Settings from a run's parameters; ExperimentError naming what is missing or wrong."""
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        missing = [name for name in required if name not in parameters]
        if missing:
            raise ExperimentError(f"backend hf_seq2seq needs parameter(s) {', '.join(missing)}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in parameters:
                continue
            raw = parameters[f.name]
            try:
                if f.name == "n_values":
                    values[f.name] = tuple(int(part) for part in str(raw).replace(" ", "").split(",") if part)
                elif f.type in ("int", int):
                    values[f.name] = int(raw)
                elif f.type in ("float", float):
                    values[f.name] = float(raw)
                else:
                    values[f.name] = str(raw)
            except ValueError:
                raise ExperimentError(f"parameter {f.name}={raw!r} is not a valid {f.type}") from None
        settings = cls(**values)
        if not settings.n_values or min(settings.n_values) < 1:
            raise ExperimentError(f"parameter n_values={parameters['n_values']!r} must list positive integers, "
                                  "e.g. 4,16,48")
        for name in ("instances", "epochs", "batch_size", "max_source_length", "max_target_length"):
            if getattr(settings, name) < 1:
                raise ExperimentError(f"parameter {name} must be at least 1, got {getattr(settings, name)}")
        if not settings.model_dir.strip() or not settings.superni_dir.strip():
            raise ExperimentError("backend hf_seq2seq needs model_dir (a local T5 / Flan-T5 folder) and "
                                  "superni_dir (a local checkout of allenai/natural-instructions)")
        return settings

    def key(self, *extra: object, untuned: bool = False) -> str:
        """A short hash of what shapes one cached set of predictions, plus `extra`: the model
        folder's files (names, sizes, modification times), the data and evaluation settings and,
        unless `untuned`, the training settings. Not the device, and not n_values, so adding an n
        to a run reuses the others."""
        skip = {"device", "n_values"} | ({"epochs", "lr", "max_tasks", "train_split"} if untuned else set())
        shaping = {k: v for k, v in asdict(self).items() if k not in skip}
        text = json.dumps([CACHE_VERSION, shaping, _folder_stamp(self.model_dir), [str(e) for e in extra]],
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _folder_stamp(folder: str) -> list[tuple[str, int, int]]:
    """Name, size and mtime (ns) of each file directly in `folder`: new weights, new cache key."""
    try:
        return sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                      for entry in os.scandir(Path(folder).expanduser()) if entry.is_file())
    except OSError:
        return []


# -- data -----------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def classification_tasks(superni_dir: str, split: str, max_tasks: int = 0) -> tuple[SuperNITask, ...]:
    """The classification tasks of a split; with `max_tasks` > 0, that many chosen by a fixed
    shuffle (the same for every seed and condition). Cached in-process: the worker reads the
    JSON once for all ten conditions."""
    tasks = [task for task in superni.load_superni(superni_dir, split) if task.is_classification]
    if not tasks:
        raise ExperimentError(f"{superni_dir}: split {split} has no classification task (at most "
                              f"{superni.MAX_LABELS} distinct outputs, each at least {superni.MIN_LABEL_SHARE:.0%})")
    if max_tasks > 0 and len(tasks) > max_tasks:
        order = superni.task_rng("max_tasks").permutation(len(tasks))
        tasks = [tasks[i] for i in sorted(order[:max_tasks])]
    return tuple(tasks)


def training_sources(tokenizer: Any, tasks: Sequence[SuperNITask], condition: str, n: int, seed: int,
                     settings: Settings) -> tuple[list[str], list[str]]:
    """(prompts, targets) for `n` instances of each training task under `condition`. The
    instances are the first `n` of a per-(seed, task) permutation, so smaller n are subsets of
    larger ones; the target is the instance's first output."""
    sources: list[str] = []
    targets: list[str] = []
    for task in tasks:
        order = superni.task_rng(seed, task.name, "train").permutation(len(task.instances))[:n]
        chosen = [task.instances[int(i)] for i in order]
        sources += source_texts(tokenizer, task, condition, seed, [given for given, _ in chosen],
                                settings.max_source_length, settings.demonstrations)
        targets += [outputs[0] for _, outputs in chosen]
    return sources, targets


def source_texts(tokenizer: Any, task: SuperNITask, condition: str, seed: int, inputs: Sequence[str],
                 max_source_length: int, demonstrations: int = 2) -> list[str]:
    """The Tk-Instruct prompt of each input under `condition`, fitted to `max_source_length`
    tokens as Tk-Instruct does: drop demonstrations from the last while the prompt is too long,
    then cut the text and end it with "\\nOutput:" again, so the model always sees where to answer."""
    definition, examples = superni.condition_inputs(task, condition, seed, demonstrations)
    tail = len(tokenizer(_OUTPUT_TAIL, add_special_tokens=False)["input_ids"])
    texts = []
    for given in inputs:
        kept = list(examples)
        while True:
            text = superni.tk_instruct_prompt(definition, kept, given)
            ids = tokenizer(text)["input_ids"]
            if len(ids) <= max_source_length:
                break
            if not kept:
                body = tokenizer(text, add_special_tokens=False)["input_ids"]
                room = max(max_source_length - tail - 2, 1)  # leave room for special tokens
                text = tokenizer.decode(body[:room], skip_special_tokens=True) + _OUTPUT_TAIL
                break
            kept.pop()
        texts.append(text)
    return texts


# -- model ----------------------------------------------------------------------------------------

def load_model(model_dir: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """(tokenizer, model) from a local folder saved by `save_pretrained`, with
    `local_files_only=True`: never downloads. Raises ExperimentError naming the folder when it
    is missing, has no config.json, or transformers cannot load a seq2seq model from it."""
    path = Path(model_dir).expanduser()
    if not path.is_dir():
        raise ExperimentError(f"model_dir {path} does not exist; point it at a local T5 / Flan-T5 folder "
                              "(one saved with save_pretrained; nothing is downloaded)")
    if not (path / "config.json").is_file():
        raise ExperimentError(f"model_dir {path} has no config.json, so it is not a transformers model folder; "
                              "save one with model.save_pretrained(folder) and tokenizer.save_pretrained(folder)")
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ExperimentError(f"model_dir {path}: cannot load a tokenizer ({type(error).__name__}: {error}); "
                              "save it beside the model with tokenizer.save_pretrained") from None
    try:
        model = AutoModelForSeq2SeqLM.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ExperimentError(f"model_dir {path}: cannot load a sequence-to-sequence model "
                              f"({type(error).__name__}: {error}); it must be an encoder-decoder such as T5") from None
    if tokenizer.pad_token_id is None:
        raise ExperimentError(f"model_dir {path}: the tokenizer has no pad token; T5 tokenizers have <pad>")
    return tokenizer, model.to(_device(device))


def _device(name: str) -> str:
    if name != "auto":
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def train(tokenizer: Any, model: Any, sources: Sequence[str], targets: Sequence[str], settings: Settings,
          seed: int) -> Iterator[int]:
    """Fine-tune `model` in place on (source, target) pairs with AdamW: `settings.epochs` passes
    in a seeded order, batches of `settings.batch_size`. Yields after every batch (the count
    done), so a caller can report progress and stop."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    device = next(model.parameters()).device
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr)
    rng = np.random.default_rng(seed)
    model.train()
    done = 0
    for _ in range(settings.epochs):
        order = rng.permutation(len(sources))
        for start in range(0, len(order), settings.batch_size):
            chosen = order[start:start + settings.batch_size]
            batch = tokenizer([sources[i] for i in chosen], padding=True, truncation=True,
                              max_length=settings.max_source_length, return_tensors="pt").to(device)
            labels = tokenizer(text_target=[targets[i] for i in chosen], padding=True, truncation=True,
                               max_length=settings.max_target_length, return_tensors="pt")["input_ids"].to(device)
            labels[labels == tokenizer.pad_token_id] = -100
            loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels).loss
            loss.backward()
            optimiser.step()
            optimiser.zero_grad(set_to_none=True)
            done += 1
            yield done
    model.eval()


def generate(tokenizer: Any, model: Any, sources: Sequence[str], settings: Settings) -> Iterator[list[str]]:
    """Greedy answers to `sources`, one list per batch of `settings.batch_size` (so a caller
    can report progress between batches), at most `max_target_length` new tokens each."""
    import torch

    device = next(model.parameters()).device
    model.eval()
    for start in range(0, len(sources), settings.batch_size):
        batch = tokenizer(list(sources[start:start + settings.batch_size]), padding=True, truncation=True,
                          max_length=settings.max_source_length, return_tensors="pt").to(device)
        with torch.no_grad():
            output = model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                    max_new_tokens=settings.max_target_length, do_sample=False, num_beams=1)
        yield [text.strip() for text in tokenizer.batch_decode(output, skip_special_tokens=True)]


# -- caching ---------------------------------------------------------------------------------------

def _read_cache(path: Path) -> dict[str, list[str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {task: list(answers) for task, answers in data["predictions"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent or half-written: redo it


def _write_cache(path: Path, about: Mapping[str, Any], predictions: Mapping[str, list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"about": dict(about), "predictions": dict(predictions)}, indent=1),
                       encoding="utf-8")
    os.replace(partial, path)


# -- the runner's entry point ------------------------------------------------------------------------

def _evaluation_sources(tokenizer: Any, tasks: Sequence[SuperNITask], condition: str, seed: int,
                        settings: Settings) -> list[tuple[SuperNITask, list[str]]]:
    return [(task, source_texts(tokenizer, task, condition, seed,
                                [given for given, _ in task.instances[:settings.instances]],
                                settings.max_source_length, settings.demonstrations))
            for task in tasks]


def _predict(tokenizer: Any, model: Any, sources: Sequence[tuple[SuperNITask, list[str]]], settings: Settings,
             step: int, total: int, message: str) -> Iterator[Progress | dict[str, list[str]]]:
    """Progress after each generation batch, then {task name: answers}."""
    flat = [text for _, texts in sources for text in texts]
    answers: list[str] = []
    for batch in generate(tokenizer, model, flat, settings):
        answers.extend(batch)
        step += 1
        yield Progress(step, total, f"{message}: answered {len(answers)}/{len(flat)}")
    predictions, position = {}, 0
    for task, texts in sources:
        predictions[task.name] = answers[position:position + len(texts)]
        position += len(texts)
    yield predictions


def _scores(tasks: Sequence[SuperNITask], predictions: Mapping[str, list[str]], instances: int) -> list[TaskScore]:
    return [superni.score_task(task, predictions[task.name], task.instances[:instances]) for task in tasks]


def _results(condition: str, prefix: str, suffix: str, per_seed: Sequence[Sequence[TaskScore]],
             metrics: Sequence[str]) -> Iterator[Result]:
    """One Result per metric and split, named "<prefix><metric>/<split><suffix>"; a split with
    no task (or no defined value) gives no Result."""
    for metric in metrics:
        for split in superni.SPLITS:
            name = f"{prefix}{metric}/{split}{suffix}"
            value, low, high, n = superni.summarise(per_seed, metric, split, seed=zlib.crc32(f"{condition}/{name}".encode()))
            if n:
                yield Result(condition, name, value, low, high, n)


def run_condition(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int],
                  workdir: Path) -> Iterator[Progress | Result]:
    """Run one runner condition (`CONDITIONS`) and yield Progress often, then its Results.

    "baselines": untuned/{em,compliance,accuracy_in_space}/<split>, random/em/<split>,
    constant/em/<split>. A "<definition>+<examples>" condition: {em,compliance,
    accuracy_in_space}/<split>/n<n> for each n of `n_values`; each value is the mean over seeds
    of the task macro-average, with a 95% interval resampling held-out tasks. Splits: all,
    two_label, multi_label. Raises ExperimentError on an unknown condition or bad parameters.
    """
    if condition not in CONDITIONS:
        raise ExperimentError(f"hf_seq2seq has no condition {condition!r}; one of {', '.join(CONDITIONS)}")
    settings = Settings.from_parameters(parameters)
    seeds = list(seeds) or [0]
    cache = Path(workdir) / "hf_seq2seq"
    yield Progress(0, 1, "reading SuperNI")
    test_tasks = classification_tasks(settings.superni_dir, settings.test_split)
    evaluated = sum(min(len(t.instances), settings.instances) for t in test_tasks)
    eval_batches = math.ceil(evaluated / settings.batch_size)
    if condition == BASELINES:
        yield from _baselines(settings, test_tasks, seeds, cache, eval_batches)
        return
    train_tasks = classification_tasks(settings.superni_dir, settings.train_split, settings.max_tasks)
    per_run = [settings.epochs * math.ceil(sum(min(n, len(t.instances)) for t in train_tasks) / settings.batch_size)
               + eval_batches for n in settings.n_values]
    total, run_start = len(seeds) * sum(per_run), 0
    for n, run_steps in zip(settings.n_values, per_run):
        per_seed: list[list[TaskScore]] = []
        for seed in seeds:
            message = f"{condition} n={n} seed {seed}"
            path = cache / condition.replace("+", "_") / f"n{n}-seed{seed}-{settings.key(condition, n, seed)}.json"
            predictions = _read_cache(path)
            if predictions is None:
                tokenizer, model = load_model(settings.model_dir, settings.device)
                sources, targets = training_sources(tokenizer, train_tasks, condition, n, seed, settings)
                for done in train(tokenizer, model, sources, targets, settings, seed):
                    yield Progress(min(run_start + done, total), total, f"{message}: training batch {done}")
                trained = run_start + run_steps - eval_batches
                held_out = _evaluation_sources(tokenizer, test_tasks, condition, seed, settings)
                for item in _predict(tokenizer, model, held_out, settings, trained, total, message):
                    if isinstance(item, Progress):
                        yield item
                    else:
                        predictions = item
                _write_cache(path, {"condition": condition, "n": n, "seed": seed, "settings": asdict(settings)},
                             predictions)
                del model
            run_start += run_steps
            yield Progress(run_start, total, f"{message}: done")
            per_seed.append(_scores(test_tasks, predictions, settings.instances))
        yield from _results(condition, "", f"/n{n}", per_seed, ("em", "compliance", "accuracy_in_space"))


def _baselines(settings: Settings, test_tasks: Sequence[SuperNITask], seeds: Sequence[int], cache: Path,
               eval_batches: int) -> Iterator[Progress | Result]:
    path = cache / f"untuned-{settings.key('untuned', untuned=True)}.json"
    predictions = _read_cache(path)
    if predictions is None:
        tokenizer, model = load_model(settings.model_dir, settings.device)
        held_out = _evaluation_sources(tokenizer, test_tasks, UNTUNED_CONDITION, seeds[0], settings)
        for item in _predict(tokenizer, model, held_out, settings, 0, eval_batches, "untuned model"):
            if isinstance(item, Progress):
                yield item
            else:
                predictions = item
        _write_cache(path, {"condition": "untuned", "prompt": UNTUNED_CONDITION, "settings": asdict(settings)},
                     predictions)
    yield Progress(eval_batches, eval_batches, "baselines: untuned model done")
    untuned = [_scores(test_tasks, predictions, settings.instances)]
    yield from _results(BASELINES, "untuned/", "", untuned, ("em", "compliance", "accuracy_in_space"))
    random = [[superni.random_baseline_scores(task, settings.instances, seed) for task in test_tasks]
              for seed in seeds]
    yield from _results(BASELINES, "random/", "", random, ("em",))
    constant = [[superni.score_task(task, [superni.constant_answer(task)] * min(len(task.instances), settings.instances))
                 for task in test_tasks]]
    yield from _results(BASELINES, "constant/", "", constant, ("em",))
