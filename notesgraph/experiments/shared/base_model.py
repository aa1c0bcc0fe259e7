"""The base model both replications build on: a reader pretrained on the sentence world (masked
words, or the first design's definition reading), cached beside the run folder under a key of
what shapes it, with the chunked training loop that pretrains and tunes it. Replication 1's
Context and replication 2's PromptBaseContext subclass BaseModelContext; neither imports the
other. Pretraining 2,000 steps takes ~4.5 min on 2 cores, so a cached base is reused and the
reusing run records whose it was."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.shared.heldout_suite import build_heldout_suite
from notesgraph.experiments.shared.instruction_tasks import (ATTRIBUTES, HELD_OUT_ATTRIBUTE, MAX_PROMPT_WORDS,
                                                             TaskSuite, build_suite, definition_words,
                                                             pretraining_prompt)
from notesgraph.experiments.spec import ParameterValue, Progress

__all__ = ["SUITE_SEED", "BaseModelContext", "n_values", "record_reuse", "train_chunks"]

SUITE_SEED = 0
"""The task suite and the pretraining are fixed; seeds vary the instruction tuning (which
instances, their order, the tuned model's updates)."""


def n_values(parameters: Mapping[str, ParameterValue]) -> list[int]:
    return [int(v) for v in str(parameters["n_values"]).split(",") if v.strip()]


class BaseModelContext:
    """The suite, the vocabulary and the base model every condition of a run shares."""

    def __init__(self, parameters: Mapping[str, ParameterValue], workdir: Path) -> None:
        import torch

        from notesgraph.experiments.shared.lexicon import vocabulary
        from notesgraph.experiments.shared.reader_model import Vocabulary

        torch.set_num_threads(int(parameters.get("threads", 2)))
        self.parameters = parameters
        self.workdir = workdir
        self.design = str(parameters.get("suite", "shared_pool"))
        self.objective = str(parameters.get("base_objective", "definitions"))
        build = build_heldout_suite if self.design == "heldout_families" else build_suite
        self.suite: TaskSuite = build(SUITE_SEED, int(parameters["train_tasks"]), int(parameters["held_out_tasks"]),
                                      max(n_values(parameters)), int(parameters["held_out_instances"]))
        self.vocab = Vocabulary(vocabulary(sorted(definition_words())))
        self.demonstrations = float(parameters.get("pretrain_demos", 0.0))

    def base_path(self) -> Path:
        """Where the pretrained base model is cached, keyed by the parameters that shape it (the
        demonstration share only when non-zero, so the first design's caches keep their names)."""
        keys = ("pretrain_steps", "pretrain_lr", "batch_size", "train_tasks", "held_out_tasks")
        key: dict[str, Any] = {k: self.parameters[k] for k in keys}
        key.update(self.base_key_extra())
        if self.demonstrations:
            key["pretrain_demos"] = self.demonstrations
        if self.objective != "definitions" or self.design != "shared_pool":  # the first design's caches keep names
            key.update(base_objective=self.objective, suite=self.design)
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()
                                + "|".join(self.vocab.words).encode()).hexdigest()[:16]
        return self.workdir.parent / "cache" / f"reader-base-{digest}.pt"

    def base_key_extra(self) -> dict[str, Any]:
        """What else shapes a subclass's base model (replication 2's relation statements)."""
        return {}

    def masked_example(self, rng: np.random.Generator, pool: Sequence[Any]) -> Any:
        """One masked-word pretraining text (world_corpus.masked_text; a subclass mixes in more)."""
        from notesgraph.experiments.shared.world_corpus import masked_text

        return masked_text(rng, pool, MAX_PROMPT_WORDS)

    def new_model(self, seed: int) -> Any:
        import torch

        from notesgraph.experiments.shared.reader_model import ModelConfig, ReaderModel

        torch.manual_seed(seed)
        return ReaderModel(ModelConfig(len(self.vocab), absent_prior=-4.0 if self.objective == "definitions" else 0.0))

    def _maker(self) -> dict[str, str]:
        from notesgraph.experiments.provenance import code_version

        return {"run": self.workdir.name, "folder": str(self.workdir), "commit": code_version()}

    def _record_reuse(self, path: Path) -> None:
        """A cached base model made by another run is that run's result: say so in this run's folder."""
        sidecar = path.with_suffix(".json")
        made_by = json.loads(sidecar.read_text(encoding="utf-8")).get("made_by", {}) if sidecar.exists() else {}
        if made_by.get("folder") != str(self.workdir):
            self.workdir.mkdir(parents=True, exist_ok=True)
            record_reuse(self.workdir, f"pretrained base model {path.name}", made_by)

    def pretraining_attributes(self) -> tuple[str, ...]:
        """The attributes the base model's pretraining supervises or describes (design check)."""
        from notesgraph.experiments.shared.world_corpus import supervised_attributes

        if self.objective == "masked_words":
            return supervised_attributes()
        return tuple(ATTRIBUTES)  # the first design's auxiliary heads predict every attribute

    def base_model(self) -> Iterator[Progress | Any]:
        """Yields Progress while pretraining (when no cached model exists), then the model."""
        import torch

        path = self.base_path()
        model = self.new_model(SUITE_SEED)
        if path.exists():
            model.load_state_dict(torch.load(path, weights_only=True))
            self._record_reuse(path)
            yield model
            return
        steps, batch = int(self.parameters["pretrain_steps"]), int(self.parameters["batch_size"])
        rng = np.random.default_rng([SUITE_SEED, 777])
        attributes = [a for a in ATTRIBUTES if a != HELD_OUT_ATTRIBUTE]
        pool = self.suite.pool

        masked = self.objective == "masked_words"

        def batches() -> Iterator[list[Any]]:
            while True:
                if masked:
                    yield [self.masked_example(rng, pool) for _ in range(batch)]
                else:
                    yield [pretraining_prompt(rng, pool, attributes, self.demonstrations) for _ in range(batch)]

        started = time.monotonic()
        loss = float("nan")
        for item in train_chunks(model, self.vocab, batches(), steps, float(self.parameters["pretrain_lr"]),
                                 not masked, "pretraining", masked=masked):
            if isinstance(item, Progress):
                yield item
            else:
                loss = item
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)
        path.with_suffix(".json").write_text(json.dumps({"seconds": time.monotonic() - started, "loss": loss,
                                                         "examples": steps * batch, "made_by": self._maker()}),
                                             encoding="utf-8")
        yield model


