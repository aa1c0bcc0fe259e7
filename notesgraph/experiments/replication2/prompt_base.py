"""Replication 2's base model (version 3): replication 1's masked-word pretraining over the world
(world_corpus.py) plus relation statements in which the instructive words carry their meaning
(relation_corpus.py), with a vocabulary that holds every template and target word of
replication 2 (the paper's she/he and B/C among them). Cached beside the run folder like
replication 1's base, under its own key (the relation share and the vocabulary are in it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.shared.instruction_tasks import MAX_PROMPT_WORDS, definition_words
from notesgraph.experiments.shared.base_model import BaseModelContext
from notesgraph.experiments.replication2.prompt_templates import TEMPLATE_WORDS
from notesgraph.experiments.replication2.relation_corpus import RELATION_SEED, RELATION_WORDS, relation_pairs, relation_text
from notesgraph.experiments.replication2.rte_lite import RtePair
from notesgraph.experiments.spec import ParameterValue

__all__ = ["PromptBaseContext"]


class PromptBaseContext(BaseModelContext):
    """The shared base model's context with replication 2's vocabulary and relation statements mixed into
    pretraining (a `pretrain_relations` share of the texts). `experiment_pairs` are the pairs
    the protocol trains and tests on: no statement mentions one of their sentences."""

    def __init__(self, parameters: Mapping[str, ParameterValue], workdir: Path,
                 experiment_pairs: Sequence[RtePair]) -> None:
        from notesgraph.experiments.shared.lexicon import vocabulary
        from notesgraph.experiments.shared.reader_model import Vocabulary

        super().__init__(parameters, workdir)
        self.vocab = Vocabulary(vocabulary(sorted(definition_words() | set(TEMPLATE_WORDS) | set(RELATION_WORDS))))
        self.relations = float(parameters["pretrain_relations"])
        self.relation_pool = relation_pairs(int(parameters["relation_pairs"]), experiment_pairs) \
            if self.relations else []

    def base_key_extra(self) -> dict[str, Any]:
        return {"relations": self.relations, "relation_seed": RELATION_SEED, "relation_pairs": len(self.relation_pool)}

    def masked_example(self, rng: np.random.Generator, pool: Sequence[Any]) -> Any:
        if self.relations and rng.random() < self.relations:
            return relation_text(rng, self.relation_pool, MAX_PROMPT_WORDS)
        return super().masked_example(rng, pool)
