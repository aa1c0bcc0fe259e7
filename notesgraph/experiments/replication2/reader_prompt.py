"""Replication 1's reader model as a `PromptClassifier` for replication 2's protocol.

A filled template (premise and hypothesis inline, no mask: this model answers at its final
[ANS] position) becomes `[CLS] words... [ANS]`; the two target words are scored by the
masked-word head at [ANS] -- as a masked LM (the paper's ALBERT) scores target words at its
mask -- so any word of the model's vocabulary can be a target (the label head's text score is
the same head restricted to replication 1's labels). Fine-tuning is cross-entropy over the two
target words' scores (prompt-based fine-tuning, PET-style). `reset` restores the weights the
classifier was built with (M1, M1 without yes/no, or the untrained M0).

Imports torch: use it only inside a run worker. Fine-tuning costs O(k x epochs) examples and
scoring O(test) forward passes per scored epoch.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from notesgraph.experiments.shared.reader_model import ReaderModel, Trainer, Vocabulary, shuffled_batches

__all__ = ["ReaderPromptClassifier"]


class ReaderPromptClassifier:
    """Few-shot prompt-based fine-tuning of a ReaderModel (see the module docstring)."""

    mask_token = ""
    """The template's mask slot is dropped: the answer is read at the end of the prompt."""

    def __init__(self, model: ReaderModel, vocab: Vocabulary, lr: float = 3e-4, batch_size: int = 8) -> None:
        self.model, self.vocab, self.lr, self.batch_size = model, vocab, lr, batch_size
        self.start = copy.deepcopy(model.state_dict())
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int) -> None:
        self.model.load_state_dict(self.start)
        torch.manual_seed(seed)
        self.rng = np.random.default_rng([seed, 515])

    def _targets(self, targets: tuple[str, str]) -> torch.Tensor:
        missing = [t for t in targets if t not in self.vocab.ids]
        if missing:
            raise ValueError(f"target words {missing} are not in the model's vocabulary")
        return torch.tensor([self.vocab.ids[targets[0]], self.vocab.ids[targets[1]]])

    def _pair_scores(self, texts: Sequence[str], pair: torch.Tensor) -> torch.Tensor:
        """(texts, 2) scores of the two target words at each prompt's [ANS]."""
        rows = [[self.vocab.id(w) for w in ("[CLS]", *text.split(), "[ANS]")] for text in texts]
        ids = torch.zeros((len(rows), max(len(r) for r in rows)), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
        answer = torch.tensor([len(r) - 1 for r in rows])
        h = self.model.states(ids, ids == 0)[torch.arange(len(rows)), answer]
        return self.model.word_logits(h)[:, pair]

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        pair = self._targets(targets)
        examples = list(zip(prompts, labels))
        size = min(self.batch_size, len(examples))
        per_epoch = -(-len(examples) // size)

        def loss(model: ReaderModel, batch: Sequence[tuple[str, int]]) -> torch.Tensor:
            return F.cross_entropy(self._pair_scores([text for text, _ in batch], pair),
                                   torch.tensor([label for _, label in batch]))

        trainer = Trainer(self.model, self.lr, per_epoch * epochs, warmup=1, loss=loss)
        stream = shuffled_batches(examples, size, self.rng, keep_partial=True)  # type: ignore[arg-type]
        for epoch in range(1, epochs + 1):
            trainer.steps(self.vocab, stream, per_epoch)
            if on_epoch:
                on_epoch(epoch)

    @torch.no_grad()
    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        pair = self._targets(targets)
        self.model.eval()
        scores = torch.cat([self._pair_scores(prompts[i:i + 256], pair) for i in range(0, len(prompts), 256)])
        return np.where((scores[:, 0] >= scores[:, 1]).numpy(), 0, 1)
