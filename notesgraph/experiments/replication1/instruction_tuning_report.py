"""Replication 1's reading of its results: the design checks and each claim's positive control,
the verdicts on the paper's claims (TOST equivalence or a difference, Holm-corrected over the
primary tests, licensed by their control), the Markdown report and the EM-vs-n plot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from notesgraph.experiments.replication1.hierarchical import holm
from notesgraph.experiments.replication1.instruction_tuning_context import TUNING_CONDITIONS
from notesgraph.experiments.spec import ClaimVerdict, ExperimentSpec, ParameterValue, Result

MARGIN = 3.0
"""EM points within which two conditions count as equivalent (TOST margin)."""
CHECK_MARGIN = 10.0
"""The DR check: on DR tasks of seen attributes at the largest n, the 95% interval of tuned
original - random must lie above this many EM points (the tuned model reads definitions)."""
FORMAT_LIMIT = 50.0
"""The format control: the untuned model's compliance (95% upper bound) must lie below this, so
instruction tuning has an output format to teach, as for the paper's untuned T5 (12.78 EM)."""
ALPHA = 0.05
PAPER = {"untuned": 12.78, "tuned": 43.0, "random": 42.6}
"""The paper's zero-shot classification numbers (low-resource setting), for the tables."""

DIFFERENCES: dict[str, tuple[str, str, float]] = {
    "original-simplified": ("original+correct", "simplified+correct", 0.0),
    "correct-delusive": ("original+correct", "original+delusive", 0.0),
    "tuned-random": ("original+correct", "random", 0.4),
    "tuned-untuned": ("original+correct", "untuned+original+correct", 30.0),
    "pretrained-scratch": ("original+correct", "no_pretraining", float("nan")),
    "demonstration-signal": ("empty+correct", "empty+delusive", float("nan")),
}
"""name -> (minuend, subtrahend, the paper's difference in EM points); nan: no claim, a control
or a contrast only."""
CONTROLS = {"original-simplified": "DR check", "tuned-random": "DR check",
            "correct-delusive": "demonstration signal", "tuned-untuned": "format to learn"}
"""Each claim's positive control: the check that its manipulation could have mattered."""
DESIGN_CHECKS = ("heldout_tasks_sharing_training_mapping", "heldout_instances_seen_in_training",
                 "heldout_attributes_supervised_in_pretraining", "heldout_attributes_asked_in_training",
                 "heldout_families_in_training")


def format_result(r: Result) -> str:
    return f"{r.value:+.1f} [{r.ci_low:+.1f}, {r.ci_high:+.1f}]"


def design_holds(results: Sequence[Result]) -> tuple[bool, str]:
    """Whether the run recorded its design checks and each is 0 (held-out means held out)."""
    found = {r.metric: r.value for r in results if r.condition == "design_check"}
    missing = [name for name in DESIGN_CHECKS if name not in found]
    if missing:
        return False, (f"design checks failed: not recorded ({', '.join(missing)}), so held-out data may overlap "
                       "training")
    bad = [f"{name} = {found[name]:g}" for name in DESIGN_CHECKS if found[name] != 0]
    if bad or found.get("heldout_only_attributes", 0) < 1:
        return False, ("design checks failed: held-out data overlap training ("
                       + (", ".join(bad) or "no attribute only held-out tasks ask") + ")")
    return True, "design checks all 0 (held-out families, sentences and an attribute no earlier stage saw)"


def check_passes(results: Sequence[Result]) -> tuple[bool, str]:
    """The DR check: on DR tasks of seen attributes at the largest n, the 95% interval of tuned
    original - random lies above CHECK_MARGIN EM (the tuned model reads definitions)."""
    tuned = next((r for r in results if r.metric.startswith("check/dr_original_minus_random/")), None)
    if tuned is None:
        return False, "DR check not computed"
    text = (f"DR check: tuned original - random on DR tasks of seen attributes = {format_result(tuned)} EM "
            f"(95% lower bound needs >= {CHECK_MARGIN:g})")
    return tuned.ci_low >= CHECK_MARGIN, text


def control(name: str, n: str, results: Sequence[Result]) -> tuple[bool, str]:
    """The positive control of difference `name` (CONTROLS) at `n`: passed, and a sentence."""
    kind = CONTROLS.get(name, "")
    by = {(r.condition, r.metric): r for r in results}
    if kind == "DR check":
        return check_passes(results)
    if kind == "demonstration signal":
        r = by.get(("compare", f"diff/demonstration-signal/all/{n}"))
        if r is None:
            return False, "demonstration signal not computed"
        return r.ci_low > 0, (f"demonstration signal: empty+correct - empty+delusive = {format_result(r)} EM at {n} "
                              "(95% lower bound needs > 0)")
    if kind == "format to learn":
        r = by.get(("baselines", "untuned/compliance/all"))
        if r is None:
            return False, "untuned compliance not computed"
        return r.ci_high < FORMAT_LIMIT, (f"format to learn: untuned compliance {r.value:.1f}% [{r.ci_low:.1f}, "
                                          f"{r.ci_high:.1f}] (95% upper bound needs < {FORMAT_LIMIT:g}%)")
    return True, "no control"


