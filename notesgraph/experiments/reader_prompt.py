"""Replication 1's reader model as a `PromptClassifier` for replication 2's protocol.

A filled template (premise and hypothesis inline, no mask: this model answers at its final
[ANS] position) becomes `[CLS] words... [ANS]`; the two target words are scored through their
text (the model's label head), as a masked LM scores target words at its mask. `reset` restores
the weights the classifier was built with (M1, M1 without yes/no, or the untrained M0).

Imports torch: use it only inside a run worker. Fine-tuning costs O(k x epochs) examples and
scoring O(test x epochs) forward passes per run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np
import torch

from notesgraph.experiments.instruction_tasks import LABEL_WORDS, Prompt
from notesgraph.experiments.reader_model import ReaderModel, Trainer, Vocabulary, label_scores, shuffled_batches

__all__ = ["ReaderPromptClassifier"]


class ReaderPromptClassifier:
    """Few-shot prompt-based fine-tuning of a ReaderModel (see the module docstring)."""

    mask_token = ""
    """The template's mask slot is dropped: the answer is read at the end of the prompt."""

    def __init__(self, model: ReaderModel, vocab: Vocabulary, lr: float = 3e-4, batch_size: int = 8) -> None:
        self.model, self.vocab, self.lr, self.batch_size = model, vocab, lr, batch_size
        self.start = copy.deepcopy(model.state_dict())
        self.index = {word: i for i, word in enumerate(LABEL_WORDS)}
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int) -> None:
        self.model.load_state_dict(self.start)
        torch.manual_seed(seed)
        self.rng = np.random.default_rng([seed, 515])

    def _prompts(self, texts: Sequence[str], golds: Sequence[str]) -> list[Prompt]:
        out = []
        for text, gold in zip(texts, golds):
            words = ("[CLS]", *text.split(), "[ANS]")
            out.append(Prompt(words, (), gold, (1, len(words) - 1)))
        return out

    def _targets(self, targets: tuple[str, str]) -> tuple[int, int]:
        missing = [t for t in targets if t not in self.index]
        if missing:
            raise ValueError(f"target words {missing} are not in the model's answer vocabulary")
        return self.index[targets[0]], self.index[targets[1]]

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        self._targets(targets)
        examples = self._prompts(prompts, [targets[label] for label in labels])
        size = min(self.batch_size, len(examples))
        per_epoch = -(-len(examples) // size)
        trainer = Trainer(self.model, self.lr, per_epoch * epochs, warmup=1)

        stream = shuffled_batches(examples, size, self.rng, keep_partial=True)
        for epoch in range(1, epochs + 1):
            trainer.steps(self.vocab, stream, per_epoch)
            if on_epoch:
                on_epoch(epoch)

    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        first, second = self._targets(targets)
        scores = label_scores(self.model, self.vocab, self._prompts(prompts, [targets[0]] * len(prompts)))
        return np.where(scores[:, first] >= scores[:, second], 0, 1)
