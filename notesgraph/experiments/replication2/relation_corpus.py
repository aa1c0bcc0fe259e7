"""Pretraining text in which replication 2's instructive words carry their meaning.

Replication 2 asks whether a model learns faster from a template that describes the task
("does this imply that ...") than from an irrelevant or misleading one. Its version 2 could not
find out: the instructive verbs (imply, infer, assume, definitely, follow, based) occurred in no
pretraining or tuning text, so their embeddings were untrained and a template's meaning could not
matter. Here the base model's masked-word pretraining also reads *relation statements* that use
those words truthfully about a premise and a hypothesis -- "the dog ate . this implies that an
animal ate", "from ... we can not infer that ..." -- built by RTE-lite's rules (rte_lite.py) from
pairs of their own seed, with no sentence shared with the experiment's pairs. They are
statements, never a question with an answer slot: the model can learn what "imply" means, not
the task's prompt format or its yes/no answers.

Pure functions of a numpy Generator; building the pair pool costs O(size) RTE-lite pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from notesgraph.experiments.replication2.rte_lite import RtePair, rte_lite_pairs
from notesgraph.experiments.shared.world_corpus import MaskedText, masked

__all__ = ["RELATION_FRAMES", "RELATION_SEED", "RELATION_WORDS", "relation_pairs", "relation_text",
           "shared_sentences"]

RELATION_FRAMES: tuple[tuple[str, str], ...] = (
    ("{P} . this implies that {H}", "{P} . this does not imply that {H}"),
    ("from {P} we can infer that {H}", "from {P} we can not infer that {H}"),
    ("given {P} we should assume that {H}", "given {P} we should not assume that {H}"),
    ("suppose {P} . then it is definitely true that {H}", "suppose {P} . then it is not definitely true that {H}"),
    ("{P} . it follows that {H}", "{P} . it does not follow that {H}"),
    ("based on {P} it is true that {H}", "based on {P} it is not true that {H}"),
)
"""(entailed, not entailed) statements: the instructive templates' words, used truthfully."""
RELATION_WORDS: tuple[str, ...] = tuple(sorted({w for pair in RELATION_FRAMES for frame in pair
                                                for w in frame.split() if w not in ("{P}", "{H}")}))
RELATION_SEED = 7001
"""The pair pool's RTE-lite seed: not the experiment's (0)."""


def shared_sentences(pairs: Iterable[RtePair], others: Iterable[RtePair]) -> int:
    """How many of `pairs` share a premise or hypothesis with any of `others` (a design check)."""
    taken = {s.words for p in others for s in (p.premise, p.hypothesis)}
    return sum(1 for p in pairs if p.premise.words in taken or p.hypothesis.words in taken)


def relation_pairs(size: int, exclude: Sequence[RtePair]) -> list[RtePair]:
    """RTE-lite pairs of RELATION_SEED without any sentence of `exclude` (the experiment's own
    pairs), so the statements never mention a sentence the protocol trains or tests on."""
    taken = {s.words for p in exclude for s in (p.premise, p.hypothesis)}
    return [p for p in rte_lite_pairs(RELATION_SEED, size)
            if p.premise.words not in taken and p.hypothesis.words not in taken]


def relation_text(rng: np.random.Generator, pairs: Sequence[RtePair], max_words: int) -> MaskedText:
    """One masked statement about a random pair in a random frame (MASK_RATE of its words, at
    least one, masked), as world_corpus.masked_text makes them."""
    pair = pairs[int(rng.integers(len(pairs)))]
    frame = RELATION_FRAMES[int(rng.integers(len(RELATION_FRAMES)))][0 if pair.entailed else 1]
    words: list[str] = []
    for token in frame.split():
        words += list(pair.premise.words) if token == "{P}" else list(pair.hypothesis.words) if token == "{H}" \
            else [token]
    return masked(rng, words, max_words)
