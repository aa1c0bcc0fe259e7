"""A small word-level encoder that answers prompts by pointing at label slots or naming a label.

Replication 1's model, trained from scratch on 2 CPU cores. Three layers, d=128, 4 heads. A
label's score is the sum of a *text* score (the answer state against the label word's own
embedding, so a label that is not in the prompt can still win) and a *pointer* score (the answer
state against the states of the prompt positions that hold that label as a slot; positions come
from the prompt builder, never from searching for strings). Version 1's pretraining (kept for
replication 2) adds two auxiliary losses: predict the input sentence's attributes from its pooled
state, and from each definition slot's own state which attribute and class it stands for.
Replication 1's version 2 pretrains on masked words instead (`masked_loss`): the text head scores
every vocabulary word (`word_logits`), and an untuned model answers through it (`predict_words`).

Torch is imported by this module: import it only from a run worker. Training costs O(examples x
length^2 x d); ~350 examples/s at 58 tokens on 2 cores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notesgraph.experiments.shared.instruction_tasks import ATTRIBUTES, LABEL_WORDS, MAX_PROMPT_WORDS, Prompt

__all__ = ["ModelConfig", "ReaderModel", "Trainer", "Vocabulary", "encode", "label_scores", "masked_loss", "predict",
           "predict_words", "shuffled_batches"]

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[EX]", "[ANS]", "[IN]", "[SEP]")
_MAX_CLASSES = max(len(v) for v in ATTRIBUTES.values()) + 1  # + "otherwise"


class Vocabulary:
    """Word <-> id; unknown words map to [UNK]. Label ids are the first words after the specials,
    so label index i is word id len(SPECIALS) + i."""

    def __init__(self, words: Sequence[str]) -> None:
        rest = sorted(set(words) - set(SPECIALS) - set(LABEL_WORDS))
        self.words = [*SPECIALS, *LABEL_WORDS, *rest]
        self.ids = {w: i for i, w in enumerate(self.words)}
        self.label_index = {w: i for i, w in enumerate(LABEL_WORDS)}

    def __len__(self) -> int:
        return len(self.words)

    def id(self, word: str) -> int:
        return self.ids.get(word, 1)


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    labels: int = len(LABEL_WORDS)
    dim: int = 128
    layers: int = 3
    heads: int = 4
    ff: int = 256
    max_length: int = MAX_PROMPT_WORDS
    absent_prior: float = -4.0
    """initial score of a label without a slot in the prompt: the first design's format prior
    (-4); 0 for a base model pretrained on masked words, which must learn the format in tuning"""


class ReaderModel(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.dim)
        self.position = nn.Embedding(config.max_length, config.dim)
        layer = nn.TransformerEncoderLayer(config.dim, config.heads, config.ff, 0.0, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.dim)
        self.query = nn.Linear(config.dim, config.dim)
        self.key = nn.Linear(config.dim, config.dim)
        self.text = nn.Linear(config.dim, config.dim)
        self.absent = nn.Parameter(torch.tensor(float(config.absent_prior)))
        self.sentence_heads = nn.ModuleList(nn.Linear(config.dim, len(v)) for v in ATTRIBUTES.values())
        self.slot_attribute = nn.Linear(config.dim, len(ATTRIBUTES))
        self.slot_class = nn.Linear(config.dim, _MAX_CLASSES)

    def states(self, ids: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.embed(ids) + self.position.weight[: ids.shape[1]]
        return self.norm(self.encoder(h, src_key_padding_mask=pad))

    def word_logits(self, h: torch.Tensor) -> torch.Tensor:
        """(..., vocabulary) scores of every word at each state: the masked-word head, whose
        label columns are label_logits' text score."""
        return self.text(h) @ self.embed.weight.T / math.sqrt(self.config.dim)

    def label_logits(self, h: torch.Tensor, answer: torch.Tensor, slot_labels: torch.Tensor) -> torch.Tensor:
        """(batch, labels): text score + pointer score (logsumexp over the label's slots, or a
        learned 'absent' score when the label has no slot in the prompt)."""
        state = h[torch.arange(h.shape[0]), answer]
        label_ids = torch.arange(self.config.labels, device=h.device) + len(SPECIALS)
        text = self.text(state) @ self.embed(label_ids).T / math.sqrt(self.config.dim)
        pointer = torch.einsum("bd,btd->bt", self.query(state), self.key(h)) / math.sqrt(self.config.dim)
        has = slot_labels >= 0
        onehot = F.one_hot(slot_labels.clamp(min=0), self.config.labels).bool() & has[..., None]
        masked = pointer[..., None].masked_fill(~onehot, float("-inf"))
        per_label = torch.logsumexp(masked, dim=1)
        present = onehot.any(dim=1)
        return text + torch.where(present, per_label, self.absent.expand_as(per_label))


