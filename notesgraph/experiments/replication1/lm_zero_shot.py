"""Replication 1 zero-shot with a pretrained causal LM (experiment `instruction_tuning_lm`).

The paper's question put to a real instruction-tuned model, with no tuning of ours: does the
definition's meaning move its answers beyond the output space? Every held-out task of the run's
suite (version 2: whole families, sentences and an attribute no training stage of ours saw) is
put to the LM under each of the nine conditions -- definition original / simplified (the output
space only) / empty x demonstrations correct / delusive / none -- as plain text ("Definition:
...", an "Input: ... / Output: label" pair per demonstration, then the instance), and answered by
rank classification over the task's output space (the label with the largest summed
log-probability after "Output:", as the papers score T0 and GPT-3). Every answer lies inside the
output space, so compliance is 100% and exact match is accuracy.

The suite is replication 1's (`instruction_tuning`'s parameters with this run's task counts), so
the tasks are those its reader family is scored on. Nothing is trained or sampled, so the model's
scores are one seed's: conditions score once and the random baseline uses the run's seed.
`compare` gives paired differences by task (original - simplified, original - empty, correct -
delusive, original - random, the demonstration signal) with hierarchical-bootstrap intervals over
families and tasks, and the TOST / difference p-values. They are not verdicts on the paper's
claims, which are about models tuned on the tasks (`claim_verdicts` gives none): the report gives
them as this model's answers, each beside the control that would license it (the DR check; the
demonstration signal).

Cost: per task and condition, one forward pass over the definition and demonstrations (their
keys/values cached), then each instance (~15-20 tokens) once and each label's 1-3 tokens after it,
in batches of 16 instances.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.experiments.shared.instruction_tasks import Task, definition_text, task_demonstrations
from notesgraph.experiments.spec import ParameterValue, Progress, Result

__all__ = ["LM_DIFFERENCES", "claim_verdicts", "lm_context", "lm_query", "plot", "report", "run_condition",
           "score_task", "suite_parameters"]

_MODELS: dict[tuple[str, str, int], Any] = {}
"""Loaded language models of this process: a run's nine conditions share one."""
LM_DIFFERENCES: dict[str, tuple[str, str, float]] = {
    "original-simplified": ("original+correct", "simplified+correct", 0.0),
    "original-simplified-no-demos": ("original+none", "simplified+none", 0.0),
    "original-empty": ("original+none", "empty+none", float("nan")),
    "correct-delusive": ("original+correct", "original+delusive", 0.0),
    "demonstration-signal": ("empty+correct", "empty+delusive", float("nan")),
    "tuned-random": ("original+correct", "random", float("nan")),
}
"""name -> (minuend, subtrahend, the value the paper's claim implies; nan: a contrast only).
`tuned-random` keeps the reader family's name so the DR check reads the same rows."""
CONTROLS = {"original-simplified": "DR check", "original-simplified-no-demos": "DR check",
            "correct-delusive": "demonstration signal"}


def lm_context(task: Task, definition: str, examples: str) -> str:
    """What precedes every instance of `task` under a condition: the definition and the
    demonstrations, as plain text ending in a blank line."""
    parts = []
    text = definition_text(task, definition)
    if text:
        parts.append(f"Definition: {text}\n\n")
    for words, label in task_demonstrations(task, examples):
        parts.append(f"{lm_query(words, label)}\n\n")
    return "".join(parts)


def lm_query(words: Sequence[str], label: str) -> str:
    return f"Input: {' '.join(words)}\nOutput: {label}"


def score_task(lm: Any, task: Task, definition: str, examples: str, limit: int) -> tuple[float, float, float]:
    """(EM, compliance, accuracy in space) of `task`'s first `limit` instances under a condition,
    by rank classification: one cached context, each instance run once, each label after it
    (causal_lm.LanguageModel.score_options)."""
    from notesgraph.experiments.replication1.instruction_tuning import score_predictions

    instances = task.instances[:limit]
    queries = [lm_query(words, "").rstrip() for words, _ in instances]  # "Input: ...\nOutput:"
    scores = lm.score_options(lm_context(task, definition, examples), queries, [f" {label}" for label in task.labels])
    predictions = [task.labels[int(i)] for i in scores.argmax(axis=1)]
    return score_predictions(task, predictions, [gold for _, gold in instances])


def suite_parameters(parameters: Mapping[str, ParameterValue]) -> dict[str, ParameterValue]:
    """`instruction_tuning`'s parameters (its held-out design) with this run's task counts and
    threads: the same suite its reader family is scored on."""
    from notesgraph.experiments.replication1.specs import INSTRUCTION_TUNING

    values = INSTRUCTION_TUNING.resolve()
    for key in ("train_tasks", "held_out_tasks", "held_out_instances", "threads"):
        values[key] = parameters[key]
    return values


