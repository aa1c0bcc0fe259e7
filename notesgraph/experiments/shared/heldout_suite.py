"""Replication 1's held-out design (issue 16): held-out tasks that are held out.

The first design drew held-out tasks from the training families on one shared sentence pool, so
a third of them repeated a training task's label->value mapping on sentences seen in training.
Here whole *families* appear only among held-out tasks (tense and subject names, flipped
labels, true/false questions, and both families on HELD_OUT_ATTRIBUTE, an attribute no training
task and no pretraining text asks about), and held-out instances come from a sentence pool
disjoint from the one training tasks and pretraining draw on. `design_checks` measures this
on the suite a run actually uses; every run records its counts (all 0).

Pure functions of the seed; cost O(tasks x instances).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from notesgraph.experiments.shared.instruction_tasks import (HELD_OUT_ATTRIBUTE, SYMBOLS, Task, TaskSuite, make_task)
from notesgraph.experiments.shared.lexicon import sentence_pool

__all__ = ["HELD_OUT_FAMILIES", "TRAINING_FAMILIES", "build_heldout_suite", "design_checks"]

TRAINING_FAMILIES = ("topic_names", "sentiment_names", "yes_no", "symbols", "entailment")
HELD_OUT_FAMILIES = ("tense_names", "subject_names", "flipped_names", "true_false", "yes_no_unseen_attribute",
                     "symbols_unseen_attribute")
"""No family is in both lists; tense/subject names are LI, the rest DR."""
HELD_POOL_SEED = 7919
"""The held-out pool is generated from its own stream, then every sentence of the training pool is removed."""


def _held_pool(seed: int, size: int, seen: set[tuple[str, ...]]) -> tuple:
    fresh = sentence_pool(seed + HELD_POOL_SEED, size + len(seen) // 4)
    return tuple(s for s in fresh if s.words not in seen)[:size]


def build_heldout_suite(seed: int, train_tasks: int = 120, held_out_tasks: int = 48, train_instances: int = 48,
                        held_out_instances: int = 100, pool_size: int = 4000) -> TaskSuite:
    """Training tasks of TRAINING_FAMILIES on the training pool (pretraining wordings, symbols
    from the first half of SYMBOLS); held-out tasks of HELD_OUT_FAMILIES on the held-out pool,
    half in new wordings, symbols from the other half."""
    rng = np.random.default_rng([seed, 4243])
    pool = tuple(sentence_pool(seed, pool_size))
    held_pool = _held_pool(seed, pool_size, {s.words for s in pool})
    train_symbols, held_symbols = SYMBOLS[:50], SYMBOLS[50:]
    train = tuple(make_task(rng, pool, TRAINING_FAMILIES[i % len(TRAINING_FAMILIES)], "pretraining", train_instances,
                            i, train_symbols) for i in range(train_tasks))
    held: list[Task] = []
    for i in range(held_out_tasks):
        family = HELD_OUT_FAMILIES[i % len(HELD_OUT_FAMILIES)]
        wording = "new" if (i // len(HELD_OUT_FAMILIES)) % 2 == 0 else "pretraining"
        unseen = family.endswith("_unseen_attribute")
        task = make_task(rng, held_pool, family.removesuffix("_unseen_attribute"), wording, held_out_instances, i,
                         held_symbols, attribute=HELD_OUT_ATTRIBUTE if unseen else None)
        held.append(Task(**{**task.__dict__, "family": family}) if unseen else task)
    return TaskSuite(train, tuple(held), pool, held_pool)


def _mapping(task: Task) -> tuple[str, frozenset[tuple[str, str]]]:
    return task.attribute, frozenset(zip(task.labels, task.values))


def _sentences(tasks: Iterable[Task]) -> set[tuple[str, ...]]:
    return {words for task in tasks for words, _ in (*task.instances, *task.demonstrations)}


def design_checks(suite: TaskSuite, pretraining_attributes: Iterable[str]) -> dict[str, int]:
    """Counts that must be 0 for held-out to mean held out, measured on `suite`:
    held-out tasks with a training task's attribute and label->value mapping; held-out instances
    (and demonstrations) whose sentence a training task or pretraining uses; held-out attributes
    (those of the *_unseen_attribute families) that pretraining supervises or describes
    (`pretraining_attributes`) or a training task asks about; held-out families that training
    has too. `heldout_only_attributes` (must be >= 1) counts the held-out attributes."""
    train_mappings = {_mapping(t) for t in suite.train}
    seen = _sentences(suite.train) | {s.words for s in suite.pool}
    held_attributes = {t.attribute for t in suite.held_out if t.family.endswith("_unseen_attribute")}
    return {
        "heldout_tasks_sharing_training_mapping": sum(_mapping(t) in train_mappings for t in suite.held_out),
        "heldout_instances_seen_in_training": sum(words in seen for t in suite.held_out
                                                  for words, _ in (*t.instances, *t.demonstrations)),
        "heldout_attributes_supervised_in_pretraining": len(held_attributes & set(pretraining_attributes)),
        "heldout_attributes_asked_in_training": len(held_attributes & {t.attribute for t in suite.train}),
        "heldout_families_in_training": len({t.family for t in suite.held_out} & {t.family for t in suite.train}),
        "heldout_only_attributes": len(held_attributes),
    }
