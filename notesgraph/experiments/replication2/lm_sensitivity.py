"""Replication 2 with a pretrained causal LM (`backend=causal_lm`): SmolLM2 by default.

The protocol of `prompt_protocol` run on one model (condition `M1`; the synthetic backend's
other conditions are its own reader models and are skipped), on RTE-lite pairs, with
`lm_shots` examples in the prompt (in context, as the paper's GPT-3 runs) or fine-tuned
(`lm_mode=fine_tune`, for a CUDA device). Cost in context: per run, `lm_pairs` x 2 texts of
~20-30 tokens after the examples; ~300-500 tokens/s on 2 idle cores for SmolLM2-135M.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from notesgraph.experiments.replication2 import prompt_protocol as protocol
from notesgraph.experiments.spec import ExperimentError, ParameterValue, Progress, Result

__all__ = ["lm_config", "run_causal_lm"]


def lm_config(parameters: Mapping[str, ParameterValue], seeds: Sequence[int]) -> protocol.ProtocolConfig:
    """The protocol's sizes for the LM: one epoch in context (nothing is trained), the design
    and `lm_shots` of the parameters, the template check at k <= 4."""
    from notesgraph.experiments.replication2.prompt_sensitivity import DESIGNS

    shots = tuple(int(v) for v in str(parameters["lm_shots"]).split(",") if v.strip())
    in_context = str(parameters["lm_mode"]) == "in_context"
    return protocol.ProtocolConfig(shots=shots, seeds=tuple(seeds), epochs=1 if in_context else int(parameters["epochs"]),
                                   design=DESIGNS[str(parameters["design"])], zero_shot=True,
                                   check_shots=tuple(k for k in shots if k <= 4),
                                   check_items=int(parameters["lm_pairs"]))


def _steps(config: protocol.ProtocolConfig, batch: int) -> int:
    """Optimizer steps a fine-tuned protocol takes (for the refusal's time estimate)."""
    prompts = len(config.design.prompts()) + 1 + len(config.design.check_templates)
    return sum(len(config.seeds) * prompts * config.epochs * -(-k // batch) for k in config.shots if k > 0)


def _classifier(lm: object, parameters: Mapping[str, ParameterValue], config: protocol.ProtocolConfig,
                sample: Sequence[str]) -> object:
    from notesgraph.experiments.replication2.lm_prompt import (CPU_FINE_TUNE_LIMIT, FineTunedPromptClassifier,
                                                  InContextPromptClassifier, fine_tune_estimate)

    if str(parameters["lm_mode"]) == "in_context":
        return InContextPromptClassifier(lm, int(parameters["few_shot_batch"]) * 2)  # type: ignore[arg-type]
    batch = int(parameters["few_shot_batch"])
    if lm.device == "cpu" and lm.parameters > CPU_FINE_TUNE_LIMIT:  # type: ignore[attr-defined]
        steps = _steps(config, batch)
        seconds = fine_tune_estimate(lm, sample, steps, batch)  # type: ignore[arg-type]
        raise ExperimentError(
            f"fine-tuning {lm.label} ({lm.parameters / 1e6:.0f}M parameters) on the CPU would take about "  # type: ignore[attr-defined]
            f"{seconds / 3600:.1f} hours for this design ({steps} steps of {batch}); run it with "
            "--param device=cuda on a GPU machine, or use --param lm_mode=in_context here")
    return FineTunedPromptClassifier(lm, float(parameters["lr"]), batch)  # type: ignore[arg-type]


def run_causal_lm(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int],
                  workdir: Path) -> Iterator[Progress | Result]:
    """Progress, then the protocol's medians, tests and template check as Results (M1 only)."""
    from notesgraph.experiments.shared.causal_lm import load_language_model
    from notesgraph.experiments.replication2.prompt_sensitivity import save_records, summary_results
    from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs, split_pairs

    if condition != "M1":
        return
    config = lm_config(parameters, seeds)
    yield Progress(0, protocol.run_count(config) + 1, f"loading {parameters['lm']}")
    lm = load_language_model(str(parameters["lm"]), str(parameters["device"]), int(parameters["threads"]))
    test_size = int(parameters["lm_pairs"])
    train, test = split_pairs(rte_lite_pairs(0, int(parameters["train_pairs"]) + test_size), test_size, 0)
    train_examples, test_examples = protocol.examples_from_rte_lite(train), protocol.examples_from_rte_lite(test)
    sample = [t.fill(e.premise, e.hypothesis, "yes") for t, _ in config.design.prompts()[:1] for e in test_examples]
    classifier = _classifier(lm, parameters, config, sample)
    full = None
    for item in protocol.run_in_parts(classifier, train_examples, test_examples, config, lm.label):  # type: ignore[arg-type]
        if isinstance(item, protocol.ProtocolResult):
            full = item
        else:
            done, total, message = item
            yield Progress(1 + done, total + 1, message)
    assert full is not None
    save_records(workdir, condition, full)
    yield from summary_results(condition, full)