def _language_model(parameters: Mapping[str, ParameterValue]) -> Any:
    from notesgraph.experiments.shared.causal_lm import load_language_model

    key = (str(parameters["lm"]), str(parameters["device"]), int(parameters["threads"]))
    if key not in _MODELS:
        _MODELS.clear()
        _MODELS[key] = load_language_model(*key)
    return _MODELS[key]


def run_condition(condition: str, parameters: Mapping[str, ParameterValue], seeds: Sequence[int],
                  workdir: Path | None = None) -> Iterator[Progress | Result]:
    """One runner condition: baselines (random, constant, the design checks), a
    definition+examples condition (the LM zero-shot on every held-out task), or the comparison."""
    from notesgraph.experiments.replication1 import instruction_tuning as it

    context = it.Context(suite_parameters(parameters), Path(workdir) if workdir else Path.cwd() / "lm-zero-shot-run")
    seed = seeds[0]
    if condition == "baselines":
        results = []
        for kind in ("random", "constant"):
            scores = it.baseline_scores(context, kind, seed)
            it.save_scores(context, f"{kind}-s{seed}", scores)
            results += it.summary_results(context, "baselines", f"{kind}/", [scores])
        yield Progress(1, 1, "baselines: done")
        yield from results + it.design_check_results(context)
        return
    if condition == "compare":
        yield from it.compare(context, [seed], LM_DIFFERENCES, [0], it.DR_CHECKS[:1])
        return
    name = f"{condition}-n0-s{seed}"
    scores = it.load_scores(context, name)
    if scores is None:
        tasks = context.suite.held_out
        yield Progress(0, len(tasks) + 1, f"{condition}: loading {parameters['lm']}")
        lm = _language_model(parameters)
        definition, examples = condition.split("+")
        limit = int(parameters["held_out_instances"])
        scores = {}
        for index, task in enumerate(tasks):
            scores[task.name] = score_task(lm, task, definition, examples, limit)
            yield Progress(index + 1, len(tasks) + 1, f"{condition}: {index + 1}/{len(tasks)} held-out tasks")
        it.save_scores(context, name, scores)
    yield from it.summary_results(context, condition, "", [scores], "/n0")


def claim_verdicts(spec: Any, results: Sequence[Result]) -> list[Any]:
    """None: the paper's claims are about models tuned on the tasks; this run answers its question
    of an untouched model (see `answers`, in the report)."""
    return []


def _control(kind: str, by: Mapping[str, Result]) -> tuple[bool, str]:
    from notesgraph.experiments.replication1.instruction_tuning_report import CHECK_MARGIN, format_result

    if kind == "DR check":
        r = by.get("check/dr_original_minus_random/n0")
        if r is None:
            return False, "DR check not computed"
        return r.ci_low >= CHECK_MARGIN, (f"DR check: original+correct - random on DR tasks of seen attributes = "
                                          f"{format_result(r)} EM (95% lower bound needs >= {CHECK_MARGIN:g})")
    r = by.get("diff/demonstration-signal/all/n0")
    if r is None:
        return False, "demonstration signal not computed"
    return r.ci_low > 0, (f"demonstration signal: empty+correct - empty+delusive = {format_result(r)} EM "
                          "(95% lower bound needs > 0)")


def answers(results: Sequence[Result]) -> list[tuple[str, str, str]]:
    """(contrast, answer, reason) for each contrast whose claim is ~0: equivalent / different /
    inconclusive on all held-out tasks (TOST within +-3 EM, or a difference), and inconclusive
    when the run's design checks or the contrast's control fail."""
    from notesgraph.experiments.replication1.instruction_tuning_report import decide, design_holds, gate

    by = {r.metric: r for r in results if r.condition == "compare"}
    design_ok, design_text = design_holds(results)
    out = []
    for name, kind in CONTROLS.items():
        r95, r90 = by.get(f"diff/{name}/all/n0"), by.get(f"diff90/{name}/all/n0")
        p_cons, p_inc = by.get(f"p_consistent/{name}/all/n0"), by.get(f"p_inconsistent/{name}/all/n0")
        if None in (r95, r90, p_cons, p_inc):
            continue
        verdict, reason = decide(name, LM_DIFFERENCES[name][2], r95, r90, p_cons.value, p_inc.value)
        verdict, reason = gate(verdict, reason, (design_ok, design_text), _control(kind, by))
        out.append((name, {"consistent": "no difference", "inconsistent": "differs"}.get(verdict, verdict), reason))
    return out


