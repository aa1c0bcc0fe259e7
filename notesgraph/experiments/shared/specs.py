"""The parameters both replications' specs share (imports only `spec`: listing experiments stays light)."""

from __future__ import annotations

from notesgraph.experiments.spec import Parameter

__all__ = ["base_model_parameters"]


def base_model_parameters(whose: str, demonstrations: float) -> tuple[Parameter, ...]:
    """The parameters that key replication 1's cached pretrained base model: written once, so
    both replications that use it find the same cache file (shared.base_model.BaseModelContext.base_path).
    `demonstrations` is the default share of pretraining examples with demonstrations."""
    return (
        Parameter("pretrain_steps", 2000, 1, 100000, f"{whose}pretraining steps (batches) of the base model", quick=40),
        Parameter("pretrain_lr", 1e-3, 1e-6, 1.0, f"{whose}pretraining learning rate"),
        Parameter("batch_size", 64, 1, 4096, f"{whose}examples per step", quick=16),
        Parameter("train_tasks", 120, 8, 2000, f"{whose}instruction-tuning tasks", quick=16),
        Parameter("held_out_tasks", 48, 8, 1000, f"{whose}held-out tasks (evaluation)", quick=16),
        Parameter("pretrain_demos", demonstrations, 0.0, 1.0, f"{whose}share of pretraining examples that show two "
                  "demonstrations (a quarter of them relabelled); 0 is the first design, without any"),
    )
