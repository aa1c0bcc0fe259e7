"""A sentence-transformers folder run with transformers alone: the same vectors, a lighter start.

`import sentence_transformers` costs about 2.5x `import torch, transformers` (it pulls in
datasets, scikit-learn, PIL and more; see benchmarks/bench_embed.py `startup`). For the common
folder layout — a Transformer module, mean pooling, optional normalisation — this module
loads the tokenizer and the weights with transformers and pools the same way, so a
one-query `search --semantic` starts sooner and the vectors are those of
`SentenceTransformer.encode` (cosine >= 0.99999, tests/test_text_encoder.py). Any other
layout returns None and the caller uses sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_MODULE = "sentence_transformers.models."


def plain_layout(path: Path) -> dict[str, Any] | None:
    """The settings of a Transformer + mean Pooling (+ Normalize) folder, or None for any
    other layout (then sentence-transformers must load it)."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"].removeprefix(_MODULE) for m in modules]
        if types not in (["Transformer", "Pooling", "Normalize"], ["Transformer", "Pooling"]):
            return None
        if modules[0].get("path", "") != "":
            return None
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if modes != {"pooling_mode_mean_tokens"}:
            return None
        settings = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    if settings.get("do_lower_case"):
        return None
    return {"max_seq_length": int(settings.get("max_seq_length") or 256), "normalize": "Normalize" in types}


class PlainSentenceEncoder:
    """Mean-pooled transformer embeddings, as sentence-transformers computes them for a
    folder that `plain_layout` accepts. `encode` mirrors `SentenceTransformer.encode`'s
    arguments that notesgraph uses."""

    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.max_seq_length = layout["max_seq_length"]
        self.normalize = layout["normalize"]

    def encode(self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = True,
               **_: Any) -> np.ndarray:
        """(len(texts), d) float32; batches are formed by length (longest first), so a batch
        pads to little more than its own longest text."""
        import torch

        texts = list(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: np.ndarray | None = None
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chosen = order[start:start + batch_size]
                batch = self.tokenizer([texts[i] for i in chosen], padding=True, truncation="longest_first",
                                       max_length=self.max_seq_length, return_tensors="pt")
                tokens = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if self.normalize or normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                if out is None:
                    out = np.empty((len(texts), pooled.shape[1]), np.float32)
                out[chosen] = pooled.float().numpy()
        return out if out is not None else np.zeros((0, 0), np.float32)