def _label(parameters: Mapping[str, ParameterValue] | None) -> str:
    name = str((parameters or {}).get("lm", "smollm2"))
    return "SmolLM2-135M-Instruct" if name == "smollm2" else Path(name).name


def report(spec: Any, results: Sequence[Result], parameters: Mapping[str, ParameterValue] | None = None) -> str:
    """Markdown: EM per condition and split beside random and constant, the paired differences,
    the controls and the answers."""
    from notesgraph.experiments.replication1.instruction_tuning import TUNING_CONDITIONS
    from notesgraph.experiments.replication1.instruction_tuning_report import PAPER, design_holds, table_cell

    by = {(r.condition, r.metric): r for r in results}
    cell = table_cell(by)

    design_ok, design_text = design_holds(results)
    splits = ("all", "LI", "DR", "new_wording", "pretraining_wording", "unseen_attribute")
    lines = [f"### {spec.title}", "", f"Model: **{_label(parameters)}**.", "",
             "Rank classification over each task's output space (compliance is 100% by construction: EM is "
             "accuracy); no tuning of ours, one pass. EM %, 95% intervals by a hierarchical bootstrap over task "
             f"families, then tasks. Design: {design_text}. The paper (T5-large, SuperNI zero-shot "
             f"classification): untuned {PAPER['untuned']}, tuned {PAPER['tuned']:g}, random {PAPER['random']} EM.", "",
             "| condition | " + " | ".join(f"EM {s.replace('_', ' ')}" for s in splits) + " |",
             "|---|" + "---|" * len(splits)]
    for condition in TUNING_CONDITIONS:
        if (condition, "em/all/n0") in by:
            lines.append(f"| {condition} | {cell(condition, 'em/all/n0', True)} | "
                         + " | ".join(cell(condition, f"em/{s}/n0") for s in splits[1:]) + " |")
    for kind in ("random", "constant"):
        lines.append(f"| {kind} | {cell('baselines', f'{kind}/em/all', True)} | "
                     + " | ".join(cell("baselines", f"{kind}/em/{s}") for s in splits[1:]) + " |")
    lines += ["", "| difference (EM points) | all | LI | DR | new wording | pretraining wording |",
              "|---|---|---|---|---|---|"]
    for name, (left, right, _) in LM_DIFFERENCES.items():
        if ("compare", f"diff/{name}/all/n0") in by:
            lines.append(f"| {name} ({left} - {right}) | " + " | ".join(
                cell("compare", f"diff/{name}/{s}/n0", True) for s in splits[:5]) + " |")
    zero_by = {r.metric: r for r in results if r.condition == "compare"}
    lines += ["", "| control | result | passed |", "|---|---|---|"]
    for kind in dict.fromkeys(CONTROLS.values()):
        passed, text = _control(kind, zero_by)
        lines.append(f"| {kind} | {text} | {'yes' if passed else '**no**'} |")
    lines += ["", "| contrast (the paper: ~0 after tuning) | answer | reason |", "|---|---|---|"]
    for name, answer, reason in answers(results):
        lines.append(f"| {name} | {answer} | {reason.replace('|', '/')} |")
    if not design_ok:
        lines += ["", f"**{design_text}.**"]
    return "\n".join(lines) + "\n"


def plot(spec: Any, results: Sequence[Result], path: str, parameters: Mapping[str, ParameterValue] | None = None) -> None:
    """EM per condition on all, LI and DR held-out tasks as bars, random as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from notesgraph.experiments.replication1.instruction_tuning import TUNING_CONDITIONS

    values = {(r.condition, r.metric): r for r in results}
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.2), dpi=100, sharey=True)
    for axis, split in zip(axes, ("all", "LI", "DR")):
        shown = [c for c in TUNING_CONDITIONS if (c, f"em/{split}/n0") in values]
        rows = [values[(c, f"em/{split}/n0")] for c in shown]
        position = np.arange(len(shown))
        axis.bar(position, [r.value for r in rows], color="tab:blue",
                 yerr=[[r.value - r.ci_low for r in rows], [r.ci_high - r.value for r in rows]], capsize=3)
        random = values.get(("baselines", f"random/em/{split}"))
        if random:
            axis.axhline(random.value, color="black", linestyle=":", label="random")
        axis.set_xticks(position, shown, rotation=60, ha="right", fontsize=7)
        axis.set_title(f"held-out tasks: {split}")
    axes[0].set_ylabel("exact match (%)")
    axes[-1].legend(fontsize=7)
    figure.suptitle(f"Replication 1 zero-shot, {_label(parameters)}: EM per condition (95% hierarchical bootstrap)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
