"""Replication 2: do models learn as fast from irrelevant or misleading templates? (Webson & Pavlick 2022)

Runs replication 2's protocol (prompt_protocol.py) on RTE-lite (rte_lite.py) with three models
of one shape, built from the shared base model (prompt_base.py: shared/base_model.py's masked-word
pretraining plus relation statements, cached beside the run folder):

- `M1`: the base model instruction-tuned on replication 1's training tasks with the
  entailment family left out (original definitions, correct demonstrations, `m1_n` instances
  per task) -- a stand-in for an instruction-tuned model;
- `M1_no_yes_no`: the same without any task whose labels are yes/no (pretraining still saw
  yes/no as per-example labels of random polarity);
- `M0`: the same architecture untrained (a lower bound; no zero-shot runs).

Each condition saves its run records as JSON in the run folder; `claim_verdicts` rebuilds the
protocol result from them and gives the three verdicts per model (M1 primary). Results are
medians per template category and per target-word kind at each k (95% bootstrap interval over
runs), the Kruskal-Wallis and Dunn p-values, and the template check. Cost: dominated by the
fine-tuning runs, `prompt_protocol.run_count`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.replication2 import prompt_protocol as protocol
from notesgraph.experiments.replication2.prompt_templates import CATEGORIES, TARGET_KINDS
from notesgraph.experiments.spec import ClaimVerdict, ExperimentSpec, ParameterValue, Progress, Result

MODELS = ("M1", "M1_no_yes_no", "M0")
CLAIM_NAMES = {protocol.CLAIMS[0]: "instructive_vs_irrelevant", protocol.CLAIMS[1]: "targets_vs_templates",
               protocol.CLAIMS[2]: "yes_no_vs_arbitrary"}
"""The protocol's verdict names -> this experiment's claim test names."""
SAMPLED_DESIGN = protocol.PromptDesign(
    sweep_templates=protocol.DEFAULT_DESIGN.sweep_templates, sweep_targets="yes_no",
    target_sets=protocol.DEFAULT_DESIGN.target_sets, target_templates=("inst_imply",),
    check_templates=("inst_imply",))
"""34 prompts: every template with yes/no, every target set with one instructive template."""
DESIGNS = {"full": protocol.DEFAULT_DESIGN, "sampled": SAMPLED_DESIGN, "quick": protocol.QUICK_DESIGN}


def _shots(parameters: Mapping[str, ParameterValue]) -> tuple[int, ...]:
    return tuple(int(v) for v in str(parameters["shots"]).split(",") if v.strip())


def _base_parameters(parameters: Mapping[str, ParameterValue]) -> dict[str, ParameterValue]:
    """What shared.base_model's context reads: this run's pretraining parameters, and the held-out
    suite design (its sentence pool is what the base model is pretrained on)."""
    values = {key: parameters[key] for key in ("pretrain_steps", "pretrain_lr", "batch_size", "train_tasks",
                                               "held_out_tasks", "pretrain_demos", "threads")}
    values["held_out_instances"] = 4
    values.update(suite="heldout_families", base_objective="masked_words",  # version 3: masked words + relations
                  pretrain_relations=parameters["pretrain_relations"], relation_pairs=parameters["relation_pairs"])
    values["n_values"] = str(parameters["m1_n"])
    return values


def build_model(name: str, parameters: Mapping[str, ParameterValue], workdir: Path,
                 experiment_pairs: Sequence[Any]) -> Iterator[Progress | Any]:
    """Progress while building, then (model, vocabulary). M1 variants are cached beside the base
    (prompt_base.py: masked words and relation statements, none about `experiment_pairs`)."""
    import torch

    from notesgraph.experiments.shared.instruction_tasks import build_suite, task_prompt
    from notesgraph.experiments.shared.base_model import train_chunks
    from notesgraph.experiments.replication2.prompt_base import PromptBaseContext
    from notesgraph.experiments.shared.reader_model import shuffled_batches

    context = PromptBaseContext(_base_parameters(parameters), workdir, experiment_pairs)
    if name == "M0":
        yield context.new_model(0), context.vocab
        return
    base = None
    for item in context.base_model():
        if isinstance(item, Progress):
            yield item
        else:
            base = item
    n, epochs = int(parameters["m1_n"]), int(parameters["m1_epochs"])
    key = json.dumps({"base": context.base_path().name, "name": name, "n": n, "epochs": epochs,
                      "lr": parameters["m1_lr"]}, sort_keys=True)
    path = context.base_path().parent / f"reader-{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
    model = copy.deepcopy(base)
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        yield model, context.vocab
        return
    suite = build_suite(0, int(parameters["train_tasks"]), 8, n, 4, entailment=False)
    tasks = [t for t in suite.train if name == "M1" or not {"yes", "no"} & set(t.labels)]
    rng = np.random.default_rng([0, n, 99])
    prompts = [task_prompt(t, *t.instances[int(i)], "original", "correct")
               for t in tasks for i in rng.choice(len(t.instances), size=min(n, len(t.instances)), replace=False)]
    batch = int(parameters["batch_size"])
    batches = shuffled_batches(prompts, batch, np.random.default_rng([0, 7]))
    steps = max(1, len(prompts) * epochs // batch)
    for item in train_chunks(model, context.vocab, batches, steps, float(parameters["m1_lr"]), False,
                             f"building {name} ({len(tasks)} tasks)"):
        if isinstance(item, Progress):
            yield item
    torch.save(model.state_dict(), path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    yield model, context.vocab


def _config(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int]) -> protocol.ProtocolConfig:
    design = DESIGNS[str(parameters["design" if condition == "M1" else "secondary_design"])]
    shots = _shots(parameters)
    official = str(parameters["schedule"]) == "official"
    return protocol.ProtocolConfig(shots=shots, seeds=tuple(seeds), epochs=int(parameters["epochs"]), design=design,
                                   zero_shot=condition != "M0", check_shots=tuple(k for k in shots if k <= 4),
                                   check_items=int(parameters["test_pairs"]),
                                   epoch_budget=int(parameters["epoch_budget"]) if official else 0,
                                   checkpoints=int(parameters["checkpoints"]) if official else 0)


def run_condition(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int],
                  workdir: Path | None = None) -> Iterator[Progress | Result]:
    """One model through the protocol: Progress, then medians, tests and the check as Results."""
    from notesgraph.experiments.replication2.reader_prompt import ReaderPromptClassifier
    from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs, split_pairs

    workdir = Path(workdir) if workdir else Path.cwd() / "prompt-sensitivity-run"
    workdir.mkdir(parents=True, exist_ok=True)
    if str(parameters.get("backend", "synthetic")) == "hf_masked_lm":
        yield from _run_hf(condition, parameters, seeds, workdir)
        return
    if str(parameters.get("backend", "synthetic")) == "causal_lm":
        from notesgraph.experiments.replication2.lm_sensitivity import run_causal_lm

        yield from run_causal_lm(condition, parameters, seeds, workdir)
        return
    test_size = int(parameters["test_pairs"])
    pairs = rte_lite_pairs(0, int(parameters["train_pairs"]) + test_size)
    built = None
    for item in build_model(condition, parameters, workdir, pairs):
        if isinstance(item, Progress):
            yield Progress(item.step, item.total * 4, item.message)
        else:
            built = item
    model, vocab = built
    train, test = split_pairs(pairs, test_size, 0)
    config = _config(condition, parameters, seeds)
    classifier = ReaderPromptClassifier(model, vocab, float(parameters["lr"]), int(parameters["few_shot_batch"]))
    train_examples = protocol.examples_from_rte_lite(train)
    test_examples = protocol.examples_from_rte_lite(test)
    full = None
    for item in protocol.run_in_parts(classifier, train_examples, test_examples, config, condition):
        if isinstance(item, protocol.ProtocolResult):
            full = item
        else:
            done, total, message = item
            yield Progress(total + done * 3, total * 4, message)
    assert full is not None
    save_records(workdir, condition, full)
    yield from summary_results(condition, full)


def _run_hf(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int],
            workdir: Path) -> Iterator[Progress | Result]:
    """The real-scale path: the same protocol on a local masked LM folder and a local RTE copy
    (`model_dir`, `rte_dir`); only the `M1` condition (the model given) runs."""
    from notesgraph.experiments.replication2.hf_prompt import MaskedLMPromptClassifier, load_rte_folder
    from notesgraph.experiments.spec import ExperimentError

    if condition != "M1":
        return
    if not str(parameters["model_dir"]) or not str(parameters["rte_dir"]):
        raise ExperimentError("backend=hf_masked_lm needs --param model_dir=FOLDER and --param rte_dir=FOLDER")
    train, test = load_rte_folder(str(parameters["rte_dir"]))
    classifier = MaskedLMPromptClassifier(str(parameters["model_dir"]), learning_rate=float(parameters["lr"]),
                                          batch_size=int(parameters["few_shot_batch"]))
    config = _config(condition, parameters, seeds)
    updates: list[Progress] = []
    result = protocol.run_protocol(classifier, train, test[: int(parameters["test_pairs"])], config,
                                   lambda step, total, message: updates.append(Progress(step, total, message)))
    yield from updates[-1:]
    save_records(workdir, condition, result)
    yield from summary_results(condition, result)


def save_records(workdir: Path, condition: str, result: protocol.ProtocolResult) -> None:
    folder = workdir / "prompt_records"
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"config": {"shots": result.config.shots, "seeds": result.config.seeds, "epochs": result.config.epochs,
                          "design": asdict(result.config.design), "zero_shot": result.config.zero_shot,
                          "check_shots": result.config.check_shots, "check_items": result.config.check_items,
                          "epoch_budget": result.config.epoch_budget, "checkpoints": result.config.checkpoints},
               "records": [asdict(r) for r in result.records],
               "blocks": {str(s): {str(k): v for k, v in per.items()} for s, per in result.blocks.items()},
               "check_blocks": {str(s): {str(k): v for k, v in per.items()} for s, per in result.check_blocks.items()}}
    (folder / f"{condition}.json").write_text(json.dumps(payload), encoding="utf-8")


def load_records(workdir: Path, condition: str) -> protocol.ProtocolResult | None:
    path = workdir / "prompt_records" / f"{condition}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    c = data["config"]
    design = protocol.PromptDesign(**{k: tuple(v) if isinstance(v, list) else v for k, v in c["design"].items()})
    config = protocol.ProtocolConfig(tuple(c["shots"]), tuple(c["seeds"]), c["epochs"], design, c["zero_shot"],
                                     tuple(c["check_shots"]), c["check_items"], c.get("epoch_budget", 0),
                                     c.get("checkpoints", 0))
    records = tuple(protocol.RunRecord(**{**r, "epoch_accuracies": tuple(r["epoch_accuracies"])})
                    for r in data["records"])
    unpack = lambda blocks: {int(s): {int(k): tuple(v) for k, v in per.items()} for s, per in blocks.items()}  # noqa: E731
    return protocol.ProtocolResult(config, records, unpack(data["blocks"]), unpack(data["check_blocks"]))


def _median_interval(values: Sequence[float], seed: int, resamples: int = 2000) -> tuple[float, float, float]:
    array = np.asarray(values, dtype=float)
    rng = np.random.default_rng([seed, array.size])
    medians = np.median(array[rng.integers(0, array.size, (resamples, array.size))], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(np.median(array)), float(low), float(high)


def summary_results(condition: str, result: protocol.ProtocolResult) -> list[Result]:
    """Medians (accuracy %, final and best epoch) per category and target kind at each k, the
    Kruskal-Wallis / Dunn p-values at each k, and the template check."""
    out: list[Result] = []
    design = result.config.design
    for metric in ("final", "best"):
        for grouping, groups, select in (
                ("category", CATEGORIES, lambda r: r.targets == design.sweep_targets and r.template in design.sweep_templates),
                ("target", TARGET_KINDS, lambda r: r.template in design.target_templates and r.targets in design.target_sets)):
            key = "category" if grouping == "category" else "target_kind"
            for k in result.config.shots:
                for group in groups:
                    values = [100 * r.accuracy(metric) for r in result.records
                              if r.task == "entailment" and r.shots == k and getattr(r, key) == group and select(r)]
                    if values:
                        value, low, high = _median_interval(values, k)
                        out.append(Result(condition, f"median_{metric}/{grouping}/{group}/k{k}", value, low, high,
                                          len(values)))
    for grouping, per_shot in (("category", protocol.category_statistics(result)),
                               ("target", protocol.target_kind_statistics(result))):
        for k, shot in per_shot.items():
            if shot.kruskal is not None:
                p = shot.kruskal.p_value
                out.append(Result(condition, f"kruskal_p/{grouping}/k{k}", p, p, p, shot.kruskal.n))
            pairs = (("instructive", "irrelevant"),) if grouping == "category" else (
                ("yes-no", "arbitrary"), ("yes-no", "reversed"))
            for first, second in pairs:
                found = shot.comparison(first, second)
                if found is not None:
                    out.append(Result(condition, f"dunn_p/{first}-{second}/k{k}", found.p_adjusted, found.p_adjusted,
                                      found.p_adjusted, sum(shot.counts.values())))
    check = protocol.template_check(result)
    for row in check.per_shot:
        out.append(Result(condition, f"check/animal_template/k{row.shots}", 100 * row.animal_accuracy,
                          100 * row.animal_accuracy, 100 * row.animal_accuracy, 0))
        out.append(Result(condition, f"check/entailment_template/k{row.shots}", 100 * row.entailment_accuracy,
                          100 * row.entailment_accuracy, 100 * row.entailment_accuracy, 0))
        out.append(Result(condition, f"check/p/k{row.shots}", row.p_value, row.p_value, row.p_value, 0))
    out.append(Result(condition, "check/passed", float(check.passed), float(check.passed), float(check.passed),
                      len(check.per_shot)))
    return out


def claim_verdicts(spec: ExperimentSpec, results: Sequence[Result], workdir: Path | None = None) -> list[ClaimVerdict]:
    """The protocol's three verdicts per model at k=32 (or the nearest k run), M1 primary."""
    verdicts: list[ClaimVerdict] = []
    if workdir is None:
        return verdicts
    for condition in MODELS:
        result = load_records(Path(workdir), condition)
        if result is None:
            continue
        for verdict in protocol.claim_verdicts(result, condition, shots=32, primary=condition == "M1"):
            verdicts.append(ClaimVerdict(CLAIM_NAMES[verdict.claim], verdict.condition, verdict.verdict,
                                         verdict.reason, verdict.primary, verdict.details))
    return verdicts