@dataclass
class Batch:
    ids: torch.Tensor
    pad: torch.Tensor
    answer: torch.Tensor
    slot_labels: torch.Tensor
    gold: torch.Tensor
    input_mask: torch.Tensor
    sentence_targets: torch.Tensor
    slot_attribute: torch.Tensor
    slot_class: torch.Tensor


def encode(prompts: Sequence[Prompt], vocab: Vocabulary) -> Batch:
    """Pad a list of prompts into tensors (right padding; the answer position is each prompt's last)."""
    size, length = len(prompts), max(len(p.words) for p in prompts)
    ids = np.zeros((size, length), dtype=np.int64)
    slot_labels = np.full((size, length), -1, dtype=np.int64)
    input_mask = np.zeros((size, length), dtype=np.float32)
    sentence_targets = np.full((size, len(ATTRIBUTES)), -1, dtype=np.int64)
    slot_attribute = np.full((size, length), -1, dtype=np.int64)
    slot_class = np.full((size, length), -1, dtype=np.int64)
    answer = np.zeros(size, dtype=np.int64)
    gold = np.zeros(size, dtype=np.int64)
    for row, prompt in enumerate(prompts):
        ids[row, : len(prompt.words)] = [vocab.id(w) for w in prompt.words]
        answer[row] = len(prompt.words) - 1
        gold[row] = vocab.label_index[prompt.gold]
        for position, label in prompt.slots:
            slot_labels[row, position] = vocab.label_index[label]
        start, end = prompt.input_span
        input_mask[row, start:end] = 1.0 / max(end - start, 1)
        if prompt.sentence is not None:
            for column, (name, values) in enumerate(ATTRIBUTES.items()):
                sentence_targets[row, column] = values.index(prompt.sentence.attribute(name))
        for position, attribute, klass in prompt.slot_targets:
            slot_attribute[row, position] = attribute
            slot_class[row, position] = klass
    pad = ids == 0
    return Batch(*(torch.from_numpy(a) for a in (ids, pad, answer, slot_labels, gold, input_mask,
                                                  sentence_targets, slot_attribute, slot_class)))


def masked_loss(model: ReaderModel, texts: Sequence[Any], vocab: Vocabulary) -> torch.Tensor:
    """Cross-entropy of the masked words (world_corpus.MaskedText) over the whole vocabulary."""
    length = max(len(t.words) for t in texts)
    ids = np.zeros((len(texts), length), dtype=np.int64)
    rows, cols, targets = [], [], []
    for row, text in enumerate(texts):
        ids[row, : len(text.words)] = [vocab.id(w) for w in text.words]
        for position, word in text.targets:
            rows.append(row)
            cols.append(position)
            targets.append(vocab.id(word))
    tensor = torch.from_numpy(ids)
    h = model.states(tensor, tensor == 0)[torch.tensor(rows), torch.tensor(cols)]
    return F.cross_entropy(model.word_logits(h), torch.tensor(targets))


def _loss(model: ReaderModel, batch: Batch, auxiliary: bool) -> torch.Tensor:
    h = model.states(batch.ids, batch.pad)
    loss = F.cross_entropy(model.label_logits(h, batch.answer, batch.slot_labels), batch.gold)
    if auxiliary:
        pooled = torch.einsum("bt,btd->bd", batch.input_mask, h)
        for column, head in enumerate(model.sentence_heads):
            target = batch.sentence_targets[:, column]
            if (target >= 0).any():
                loss = loss + 0.3 * F.cross_entropy(head(pooled), target, ignore_index=-1)
        if (batch.slot_attribute >= 0).any():
            loss = loss + 0.5 * F.cross_entropy(model.slot_attribute(h).transpose(1, 2), batch.slot_attribute,
                                                ignore_index=-1)
            loss = loss + 0.5 * F.cross_entropy(model.slot_class(h).transpose(1, 2), batch.slot_class,
                                                ignore_index=-1)
    return loss


