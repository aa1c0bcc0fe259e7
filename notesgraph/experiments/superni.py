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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from notesgraph.experiments.spec import ExperimentError

__all__ = ["CONDITIONS", "DEFINITIONS", "EXAMPLES", "MAX_LABELS", "MIN_LABEL_SHARE", "SPLITS",
           "SuperNIFormatError", "SuperNITask", "TaskScore", "bootstrap_interval", "classification_space",
           "condition_inputs", "constant_answer", "correct_examples", "delusive_examples",
           "empty_definition", "exact_match", "load_superni", "no_examples", "normalise_answer",
           "original_definition", "parse_condition", "random_baseline_scores", "score_task",
           "simplified_definition", "split_of", "summarise", "tk_instruct_prompt"]


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
