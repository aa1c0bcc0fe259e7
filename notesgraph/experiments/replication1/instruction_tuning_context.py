"""Replication 1's shared pieces: the condition grid, and the Context every condition of a run
shares (shared.base_model's suite, vocabulary and pretrained base model, plus the per-run score
folder and the frozen-MiniLM family's vector cache)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from notesgraph.experiments.shared.base_model import (SUITE_SEED, BaseModelContext, n_values, record_reuse,
                                                      train_chunks)
from notesgraph.experiments.spec import ParameterValue

__all__ = ["CONDITIONS", "DEFINITIONS", "EXAMPLES", "SUITE_SEED", "TUNING_CONDITIONS", "Context", "n_values",
           "record_reuse", "train_chunks"]

DEFINITIONS = ("original", "simplified", "empty")
EXAMPLES = ("correct", "delusive", "none")
TUNING_CONDITIONS = tuple(f"{d}+{e}" for d in DEFINITIONS for e in EXAMPLES)
CONDITIONS = ("baselines", *TUNING_CONDITIONS, "no_pretraining", "compare")


class Context(BaseModelContext):
    """The base model's context plus what replication 1's conditions keep per run folder."""

    def __init__(self, parameters: Mapping[str, ParameterValue], workdir: Path) -> None:
        super().__init__(parameters, workdir)
        self.scores = workdir / "scores"
        self.scores.mkdir(parents=True, exist_ok=True)
        self.family = str(parameters.get("family", "reader"))
        self._vectors: Any = None

    def vector_cache(self) -> Any:
        """The frozen-MiniLM family's text vectors, one cache per run folder."""
        if self._vectors is None:
            from notesgraph.experiments.replication1.minilm_family import VectorCache

            self._vectors = VectorCache(self.workdir / "minilm-vectors.npz", int(self.parameters.get("threads", 2)))
        return self._vectors