def record_reuse(workdir: Path, what: str, made_by: Mapping[str, Any]) -> None:
    """Add to the run folder's reused.json that this run reuses `what`, made by run
    `made_by["run"]` at commit `made_by["commit"]` (the run page shows the list)."""
    path = workdir / "reused.json"
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    entry = {"what": what, "run": str(made_by.get("run", "unknown")), "commit": str(made_by.get("commit", "unknown"))}
    if entry not in entries:
        path.write_text(json.dumps([*entries, entry], indent=1), encoding="utf-8")


def train_chunks(model: Any, vocab: Any, batches: Iterator[Sequence[Any]], steps: int, lr: float,
                 auxiliary: bool, label: str, chunk: int = 10, masked: bool = False) -> Iterator[Progress | float]:
    """Train for `steps` steps in chunks of `chunk`, yielding Progress between chunks (the
    runner's progress and cancellation checks), then the final mean loss."""
    from notesgraph.experiments.shared.reader_model import Trainer

    trainer = Trainer(model, lr, steps, auxiliary, masked=masked)
    done = 0
    while done < steps:
        count = min(chunk, steps - done)
        trainer.steps(vocab, batches, count)
        done += count
        yield Progress(done, steps, f"{label}: step {done}/{steps}, loss {trainer.recent_loss():.3f}")
    yield trainer.recent_loss()
