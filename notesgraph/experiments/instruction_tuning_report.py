"""Replication 1's reading of its results: the DR check, the verdicts on the paper's claims
(equivalence-style, against the paper's differences), the Markdown report and the EM-vs-n plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from notesgraph.experiments.instruction_tuning_context import TUNING_CONDITIONS
from notesgraph.experiments.spec import ClaimVerdict, ExperimentSpec, ParameterValue, Result

MARGIN = 3.0
"""EM points within which two conditions count as equivalent (the issue's equivalence margin)."""
CHECK_MARGIN = 10.0
"""On DR tasks at the largest n, original must beat random by at least this many EM points."""
PAPER = {"untuned": 12.78, "tuned": 43.0, "random": 42.6}
"""The paper's zero-shot classification numbers (low-resource setting), for the tables."""

DIFFERENCES: dict[str, tuple[str, str, float]] = {
    "original-simplified": ("original+correct", "simplified+correct", 0.0),
    "correct-delusive": ("original+correct", "original+delusive", 0.0),
    "tuned-random": ("original+correct", "random", 0.4),
    "tuned-untuned": ("original+correct", "untuned+original+correct", 30.0),
    "pretrained-scratch": ("original+correct", "no_pretraining", float("nan")),
}
"""name -> (minuend, subtrahend, the paper's difference in EM points)."""


def check_passes(results: Sequence[Result]) -> tuple[bool, str]:
    """The check before any verdict: on DR tasks at the largest n, original beats random by at
    least CHECK_MARGIN EM, and the untuned base model beats random on them too (interval above 0)."""
    found = {r.metric.split("/")[1]: r for r in results if r.metric.startswith("check/")}
    tuned, untuned = found.get("dr_original_minus_random"), found.get("dr_untuned_minus_random")
    if tuned is None or untuned is None:
        return False, "the DR check was not computed"
    text = (f"DR check: tuned original - random = {tuned.value:+.1f} EM [{tuned.ci_low:+.1f}, {tuned.ci_high:+.1f}] "
            f"(needs >= {CHECK_MARGIN:g}); untuned - random = {untuned.value:+.1f} [{untuned.ci_low:+.1f}, "
            f"{untuned.ci_high:+.1f}] (needs > 0)")
    return tuned.value >= CHECK_MARGIN and untuned.ci_low > 0, text


def _difference_verdict(name: str, paper: float, r95: Result, r90: Result) -> tuple[str, str]:
    """Equivalence-style verdict against the paper's difference: for the 'about equal' findings
    (paper within +-MARGIN of 0) consistent when the 90% interval lies inside +-MARGIN,
    inconsistent when the 95% interval lies wholly outside it; for tuned - untuned (+30 in the
    paper) consistent when the 95% interval lies above half the paper's gain, inconsistent when
    it lies below it."""
    span = f"{r95.value:+.1f} EM, 95% [{r95.ci_low:+.1f}, {r95.ci_high:+.1f}], 90% [{r90.ci_low:+.1f}, {r90.ci_high:+.1f}], {r95.n} tasks"
    if abs(paper) <= MARGIN:
        if -MARGIN <= r90.ci_low and r90.ci_high <= MARGIN:
            return "consistent", f"{name} = {span}: equivalent within +-{MARGIN:g} EM, as the paper reports (~{paper:g})."
        if r95.ci_low > MARGIN or r95.ci_high < -MARGIN:
            return "inconsistent", f"{name} = {span}: outside +-{MARGIN:g} EM; the paper reports ~{paper:g}."
        return "inconclusive", f"{name} = {span}: neither equivalent within +-{MARGIN:g} nor clearly different."
    half = paper / 2
    if r95.ci_low > half:
        return "consistent", f"{name} = {span}: a gain above half the paper's +{paper:g}."
    if r95.ci_high < half:
        return "inconsistent", f"{name} = {span}: below half the paper's +{paper:g}."
    return "inconclusive", f"{name} = {span}: the interval straddles half the paper's +{paper:g}."


def claim_verdicts(spec: ExperimentSpec, results: Sequence[Result]) -> list[ClaimVerdict]:
    """One verdict per claim test (primary: all held-out tasks at the test's n) plus the same
    test on LI and DR tasks and on new / pretraining wordings; every verdict is inconclusive when
    the DR check fails."""
    passed, check_text = check_passes(results)
    by_metric = {r.metric: r for r in results if r.condition == "compare"}
    verdicts = []
    for test in spec.claims:
        _, name, split, n = test.metric.split("/")
        if n == "nmax":
            sizes = [int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith(f"diff/{name}/{split}/n")]
            n = f"n{max(sizes)}" if sizes else n
        paper = DIFFERENCES[name][2]
        for group in (split, "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label"):
            r95 = by_metric.get(f"diff/{name}/{group}/{n}")
            r90 = by_metric.get(f"diff90/{name}/{group}/{n}")
            if r95 is None or r90 is None:
                continue
            verdict, reason = _difference_verdict(name, paper, r95, r90)
            if not passed:
                verdict, reason = "inconclusive", f"{check_text}: failed, so no verdict. ({reason})"
            details = {"claimed": paper, "value": r95.value, "ci_low": r95.ci_low, "ci_high": r95.ci_high}
            verdicts.append(ClaimVerdict(test.name, f"{group}/{n}", verdict, reason, group == split, details))
    return verdicts


FAMILY_TITLES = {
    "reader": "reader model (pretrained from scratch to read definitions)",
    "minilm": "frozen all-MiniLM-L6-v2 + trained head (a model that can only learn format)",
}


def _family(parameters: Mapping[str, ParameterValue] | None) -> str:
    return str((parameters or {}).get("family", "reader"))


def plot(spec: ExperimentSpec, results: Sequence[Result], path: str,
         parameters: Mapping[str, ParameterValue] | None = None) -> None:
    """EM against n per condition on all, LI and DR held-out tasks, with the random baseline and
    the untuned model as lines (matplotlib Agg, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = {(r.condition, r.metric): r for r in results}
    sizes = sorted({int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith("em/") and "/n" in r.metric})
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.2), dpi=100, sharey=True)
    for axis, split in zip(axes, ("all", "LI", "DR")):
        for condition in (*TUNING_CONDITIONS, "no_pretraining"):
            points = [values.get((condition, f"em/{split}/n{n}")) for n in sizes]
            if not any(points):
                continue
            style = "--" if condition == "no_pretraining" else "-"
            axis.plot([n for n, p in zip(sizes, points) if p], [p.value for p in points if p], style, marker="o",
                      label=condition, linewidth=1.5 if condition.startswith("original") else 1)
        for metric, colour in (("random/em", "black"), ("untuned/em", "grey"), ("constant/em", "brown")):
            baseline = values.get(("baselines", f"{metric}/{split}"))
            if baseline:
                axis.axhline(baseline.value, color=colour, linestyle=":", label=metric.split("/")[0])
        axis.set_xscale("log", base=2)
        axis.set_xticks(sizes, [str(n) for n in sizes])
        axis.set_title(f"held-out tasks: {split}")
        axis.set_xlabel("training instances per task (n)")
    axes[0].set_ylabel("exact match (%)")
    axes[-1].legend(fontsize=7, loc="lower right")
    figure.suptitle(f"Instruction tuning on the synthetic suite, {FAMILY_TITLES[_family(parameters)]}: EM vs n\n"
                    "(paper: untuned 12.78, tuned 43, random 42.6)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def report(spec: ExperimentSpec, results: Sequence[Result],
           parameters: Mapping[str, ParameterValue] | None = None) -> str:
    """The run's tables in Markdown: baselines, conditions x n by split, paired differences,
    the DR check and the verdicts, beside the paper's numbers."""
    family = _family(parameters)
    by = {(r.condition, r.metric): r for r in results}

    def cell(condition: str, metric: str, interval: bool = False) -> str:
        r = by.get((condition, metric))
        if r is None:
            return "–"
        return f"{r.value:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]" if interval else f"{r.value:.1f}"

    lines = [f"### {spec.title}", "", f"Model family: **{FAMILY_TITLES[family]}**.", "",
             f"Paper (T5-large, SuperNI zero-shot classification, low-resource): untuned {PAPER['untuned']}, "
             f"tuned {PAPER['tuned']:g}, random {PAPER['random']} EM. Ours: synthetic held-out tasks, EM %, 95% "
             "intervals by resampling tasks.", "",
             "| baseline | EM all | EM LI | EM DR | EM two-label | EM multi-label | compliance |",
             "|---|---|---|---|---|---|---|"]
    zero_shot = "zero-shot cosine, " if family == "minilm" else ""
    for label, prefix in ((f"untuned ({zero_shot}original + correct demos)", "untuned/"),
                          (f"untuned ({zero_shot}original, no demos)", "untuned_no_examples/"),
                          ("random", "random/"), ("constant", "constant/")):
        lines.append(f"| {label} | {cell('baselines', prefix + 'em/all', True)} | {cell('baselines', prefix + 'em/LI')} | "
                     f"{cell('baselines', prefix + 'em/DR')} | {cell('baselines', prefix + 'em/two_label')} | "
                     f"{cell('baselines', prefix + 'em/multi_label')} | {cell('baselines', prefix + 'compliance/all')} |")
    if ("baselines", "pretraining/accuracy/trained_attributes") in by:
        lines += ["", "Base model on fresh pretraining-format prompts: trained attributes "
                  f"{cell('baselines', 'pretraining/accuracy/trained_attributes', True)}, the attribute never asked "
                  f"{cell('baselines', 'pretraining/accuracy/held_out_attribute', True)}."]
    if ("baselines", "head/parameters") in by:
        lines += ["", f"Head: {by[('baselines', 'head/parameters')].value:,.0f} trainable parameters on frozen "
                  "MiniLM vectors of the definition, the demonstrations and the input."]
    lines += ["", "| condition | n | EM all | EM LI | EM DR | EM new wording | EM pretraining wording | EM unseen attribute "
              "| compliance | accuracy in space |", "|---|---|---|---|---|---|---|---|---|---|"]
    sizes = sorted({int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith("em/all/n")})
    for condition in (*TUNING_CONDITIONS, "no_pretraining"):
        for n in sizes:
            if (condition, f"em/all/n{n}") not in by:
                continue
            cells = [cell(condition, f"em/all/n{n}", True)] + [cell(condition, f"em/{s}/n{n}") for s in (
                "LI", "DR", "new_wording", "pretraining_wording", "unseen_attribute")]
            cells += [cell(condition, f"compliance/all/n{n}"), cell(condition, f"accuracy_in_space/all/n{n}")]
            lines.append(f"| {condition} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "| difference (paper) | n | all | LI | DR | new wording | pretraining wording | two-label | multi-label |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, (_, _, paper) in DIFFERENCES.items():
        for n in sizes:
            if ("compare", f"diff/{name}/all/n{n}") not in by:
                continue
            cells = [cell("compare", f"diff/{name}/{s}/n{n}", True) for s in (
                "all", "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label")]
            label = f"{name} ({paper:+g})" if not np.isnan(paper) else name
            lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    passed, text = check_passes(results)
    lines += ["", f"**Check before any verdict** — {text}: **{'passed' if passed else 'failed'}**.", "",
              "| claim test | group | verdict | reason |", "|---|---|---|---|"]
    for verdict in claim_verdicts(spec, results):
        lines.append(f"| {verdict.claim}{' (primary)' if verdict.primary else ''} | {verdict.condition} | "
                     f"{verdict.verdict} | {verdict.reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
