"""Replication 1's second model family: frozen all-MiniLM-L6-v2 and a trained head.

The contrast the issue asks for, "a model that can only learn format": the sentence encoder is
frozen, so instruction tuning can only train a head on top of its vectors. A prompt is read in
three parts, each encoded once per run and cached (definition, demonstrations, input), and the
head scores every label of the answer vocabulary (instruction_tasks.LABEL_WORDS) through the
label's own MiniLM vector (so labels never seen as training targets can win), plus a *pointer*
part: learned weights for "this label fills a definition slot / a demonstration slot" (slots
come from the Prompt builder, never from searching the text) and for the cosine between the
label and the definition / demonstrations. The untuned baseline is zero-shot: the label whose
vector is closest to the whole prompt's (Tk-Instruct formatted, encoded in one piece).

Cost: one MiniLM pass per distinct text (~350 sentences/s, ~50 whole prompts/s on 2 cores) and
a few seconds of head training per (condition, n, seed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.shared.instruction_tasks import LABEL_WORDS, SEP, Prompt
from notesgraph.experiments.spec import Progress

__all__ = ["Features", "PromptParts", "VectorCache", "features", "head_parameters", "head_predictions",
           "label_vectors", "prompt_parts", "train_head", "untuned_predictions"]


@dataclass(frozen=True)
class PromptParts:
    """A Prompt as the texts MiniLM reads, with the labels in its definition / demonstration slots."""

    definition: str
    demonstrations: str
    input: str
    whole: str
    definition_labels: frozenset[str]
    demonstration_labels: frozenset[str]


def _sentence(words: Sequence[str]) -> str:
    return " ".join(words).replace(f" {SEP} ", " . ")


def prompt_parts(prompt: Prompt) -> PromptParts:
    """Split the reader's prompt (`[CLS] definition [EX] demo [ANS] label ... [IN] input [ANS]`)
    into the texts the frozen encoder reads; the whole prompt in Tk-Instruct's wording."""
    words = prompt.words
    first_marker = next(i for i, w in enumerate(words) if w in ("[EX]", "[IN]"))
    definition = " ".join(words[1:first_marker])
    demos: list[tuple[str, str]] = []
    position = first_marker
    while words[position] == "[EX]":
        answer = words.index("[ANS]", position)
        demos.append((_sentence(words[position + 1:answer]), words[answer + 1]))
        position = answer + 2
    sentence = _sentence(words[prompt.input_span[0]:prompt.input_span[1]])
    demonstrations = " ".join(f"Input: {x} Output: {y}." for x, y in demos)
    whole = (f"Definition: {definition}. "
             + "".join(f"Positive Example {i} - Input: {x} Output: {y}. " for i, (x, y) in enumerate(demos, 1))
             + f"Now complete the following example - Input: {sentence} Output:")
    definition_labels = frozenset(label for pos, label in prompt.slots if pos < first_marker)
    demonstration_labels = frozenset(label for pos, label in prompt.slots if pos > first_marker)
    return PromptParts(definition, demonstrations, sentence, whole, definition_labels, demonstration_labels)


