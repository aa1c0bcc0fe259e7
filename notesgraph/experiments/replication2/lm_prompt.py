"""Replication 2's protocol on a pretrained causal LM: in context (GPT-3) or fine-tuned (GPU).

Two `PromptClassifier`s over a `causal_lm.LanguageModel`, both scoring by rank classification
(the option whose filled-in prompt is likeliest wins, as the paper scores T0 and GPT-3):

- `InContextPromptClassifier`: "fitting" puts the k labelled prompts, answers filled in, before
  each test prompt (the paper's GPT-3 experiments); nothing is trained, so one epoch is all.
- `FineTunedPromptClassifier`: all weights trained on the k prompts with the cross-entropy over
  the two options' log-probabilities (AdamW), reset between prompts; for a CUDA device. On the
  CPU it refuses models above `CPU_FINE_TUNE_LIMIT` parameters, with a time estimate
  (`fine_tune_estimate`): SmolLM2-135M takes ~30-90 s a step here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from notesgraph.experiments.shared.causal_lm import LanguageModel
from notesgraph.experiments.spec import ExperimentError

__all__ = ["ANSWER", "CPU_FINE_TUNE_LIMIT", "FineTunedPromptClassifier", "InContextPromptClassifier",
           "fine_tune_estimate"]

ANSWER = "[ANSWER]"
"""Where a template's target word goes; replaced by each option in turn."""
SEPARATOR = "\n\n"
"""Between in-context examples, and between the last one and the test prompt."""
CPU_FINE_TUNE_LIMIT = 20_000_000
"""Above this many parameters, fine-tuning on the CPU is refused (hours for one protocol)."""


def _options(prompt: str, targets: tuple[str, str]) -> list[str]:
    if prompt.count(ANSWER) != 1:
        raise ValueError(f"a prompt needs exactly one {ANSWER} slot: {prompt[:80]!r}")
    return [prompt.replace(ANSWER, word) for word in targets]


class InContextPromptClassifier:
    """k examples in the prompt, no training. `predict` scores 2 x len(prompts) texts after the
    examples (their keys/values computed once per call). Cost per call: the examples' tokens
    once, then every option's tokens."""

    mask_token = ANSWER

    def __init__(self, lm: LanguageModel, batch_size: int = 16) -> None:
        self.lm, self.batch_size = lm, batch_size
        self.context = ""

    def reset(self, seed: int) -> None:
        """No examples; the seed changes nothing (scoring is deterministic)."""
        self.context = ""

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        """The examples with their answers, in the given order, become the context; each of
        `epochs` (1 is all that makes sense) reports once."""
        self.context = "".join(_options(p, targets)[label] + SEPARATOR for p, label in zip(prompts, labels))
        for epoch in range(1, epochs + 1):
            if on_epoch is not None:
                on_epoch(epoch)

    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        """1 where the second option's text is likelier after the context, else 0. When every
        prompt ends at its slot (most templates), each prompt runs once and each target word
        after it (`score_options`, ~1.9x faster); else each filled-in text is scored whole."""
        if prompts and all(p.rstrip().endswith(ANSWER) and p.count(ANSWER) == 1 for p in prompts):
            queries = [p.rstrip()[: -len(ANSWER)].rstrip() for p in prompts]
            if all(queries):
                scores = self.lm.score_options(self.context, queries, [f" {w}" for w in targets], self.batch_size)
                return (scores[:, 1] > scores[:, 0]).astype(int)
        texts = [text for prompt in prompts for text in _options(prompt, targets)]
        scores = self.lm.score(self.context, texts, self.batch_size).reshape(-1, 2)
        return (scores[:, 1] > scores[:, 0]).astype(int)


def _option_logprobs(lm: LanguageModel, texts: Sequence[str]) -> Any:
    """A [len(texts)] tensor with gradients: each text's summed log-probability after the
    separator token (right-padded batch, padding ignored)."""
    import torch

    rows = [[lm.separator] + lm.tokens(t) for t in texts]
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [lm.pad] * (width - len(r)) for r in rows], device=lm.device)
    mask = torch.tensor([[1.0] * (len(r) - 1) + [0.0] * (width - len(r)) for r in rows], device=lm.device)
    logits = lm.model(ids).logits[:, :-1].float()
    picked = logits.gather(-1, ids[:, 1:, None])[..., 0] - torch.logsumexp(logits, dim=-1)
    return (picked * mask).sum(dim=1)


class FineTunedPromptClassifier:
    """All weights fine-tuned on the k prompts (AdamW, `learning_rate`, `batch_size`), the loss
    the cross-entropy over the two options' log-probabilities; `reset` restores the loaded
    weights from an in-memory copy. Memory: two copies of the weights plus AdamW's moments."""

    mask_token = ANSWER

    def __init__(self, lm: LanguageModel, learning_rate: float = 1e-5, batch_size: int = 4) -> None:
        import torch

        if lm.device == "cpu" and lm.parameters > CPU_FINE_TUNE_LIMIT:
            raise ExperimentError(f"fine-tuning {lm.label} ({lm.parameters / 1e6:.0f}M parameters) on the CPU is "
                                  "out of reach here; use lm_mode=in_context, or device=cuda on a GPU machine")
        self.lm, self.learning_rate, self.batch_size = lm, learning_rate, batch_size
        self._initial = {name: value.detach().clone() for name, value in lm.model.state_dict().items()}
        self._rng = np.random.default_rng(0)
        self._torch = torch

    def reset(self, seed: int) -> None:
        self.lm.model.load_state_dict(self._initial)
        self._torch.manual_seed(seed)
        self._rng = np.random.default_rng(seed)

    def fit(self, prompts: Sequence[str], labels: Sequence[int], targets: tuple[str, str], epochs: int,
            on_epoch: Callable[[int], None] | None = None) -> None:
        torch = self._torch
        optimiser = torch.optim.AdamW(self.lm.model.parameters(), lr=self.learning_rate)
        for epoch in range(1, epochs + 1):
            self.lm.model.train()
            order = self._rng.permutation(len(prompts))
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                texts = [text for i in batch for text in _options(prompts[i], targets)]
                scores = _option_logprobs(self.lm, texts).reshape(-1, 2)
                truth = torch.tensor([labels[i] for i in batch], dtype=torch.long, device=self.lm.device)
                loss = torch.nn.functional.cross_entropy(scores, truth)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            self.lm.model.eval()
            if on_epoch is not None:
                on_epoch(epoch)

    def predict(self, prompts: Sequence[str], targets: tuple[str, str]) -> np.ndarray:
        """Scored as in context with no examples: the fine-tuned weights alone decide."""
        return InContextPromptClassifier(self.lm).predict(prompts, targets)


def fine_tune_estimate(lm: LanguageModel, sample: Sequence[str], steps: int, batch_size: int) -> float:
    """Seconds that `steps` fine-tuning steps of `batch_size` prompts like `sample` would take
    here: a forward pass over the sample is timed, and a step is taken as three forward passes
    (forward + backward) over 2 x batch_size texts. An estimate to refuse with, not a promise."""
    import torch

    texts = list(sample[:8]) or ["an example sentence"]
    started = time.perf_counter()
    with torch.no_grad():
        _option_logprobs(lm, texts)
    per_text = (time.perf_counter() - started) / len(texts)
    return steps * 3 * 2 * batch_size * per_text