def decide(name: str, paper: float, r95: Result, r90: Result, p_cons: float, p_inc: float) -> tuple[str, str]:
    """consistent / inconsistent / inconclusive from the (possibly Holm-adjusted) p-values."""
    span = (f"{name} = {r95.value:+.1f} EM, 95% [{r95.ci_low:+.1f}, {r95.ci_high:+.1f}], 90% [{r90.ci_low:+.1f}, "
            f"{r90.ci_high:+.1f}], {r95.n} tasks")
    if abs(paper) <= MARGIN:
        if p_cons <= ALPHA:
            return "consistent", f"{span}: equivalent within +-{MARGIN:g} EM (TOST p = {p_cons:.3g}), as the paper reports (~{paper:g})."
        if p_inc <= ALPHA:
            return "inconsistent", f"{span}: differs by more than {MARGIN:g} EM (p = {p_inc:.3g}); the paper reports ~{paper:g}."
        return "inconclusive", (f"{span}: neither equivalent within +-{MARGIN:g} (TOST p = {p_cons:.3g}) nor clearly "
                                f"different (p = {p_inc:.3g}).")
    half = paper / 2
    if p_cons <= ALPHA:
        return "consistent", f"{span}: a gain above half the paper's +{paper:g} (p = {p_cons:.3g})."
    if p_inc <= ALPHA:
        return "inconsistent", f"{span}: below half the paper's +{paper:g} (p = {p_inc:.3g})."
    return "inconclusive", f"{span}: cannot tell from half the paper's +{paper:g} (p = {p_cons:.3g} / {p_inc:.3g})."


def gate(verdict: str, reason: str, design: tuple[bool, str], control: tuple[bool, str]) -> tuple[str, str]:
    """A verdict stands only when the design checks hold and the claim's control passed; else
    it is inconclusive, saying which failed. Each of `design`, `control`: (passed, sentence)."""
    if not design[0]:
        return "inconclusive", f"{design[1]}: no verdict. ({reason})"
    if not control[0]:
        return "inconclusive", f"control failed — {control[1]}: no verdict. ({reason})"
    return verdict, reason + f" Licensed by {control[1]}: passed."


def _test_n(results: Sequence[Result], name: str, split: str, n: str) -> str:
    if n != "nmax":
        return n
    sizes = [int(r.metric.rsplit("/n", 1)[1]) for r in results if r.metric.startswith(f"diff/{name}/{split}/n")]
    return f"n{max(sizes)}" if sizes else n


def claim_verdicts(spec: ExperimentSpec, results: Sequence[Result]) -> list[ClaimVerdict]:
    """One verdict per claim test (primary: all held-out tasks at the test's n, p-values Holm-
    corrected over the run's primary tests) plus the same test per split (secondary, uncorrected).
    A verdict needs the design checks at 0 and the claim's positive control (CONTROLS) to pass;
    otherwise it is inconclusive and says which failed."""
    by = {r.metric: r for r in results if r.condition == "compare"}
    design_ok, design_text = design_holds(results)
    tests = []
    for test in spec.claims:
        _, name, split, n = test.metric.split("/")
        tests.append((test, name, split, _test_n(results, name, split, n)))
    primary_p = {}
    for test, name, split, n in tests:
        p_cons, p_inc = (by.get(f"p_{k}/{name}/{split}/{n}") for k in ("consistent", "inconsistent"))
        if p_cons is not None and p_inc is not None:
            primary_p[test.name] = min(p_cons.value, p_inc.value)
    adjusted = holm(primary_p, ALPHA)
    verdicts = []
    for test, name, split, n in tests:
        paper = DIFFERENCES[name][2]
        passed, control_text = control(name, n, results)
        for group in (split, "LI", "DR", "new_wording", "pretraining_wording", "two_label", "multi_label"):
            r95, r90 = by.get(f"diff/{name}/{group}/{n}"), by.get(f"diff90/{name}/{group}/{n}")
            p_cons, p_inc = (by.get(f"p_{k}/{name}/{group}/{n}") for k in ("consistent", "inconsistent"))
            if None in (r95, r90, p_cons, p_inc):
                continue
            pc, pi = p_cons.value, p_inc.value
            primary = group == split
            if primary and test.name in adjusted:  # Holm: scale both by the primary test's adjustment
                factor = adjusted[test.name] / max(primary_p[test.name], 1e-12)
                pc, pi = min(1.0, pc * factor), min(1.0, pi * factor)
            verdict, reason = decide(name, paper, r95, r90, pc, pi)
            reason += " Holm-corrected over the primary tests." if primary else " Secondary split, uncorrected."
            verdict, reason = gate(verdict, reason, (design_ok, design_text), (passed, control_text))
            details = {"claimed": paper, "value": r95.value, "ci_low": r95.ci_low, "ci_high": r95.ci_high}
            verdicts.append(ClaimVerdict(test.name, f"{group}/{n}", verdict, reason, primary, details))
    return verdicts