class Trainer:
    """AdamW with linear warm-up then cosine decay over `total` steps, driven in chunks so the
    caller can report progress (and notice a cancel) between them."""

    def __init__(self, model: ReaderModel, lr: float, total: int, auxiliary: bool = False, warmup: int = 50,
                 masked: bool = False, loss: Callable[[ReaderModel, Sequence[Any]], torch.Tensor] | None = None) -> None:
        self.model, self.total, self.auxiliary, self.masked = model, max(total, 1), auxiliary, masked
        self.loss = loss
        """a batch's loss other than the label head's or the masked words' (replication 2's target words)"""
        self.optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        warm = min(warmup, max(self.total // 5, 1))
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimiser,
            lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(s / self.total, 1.0))))
        self.losses: list[float] = []

    def steps(self, vocab: Vocabulary, batches: Iterator[Sequence[Prompt]], count: int) -> None:
        self.model.train()
        for _ in range(count):
            if self.loss is not None:
                loss = self.loss(self.model, next(batches))
            elif self.masked:
                loss = masked_loss(self.model, next(batches), vocab)
            else:
                loss = _loss(self.model, encode(next(batches), vocab), self.auxiliary)
            self.optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimiser.step()
            self.schedule.step()
            self.losses.append(loss.item())

    def recent_loss(self, window: int = 50) -> float:
        return float(np.mean(self.losses[-window:])) if self.losses else float("nan")


def shuffled_batches(items: Sequence[Prompt], size: int, rng: np.random.Generator,
                     keep_partial: bool = False) -> Iterator[list[Prompt]]:
    """Endless batches of `size` items, reshuffled each pass; a pass's short last batch is
    dropped unless `keep_partial` (or unless the items do not fill one batch). ValueError for no
    items or a size below 1, which would otherwise loop forever without yielding."""
    if not items:
        raise ValueError("no items to batch: the training set is empty")
    if size < 1:
        raise ValueError(f"batch size {size} is below 1")
    while True:
        order = rng.permutation(len(items))
        last = len(order) if keep_partial or len(order) < size else len(order) - size + 1
        for start in range(0, last, size):
            yield [items[int(i)] for i in order[start:start + size]]


@torch.no_grad()
def label_scores(model: ReaderModel, vocab: Vocabulary, prompts: Sequence[Prompt], batch_size: int = 256) -> np.ndarray:
    """(prompts, labels) scores of every label the model knows, in LABEL_WORDS order."""
    model.eval()
    out = np.empty((len(prompts), model.config.labels), dtype=np.float32)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i].words))  # less padding
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        batch = encode([prompts[i] for i in rows], vocab)
        logits = model.label_logits(model.states(batch.ids, batch.pad), batch.answer, batch.slot_labels)
        out[rows] = logits.numpy()
    return out


@torch.no_grad()
def predict_words(model: ReaderModel, vocab: Vocabulary, prompts: Sequence[Prompt], batch_size: int = 256) -> list[str]:
    """The word of the whole vocabulary the masked-word head guesses at each prompt's answer
    position: how a model pretrained only on masked words answers before any tuning."""
    model.eval()
    out: list[str] = [""] * len(prompts)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i].words))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        batch = encode([prompts[i] for i in rows], vocab)
        h = model.states(batch.ids, batch.pad)
        best = model.word_logits(h[torch.arange(len(rows)), batch.answer]).argmax(dim=1)
        for row, index in zip(rows, best.tolist()):
            out[row] = vocab.words[index]
    return out


def predict(model: ReaderModel, vocab: Vocabulary, prompts: Sequence[Prompt], batch_size: int = 256) -> list[str]:
    """The label word each prompt's answer scores highest (over every label the model knows)."""
    best = label_scores(model, vocab, prompts, batch_size).argmax(axis=1)
    return [LABEL_WORDS[int(i)] for i in best]