class VectorCache:
    """MiniLM vectors of texts, kept in one .npz in the run folder so every condition (and a
    resumed run) encodes each distinct text once. The empty text is the zero vector."""

    def __init__(self, path: Path, threads: int) -> None:
        from notesgraph.embeddings import Encoder

        self.path = path
        self.encoder = Encoder(threads=threads)
        self.index: dict[str, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        if path.exists():
            with np.load(path) as data:
                self.matrix = data["vectors"]
                self.index = {t: i for i, t in enumerate(json.loads(str(data["texts"])))}

    def vectors(self, texts: Sequence[str], progress: str = "encoding") -> Iterator[Progress | np.ndarray]:
        """Yields Progress while encoding the texts not yet cached (in chunks), then their
        (len(texts), d) matrix."""
        missing = list(dict.fromkeys(t for t in texts if t and t not in self.index))
        chunk = 512
        for start in range(0, len(missing), chunk):
            part = missing[start:start + chunk]
            encoded = self.encoder.encode(part)
            if self.matrix.size == 0:
                self.matrix = np.zeros((0, encoded.shape[1]), dtype=np.float32)
            for offset, text in enumerate(part):
                self.index[text] = len(self.matrix) + offset
            self.matrix = np.concatenate([self.matrix, encoded])
            yield Progress(min(start + chunk, len(missing)), len(missing),
                           f"{progress}: {min(start + chunk, len(missing))}/{len(missing)} texts")
        if missing:
            self._save()
        out = np.zeros((len(texts), self.matrix.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = self.matrix[self.index[text]]
        yield out

    def _save(self) -> None:
        texts = [""] * len(self.index)
        for text, row in self.index.items():
            texts[row] = text
        temporary = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(temporary, vectors=self.matrix, texts=np.array(json.dumps(texts)))
        temporary.replace(self.path)


@dataclass
class Features:
    """What the head sees for a batch of prompts: part vectors and per-label slot flags."""

    definition: np.ndarray
    demonstrations: np.ndarray
    input: np.ndarray
    definition_slots: np.ndarray
    demonstration_slots: np.ndarray
    golds: list[str]


def features(cache: VectorCache, prompts: Sequence[Prompt], label: str) -> Iterator[Progress | Features]:
    """Encode (or look up) the three parts of every prompt; Progress while encoding."""
    parts = [prompt_parts(p) for p in prompts]
    matrices = []
    for name in ("definition", "demonstrations", "input"):
        for item in cache.vectors([getattr(p, name) for p in parts], f"{label}: encoding {name}"):
            if isinstance(item, Progress):
                yield item
            else:
                matrices.append(item)
    index = {w: i for i, w in enumerate(LABEL_WORDS)}
    slots = np.zeros((2, len(parts), len(LABEL_WORDS)), dtype=np.float32)
    for row, part in enumerate(parts):
        for label in part.definition_labels:
            slots[0, row, index[label]] = 1.0
        for label in part.demonstration_labels:
            slots[1, row, index[label]] = 1.0
    yield Features(*matrices, slots[0], slots[1], [p.gold for p in prompts])


def label_vectors(cache: VectorCache) -> Iterator[Progress | np.ndarray]:
    """The MiniLM vector of every label word (the answer vocabulary), in LABEL_WORDS order."""
    yield from cache.vectors(list(LABEL_WORDS), "encoding labels")


def untuned_predictions(cache: VectorCache, prompts: Sequence[Prompt], labels: np.ndarray,
                        label: str) -> Iterator[Progress | list[str]]:
    """Zero-shot: the label word whose vector is closest to the whole prompt's."""
    whole = None
    for item in cache.vectors([prompt_parts(p).whole for p in prompts], f"{label}: encoding whole prompts"):
        if isinstance(item, Progress):
            yield item
        else:
            whole = item
    best = (whole @ labels.T).argmax(axis=1)
    yield [LABEL_WORDS[int(i)] for i in best]


def _head(labels: np.ndarray, hidden: int) -> Any:
    import torch
    from torch import nn

    class FormatHead(nn.Module):
        """Query from [d, x, s, d*s, x*s] against the label vectors, plus slot and cosine terms."""

        def __init__(self) -> None:
            super().__init__()
            dim = labels.shape[1]
            self.mlp = nn.Sequential(nn.Linear(5 * dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
            self.register_buffer("labels", torch.from_numpy(labels))
            self.slot = nn.Parameter(torch.zeros(2))
            self.cosine = nn.Parameter(torch.zeros(2))
            self.scale = nn.Parameter(torch.tensor(10.0))

        def forward(self, d: torch.Tensor, x: torch.Tensor, s: torch.Tensor, def_slots: torch.Tensor,
                    demo_slots: torch.Tensor) -> torch.Tensor:
            query = self.mlp(torch.cat([d, x, s, d * s, x * s], dim=1))
            text = self.scale * (query @ self.labels.T)
            cosines = self.cosine[0] * (d @ self.labels.T) + self.cosine[1] * (x @ self.labels.T)
            return text + self.scale * cosines + self.slot[0] * def_slots + self.slot[1] * demo_slots

    return FormatHead()


def head_parameters(labels: np.ndarray, hidden: int) -> int:
    """Trainable parameters of the head (for the report)."""
    return sum(p.numel() for p in _head(labels, hidden).parameters())


def _tensors(batch: Features, rows: np.ndarray | slice) -> list[Any]:
    import torch

    return [torch.from_numpy(np.ascontiguousarray(a[rows])) for a in (
        batch.definition, batch.demonstrations, batch.input, batch.definition_slots, batch.demonstration_slots)]


def train_head(train: Features, labels: np.ndarray, seed: int, epochs: int, lr: float, batch_size: int,
               hidden: int, label: str) -> Iterator[Progress | Any]:
    """A fresh head trained by cross-entropy over the whole answer vocabulary; Progress per
    epoch, then the head."""
    import torch

    torch.manual_seed(seed)
    head = _head(labels, hidden)
    optimiser = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    index = {w: i for i, w in enumerate(LABEL_WORDS)}
    targets = torch.tensor([index[g] for g in train.golds])
    rng = np.random.default_rng([seed, 4711])
    for epoch in range(epochs):
        order = rng.permutation(len(targets))
        total = 0.0
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            loss = torch.nn.functional.cross_entropy(head(*_tensors(train, rows)), targets[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(rows)
        yield Progress(epoch + 1, epochs, f"{label}: head epoch {epoch + 1}/{epochs}, loss {total / len(order):.3f}")
    yield head


def head_predictions(head: Any, batch: Features) -> list[str]:
    """The label word each prompt's head scores highest."""
    import torch

    with torch.no_grad():
        best = head(*_tensors(batch, slice(None))).argmax(dim=1).numpy()
    return [LABEL_WORDS[int(i)] for i in best]