FAMILY_TITLES = {
    "reader": "reader model (a small encoder pretrained from scratch, then instruction-tuned)",
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


def _beside_paper(by: Mapping[tuple[str, str], Result]) -> list[str]:
    """The paper's three numbers beside ours (tuned: original+correct at each n)."""
    def em(condition: str, metric: str) -> str:
        r = by.get((condition, metric))
        return f"{r.value:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]" if r else "–"

    def compliance(condition: str, metric: str) -> str:
        r = by.get((condition, metric))
        return f"{r.value:.1f}" if r else "–"

    rows = ["| model | paper EM | our EM (all held-out) | our compliance |", "|---|---|---|---|",
            f"| untuned | {PAPER['untuned']} | {em('baselines', 'untuned/em/all')} | "
            f"{compliance('baselines', 'untuned/compliance/all')} |"]
    sizes = sorted({int(k[1].rsplit("/n", 1)[1]) for k in by if k[0] == "original+correct" and k[1].startswith("em/all/n")})
    for n in sizes:
        rows.append(f"| tuned (original + correct, n={n}) | {PAPER['tuned']:g} | {em('original+correct', f'em/all/n{n}')} "
                    f"| {compliance('original+correct', f'compliance/all/n{n}')} |")
    rows.append(f"| random | {PAPER['random']} | {em('baselines', 'random/em/all')} | "
                f"{compliance('baselines', 'random/compliance/all')} |")
    return rows


def table_cell(by: Mapping[tuple[str, str], Result]) -> Callable[..., str]:
    """cell(condition, metric, interval=False): a result as "12.3" or "12.3 [10.1, 14.5]", "–" when absent."""
    def cell(condition: str, metric: str, interval: bool = False) -> str:
        r = by.get((condition, metric))
        if r is None:
            return "–"
        return f"{r.value:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]" if interval else f"{r.value:.1f}"

    return cell


def report(spec: ExperimentSpec, results: Sequence[Result],
           parameters: Mapping[str, ParameterValue] | None = None) -> str:
    """The run's tables in Markdown: baselines, conditions x n by split, paired differences,
    the DR check and the verdicts, beside the paper's numbers."""
    family = _family(parameters)
    by = {(r.condition, r.metric): r for r in results}
    cell = table_cell(by)

    lines = [f"### {spec.title}", "", f"Model family: **{FAMILY_TITLES[family]}**.", "",
             f"Paper (T5-large, SuperNI zero-shot classification, low-resource): untuned {PAPER['untuned']}, "
             f"tuned {PAPER['tuned']:g}, random {PAPER['random']} EM. Ours: synthetic held-out tasks, EM %, 95% "
             "intervals by a hierarchical bootstrap (task families, then tasks, then seeds).", "",
             *_beside_paper(by), ""]
    design_ok, design_text = design_holds(results)
    checks = [r for r in results if r.condition == "design_check"]
    if checks:
        lines += ["Design checks (condition `design_check`, computed from this run's suite): "
                  + ", ".join(f"{r.metric} = {r.value:g}" for r in checks) + f" — **{'hold' if design_ok else 'fail'}**.",
                  ""]
    lines += [
             "| baseline | EM all | EM LI | EM DR | EM two-label | EM multi-label | compliance |",
             "|---|---|---|---|---|---|---|"]
    zero_shot = "zero-shot cosine, " if family == "minilm" else ""
    for label, prefix in ((f"untuned ({zero_shot}original + correct demos)", "untuned/"),
                          (f"untuned ({zero_shot}original, no demos)", "untuned_no_examples/"),
                          ("random", "random/"), ("constant", "constant/")):
        lines.append(f"| {label} | {cell('baselines', prefix + 'em/all', True)} | {cell('baselines', prefix + 'em/LI')} | "
                     f"{cell('baselines', prefix + 'em/DR')} | {cell('baselines', prefix + 'em/two_label')} | "
                     f"{cell('baselines', prefix + 'em/multi_label')} | {cell('baselines', prefix + 'compliance/all')} |")
    if ("baselines", "pretraining/masked_word_accuracy") in by:
        lines += ["", "Base model (masked words only, never the prompt format): restores "
                  f"{cell('baselines', 'pretraining/masked_word_accuracy', True)}% of masked words in texts about "
                  "held-out sentences."]
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
    lines += ["", "Positive controls (each licenses the verdicts of the claims beside it):", "",
              "| control | claims | result | passed |", "|---|---|---|---|"]
    verdicts = claim_verdicts(spec, results)
    for kind in dict.fromkeys(CONTROLS.values()):
        names = [t.name for t in spec.claims if CONTROLS.get(t.metric.split("/")[1]) == kind]
        n = next((v.condition.split("/")[1] for v in verdicts if v.claim in names), "nmax")
        passed, text = control(next(k for k, v in CONTROLS.items() if v == kind), n, results)
        lines.append(f"| {kind} | {', '.join(names)} | {text} | {'yes' if passed else '**no**'} |")
    lines += ["", "| claim test | group | verdict | reason |", "|---|---|---|---|"]
    for verdict in verdicts:
        lines.append(f"| {verdict.claim}{' (primary)' if verdict.primary else ''} | {verdict.condition} | "
                     f"{verdict.verdict} | {verdict.reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
