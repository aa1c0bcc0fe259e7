"""Replication 2 at real scale: prompt-based fine-tuning of a local masked LM on a local RTE copy.

For users with weights on disk (an ALBERT or BERT folder as saved by transformers) and GLUE's RTE
TSV files: the same templates, target words, shots, protocol and statistics as the word-level
run, through transformers with `local_files_only=True` (nothing is downloaded). As in the paper
(and PET / LM-BFF before it), a template gets the tokenizer's mask token where the target word
goes, and the model is trained and scored on the logits of the two target words at that mask.

torch and transformers are imported inside the functions that need them, so importing this
module costs nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.shared.lexicon import ANIMALS
from notesgraph.experiments.replication2.prompt_protocol import CHECK_ATTRIBUTE, PromptExample

__all__ = ["ANIMAL_WORDS", "MaskedLMPromptClassifier", "RteFormatError", "load_rte", "load_rte_folder",
           "mentions_animal"]

ANIMAL_WORDS = frozenset(ANIMALS) | frozenset(
    f"{w}{s}" for w in ("animal", "dog", "cat", "horse", "bird", "rabbit", "cow", "fox", "goat", "duck", "pig",
                        "lion", "tiger", "elephant", "whale", "snake", "monkey", "shark", "dolphin", "rat",
                        "chicken", "insect", "bee", "bear", "sheep", "deer", "fish", "cattle", "mouse")
    for s in ("", "s")) | {"mice", "wolf", "wolves", "foxes", "geese", "goose", "bees", "fishes"}
"""Words that make a real premise count as mentioning an animal (a keyword heuristic, for the
template check on RTE; RTE-lite pairs carry the exact attribute)."""

_LABELS = {"entailment": True, "not_entailment": False, "0": True, "1": False}


class RteFormatError(ValueError):
    """An RTE file that cannot be read: the message names the file, the line and what to do."""


def mentions_animal(text: str) -> bool:
    """Whether `text` contains one of `ANIMAL_WORDS` (case-insensitive, whole words)."""
    return any(word in ANIMAL_WORDS for word in re.findall(r"[a-z]+", text.lower()))


def load_rte(path: str | Path) -> list[PromptExample]:
    """The labelled pairs of a GLUE RTE TSV file (columns index, sentence1, sentence2, label;
    labels entailment/not_entailment, or 0/1 as in the datasets library), each with the
    `mentions_animal` attribute by keyword. O(file size).

    Raises RteFormatError for a missing column, an unlabelled file (GLUE's test.tsv) or an
    unknown label; OSError when the file cannot be opened."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header is None:
            raise RteFormatError(f"{path}: the file is empty; expected GLUE RTE's header index, sentence1, "
                                 "sentence2, label")
        missing = [name for name in ("sentence1", "sentence2", "label") if name not in header]
        if missing:
            hint = " (GLUE's test.tsv has no labels: use train.tsv and dev.tsv)" if missing == ["label"] else ""
            raise RteFormatError(f"{path}, line 1: no column {', '.join(missing)} in the header{hint}")
        first, second, label_at = (header.index(n) for n in ("sentence1", "sentence2", "label"))
        examples: list[PromptExample] = []
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise RteFormatError(f"{path}, line {line}: {len(row)} fields where the header has "
                                     f"{len(header)}; the file must be tab-separated without quoting")
            label = row[label_at].strip()
            if label not in _LABELS:
                raise RteFormatError(f"{path}, line {line}: unknown label {label!r}; expected entailment or "
                                     "not_entailment")
            premise, hypothesis = row[first].strip(), row[second].strip()
            examples.append(PromptExample(premise, hypothesis, _LABELS[label],
                                          {CHECK_ATTRIBUTE: mentions_animal(premise)}))
    return examples


def load_rte_folder(folder: str | Path) -> tuple[list[PromptExample], list[PromptExample]]:
    """(train, dev) from a GLUE RTE folder: the few-shot blocks come from train.tsv and, as in
    the paper, accuracy is measured on dev.tsv (RTE's test labels are not public)."""
    folder = Path(folder)
    return load_rte(folder / "train.tsv"), load_rte(folder / "dev.tsv")


class MaskedLMPromptClassifier:
    """A `PromptClassifier` over a local masked LM (`AutoModelForMaskedLM`): the prompt's mask
    token is scored for the two target words; fine-tuning minimises the cross-entropy over those
    two logits (all weights trained, AdamW). `reset` restores the weights loaded from the folder
    from an in-memory copy, so each prompt starts from the same model. Memory: two copies of the
    weights (plus AdamW's two moments while fitting).

    A target word that the tokenizer splits is scored by its first piece (`split_targets` lists
    such words); pick single-piece targets for a faithful run."""

    def __init__(self, folder: str | Path, *, learning_rate: float = 1e-5, batch_size: int = 4,
                 eval_batch_size: int = 32, max_length: int = 256, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        self.folder = Path(folder)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        self.model: Any = AutoModelForMaskedLM.from_pretrained(self.folder, local_files_only=True).to(device)
        if self.tokenizer.mask_token is None:
            raise ValueError(f"{self.folder}: the tokenizer has no mask token; a masked LM folder is needed")
        self.mask_token: str = self.tokenizer.mask_token
        self.learning_rate, self.batch_size, self.eval_batch_size = learning_rate, batch_size, eval_batch_size
        self.max_length, self.device = max_length, device
        self.split_targets: set[str] = set()
        self._initial = {name: value.detach().clone() for name, value in self.model.state_dict().items()}
        self._rng = np.random.default_rng(0)
        self._torch = torch

    def reset(self, seed: int) -> None:
        """The weights as loaded; torch and the batch order seeded with `seed`."""
        self.model.load_state_dict(self._initial)
        self._torch.manual_seed(seed)
        self._rng = np.random.default_rng(seed)

    def _target_ids(self, targets: tuple[str, str]) -> list[int]:
        """The vocabulary id of each target word as it would follow a space."""
        ids = []
        for word in targets:
            pieces = [p for p in self.tokenizer.tokenize(" " + word) if p not in ("▁", "Ġ")]
            if not pieces:
                raise ValueError(f"the tokenizer of {self.folder} turns target word {word!r} into nothing")
            if len(pieces) > 1:
                self.split_targets.add(word)
            piece_id = int(self.tokenizer.convert_tokens_to_ids(pieces[0]))
            if piece_id == self.tokenizer.unk_token_id:
                raise ValueError(f"target word {word!r} is unknown to the tokenizer of {self.folder}; "
                                 "choose target sets whose words it knows")
            ids.append(piece_id)
        return ids

    def _target_logits(self, prompts: Sequence[str], target_ids: list[int]) -> Any:
        """A [len(prompts), 2] tensor: the target words' logits at each prompt's mask."""
        torch = self._torch
        encoded = self.tokenizer(list(prompts), padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt").to(self.device)
        at_mask = encoded["input_ids"] == self.tokenizer.mask_token_id
        counts = at_mask.sum(dim=1)
        if not bool(torch.all(counts == 1)):
            bad = int(torch.nonzero(counts != 1)[0, 0])
            raise ValueError(f"prompt {bad} has {int(counts[bad])} mask tokens after truncation to "
                             f"{self.max_length} tokens (exactly one is needed): {prompts[bad][:80]!r}")
        logits = self.model(**encoded).logits  # [batch, length, vocab]
        rows = torch.arange(len(prompts), device=logits.device)
        return logits[rows, at_mask.int().argmax(dim=1)][:, target_ids]

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        """`epochs` passes over the prompts in shuffled batches; `on_epoch(epoch)` after each."""
        torch = self._torch
        target_ids = self._target_ids(targets)
        optimiser = torch.optim.AdamW(self.model.parameters(), lr=self.learning_rate)
        truth = torch.tensor(list(labels), dtype=torch.long, device=self.device)
        for epoch in range(1, epochs + 1):
            self.model.train()
            order = self._rng.permutation(len(prompts))
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                logits = self._target_logits([prompts[i] for i in batch], target_ids)
                loss = torch.nn.functional.cross_entropy(logits, truth[torch.as_tensor(batch, device=self.device)])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            self.model.eval()
            if on_epoch is not None:
                on_epoch(epoch)

    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        """0 where the entailed word's logit at the mask is higher, else 1."""
        torch = self._torch
        target_ids = self._target_ids(targets)
        self.model.eval()
        chosen: list[np.ndarray] = []
        with torch.no_grad():
            for start in range(0, len(prompts), self.eval_batch_size):
                logits = self._target_logits(prompts[start:start + self.eval_batch_size], target_ids)
                chosen.append((logits[:, 1] > logits[:, 0]).long().cpu().numpy())
        return np.concatenate(chosen) if chosen else np.zeros(0, dtype=int)