def plot(spec: ExperimentSpec, results: Sequence[Result], path: str) -> None:
    """Learning curves: median final accuracy vs k per template category and per target kind,
    one row per model (matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m for m in MODELS if any(r.condition == m for r in results)]
    figure, axes = plt.subplots(len(models), 2, figsize=(11, 3.4 * len(models)), dpi=100, squeeze=False)
    for row, model in enumerate(models):
        for column, (grouping, groups) in enumerate((("category", CATEGORIES), ("target", TARGET_KINDS))):
            axis = axes[row][column]
            for group in groups:
                points = sorted((int(r.metric.rsplit("/k", 1)[1]), r.value) for r in results
                                if r.condition == model and r.metric.startswith(f"median_final/{grouping}/{group}/k"))
                if points:
                    axis.plot([max(k, 0.5) for k, _ in points], [v for _, v in points], marker="o", label=group)
            axis.axhline(50, color="black", linestyle=":", linewidth=1)
            axis.set_xscale("log", base=2)
            axis.set_title(f"{model}: by template {grouping}" if grouping == "category" else f"{model}: by target words")
            axis.set_xlabel("shots k (0 drawn at 0.5)")
            axis.set_ylabel("median accuracy (%)")
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def report(spec: ExperimentSpec, results: Sequence[Result]) -> str:
    """Medians at the k the verdicts judge (32, else the nearest run) per template category and
    target kind beside the paper's figures (ALBERT fine-tuned at 32 shots, GPT-3 in context at 16,
    T0 3B zero-shot), the tests' p-values and the template check, per model (Markdown)."""
    by = {(r.condition, r.metric): r for r in results}
    models = [m for m in MODELS if any(r.condition == m for r in results)]
    shots = sorted({int(r.metric.rsplit("/k", 1)[1]) for r in results if r.metric.startswith("median_final/")})
    k = protocol.primary_shots(shots, 32) or 0
    papers = (protocol.PAPER_ALBERT_32, protocol.PAPER_GPT3_16, protocol.PAPER_T0_3B_ZERO_SHOT)
    lines = [f"### {spec.title}", "", f"Median accuracy (%) at k={k} (the k the verdicts judge: 32, else the nearest "
             "run), final epoch (best epoch in brackets), 95% interval of the median over runs; beside them the "
             "paper's medians on RTE: ALBERT prompt-fine-tuned at 32 shots, GPT-3 175B in context at 16 shots, "
             "T0 3B zero-shot (medians of its per-template table).", "",
             "| group | " + " | ".join(models) + " | paper: ALBERT, 32 | GPT-3, 16 in context | T0 3B, 0 |",
             "|---|" + "---|" * (len(models) + 3)]
    for grouping, groups in (("category", CATEGORIES), ("target", TARGET_KINDS)):
        for group in groups:
            cells = []
            for model in models:
                final, best = by.get((model, f"median_final/{grouping}/{group}/k{k}")), by.get(
                    (model, f"median_best/{grouping}/{group}/k{k}"))
                cells.append(f"{final.value:.1f} ({best.value:.1f}) [{final.ci_low:.1f}, {final.ci_high:.1f}]"
                             if final and best else "–")
            lines.append(f"| {grouping}: {group} | " + " | ".join(cells) + " | "
                         + " | ".join(paper.get(group, "") for paper in papers) + " |")
    lines += ["", "| p-value | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for metric in (f"kruskal_p/category/k{k}", f"kruskal_p/target/k{k}", f"dunn_p/instructive-irrelevant/k{k}",
                   f"dunn_p/yes-no-arbitrary/k{k}", f"dunn_p/yes-no-reversed/k{k}"):
        lines.append(f"| {metric} | " + " | ".join(
            f"{by[(m, metric)].value:.3g}" if (m, metric) in by else "–" for m in models) + " |")
    lines += ["", "| template check | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    checked = sorted({int(r.metric.rsplit("/k", 1)[1]) for r in results if r.metric.startswith("check/p/k")})
    for s in checked:  # the k <= 4 the check ran at (0 and 4, or 3 on the official grid)
        lines.append(f"| k={s}: animal template vs entailment template on animal labels (p) | " + " | ".join(
            f"{by[(m, f'check/animal_template/k{s}')].value:.1f} vs {by[(m, f'check/entailment_template/k{s}')].value:.1f}"
            f" (p={by[(m, f'check/p/k{s}')].value:.3g})" if (m, f"check/p/k{s}") in by else "–" for m in models) + " |")
    lines.append("| passed | " + " | ".join(
        ("yes" if by[(m, "check/passed")].value else "no") if (m, "check/passed") in by else "–" for m in models) + " |")
    return "\n".join(lines) + "\n"
