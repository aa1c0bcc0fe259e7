"""A general pretraining objective for replication 1's base model: masked words over the world.

The first design pretrained the base model by supervised definition reading in the very prompt
format, so the untuned model already answered in the output space (100% compliance) and
instruction tuning had no format left to teach. Here the base model only learns the language of
its world, as a T5 does from text: it fills in masked words of (a) generated sentences,
(b) *statements* that say in words what holds of a sentence ("the dog ate the bread . the
sentence is about food"), and (c) free-text definitions ("answer yes if the sentence mentions
an animal , otherwise answer no"). No example has the prompt format ([IN], [EX], an answer
slot), no example is labelled, and statements and definitions never mention PRETRAINING_SILENT
attributes (HELD_OUT_ATTRIBUTE): `supervised_attributes` is what the design check reads.

A masked word becomes [ANS], the token at which a prompt asks for its answer, so the untuned
model's answer to a prompt is its guess for the missing word at [ANS] over the whole
vocabulary (reader_model.predict_words). Pure functions of a numpy Generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from notesgraph.experiments.shared.instruction_tasks import (ATTRIBUTES, BINARY_FRAMES, HELD_OUT_ATTRIBUTE, MULTI_FRAMES,
                                                      PREDICATES, PRETRAINING_WORDINGS, SYMBOLS)
from notesgraph.experiments.shared.lexicon import Sentence

__all__ = ["MASK", "MaskedText", "PRETRAINING_SILENT", "masked", "masked_text", "supervised_attributes"]

MASK = "[ANS]"
MASK_RATE = 0.15
PRETRAINING_SILENT = (HELD_OUT_ATTRIBUTE,)
"""Attributes no pretraining text says anything about."""
_LABELS = ("yes", "no", "true", "false", *SYMBOLS[:50])
"""Label words a pretraining definition may use: the training half of the symbols only."""


@dataclass(frozen=True)
class MaskedText:
    words: tuple[str, ...]
    """the text with masked words replaced by MASK, starting with [CLS]"""
    targets: tuple[tuple[int, str], ...]
    """(position, original word) of every masked word"""


def supervised_attributes() -> tuple[str, ...]:
    """The attributes pretraining texts describe (statements and definitions)."""
    return tuple(a for a in ATTRIBUTES if a not in PRETRAINING_SILENT)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


def _statement(rng: np.random.Generator, sentence: Sentence) -> list[str]:
    attribute = _pick(rng, supervised_attributes())
    value = sentence.attribute(attribute)
    options = PREDICATES.get((attribute, value))
    if options is None:  # a yes/no attribute whose value is no: say it does not hold
        predicate = _pick(rng, PREDICATES[(attribute, "yes")][:PRETRAINING_WORDINGS])
        return [*sentence.words, ".", "it", "is", "not", "true", "that", "the", "sentence", *predicate.split()]
    return [*sentence.words, ".", "the", "sentence", *_pick(rng, options[:PRETRAINING_WORDINGS]).split()]


def _definition(rng: np.random.Generator) -> list[str]:
    attribute = _pick(rng, supervised_attributes())
    values = [v for v in ATTRIBUTES[attribute] if (attribute, v) in PREDICATES]
    if len(values) == 1 or rng.random() < 0.5:
        a, b = (str(x) for x in rng.choice(_LABELS, 2, replace=False))
        predicate = _pick(rng, PREDICATES[(attribute, _pick(rng, values))][:PRETRAINING_WORDINGS])
        return _pick(rng, BINARY_FRAMES[:PRETRAINING_WORDINGS]).format(A=a, B=b, P=predicate).split()
    labels = list(values) if rng.random() < 0.5 else [str(x) for x in rng.choice(_LABELS, len(values), replace=False)]
    clauses = " , ".join(f"{label} if the sentence {_pick(rng, PREDICATES[(attribute, v)][:PRETRAINING_WORDINGS])}"
                         for label, v in zip(labels, values))
    return _pick(rng, MULTI_FRAMES[:PRETRAINING_WORDINGS]).format(C=clauses, L=" ".join(labels)).split()


def masked_text(rng: np.random.Generator, pool: Sequence[Sentence], max_words: int) -> MaskedText:
    """One pretraining example: a sentence (40%), a statement about one (30%) or a definition
    (30%), with MASK_RATE of its words (at least one) masked."""
    kind = rng.random()
    sentence = pool[int(rng.integers(len(pool)))]
    words = list(sentence.words) if kind < 0.4 else _statement(rng, sentence) if kind < 0.7 else _definition(rng)
    return masked(rng, words, max_words)


def masked(rng: np.random.Generator, words: Sequence[str], max_words: int) -> MaskedText:
    """`words` after [CLS], cut to `max_words`, with MASK_RATE of them (at least one) masked."""
    words = ["[CLS]", *words][:max_words]
    chosen = [i for i in range(1, len(words)) if rng.random() < MASK_RATE] or [1 + int(rng.integers(len(words) - 1))]
    targets = tuple((i, words[i]) for i in chosen)
    for i in chosen:
        words[i] = MASK
    return MaskedText(tuple(words), targets)
