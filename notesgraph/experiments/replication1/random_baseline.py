"""The random baseline of Kung & Peng (2023), measured on generated classification tasks.

The claim: "A random baseline achieves 42.6% exact-match versus instruction tuning's 43%". A
baseline that answers uniformly within a task's output space scores 1/|labels| in expectation,
so its exact match depends only on how many labels the tasks have. This experiment makes that
concrete and checkable: per condition (a mix of output-space sizes) and seed it generates
`tasks` tasks of `instances` balanced instances, answers each uniformly at random, and reports

- `exact_match`: macro-averaged EM (percent) over every seed and task, with a bootstrap 95% CI
  (resampling seeds, then tasks within them);
- `benchmark_exact_match`: the same mean, with the 95% range one benchmark of `tasks` tasks
  lands in (resampling `tasks` tasks from the pool) -- what a single reported number such as
  42.6 should be compared with;
- `expected_exact_match`: 100 x E[1/|labels|] under the mix, exact (a check on the estimate).

It is a partial check: it says which label mixes make 42.6% what a random baseline scores,
not whether instruction tuning learns anything (issue 9). Costs O(seeds x tasks x instances)
for the draws plus O(bootstrap x tasks) per interval; deterministic for given parameters and
seeds (numpy PCG64 seeded from the seed and the condition's name).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from notesgraph.experiments.spec import ClaimVerdict, ExperimentSpec, ParameterValue, Progress, Result
from notesgraph.experiments.verdicts import interval_verdict

MIXES: dict[str, tuple[int, ...]] = {
    "binary": (2,),
    "two_or_three": (2, 3),
    "two_to_five": (2, 3, 4, 5),
    "four_to_ten": tuple(range(4, 11)),
}
"""condition -> output-space sizes, drawn uniformly per task."""
MAX_WIDTH = 10.0
"""An interval wider than this many EM points is too wide for a verdict."""
_CHUNK = 2_000_000
"""Bootstrap resamples are drawn in blocks of about this many indices (~16 MB)."""


def _rng(*parts: int | str) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in parts])


def task_scores(condition: str, seed: int, tasks: int, instances: int) -> np.ndarray:
    """Exact match (0..1) of the uniform random baseline on each of `tasks` generated tasks:
    |labels| drawn from the condition's mix, gold labels balanced then shuffled."""
    rng = _rng(seed, condition)
    sizes = rng.choice(np.asarray(MIXES[condition]), size=tasks)
    scores = np.empty(tasks)
    for i, size in enumerate(sizes):
        gold = rng.permutation(np.arange(instances) % size)
        answers = rng.integers(0, size, instances)
        scores[i] = np.mean(answers == gold)
    return scores


def _bootstrap_means(rng: np.random.Generator, scores: np.ndarray, resamples: int, hierarchical: bool,
                     tasks: int) -> Iterator[np.ndarray]:
    """Means of bootstrap resamples, in blocks: hierarchical resamples seeds then every task of
    each chosen seed; flat draws `tasks` tasks from the pooled scores."""
    seeds, per_seed = scores.shape
    width = seeds * per_seed if hierarchical else tasks
    block = max(1, _CHUNK // max(width, 1))
    pooled = scores.ravel()
    for start in range(0, resamples, block):
        count = min(block, resamples - start)
        if hierarchical:
            chosen = rng.integers(0, seeds, (count, seeds, 1))
            picks = rng.integers(0, per_seed, (count, seeds, per_seed))
            yield scores[chosen, picks].mean(axis=(1, 2))
        else:
            yield pooled[rng.integers(0, pooled.size, (count, tasks))].mean(axis=1)


def run_condition(condition: str, parameters: Mapping[str, ParameterValue],
                  seeds: Sequence[int]) -> Iterator[Progress | Result]:
    """Progress, then the condition's three results (see the module docstring). Never prints."""
    tasks, instances = int(parameters["tasks"]), int(parameters["instances"])
    resamples = int(parameters["bootstrap"])
    total = len(seeds) + 2
    rows = []
    for step, seed in enumerate(seeds):
        yield Progress(step, total, f"{condition}: seed {seed}, {tasks} tasks")
        rows.append(task_scores(condition, seed, tasks, instances))
    scores = np.vstack(rows) * 100.0
    mean = float(scores.mean())
    rng = _rng(*seeds, condition, "bootstrap")
    intervals = []
    for step, hierarchical in ((len(seeds), True), (len(seeds) + 1, False)):
        yield Progress(step, total, f"{condition}: bootstrap ({resamples} resamples)")
        means = np.concatenate(list(_bootstrap_means(rng, scores, resamples, hierarchical, tasks)))
        low, high = np.percentile(means, [2.5, 97.5])
        intervals.append((float(low), float(high)))
    yield Progress(total, total, f"{condition}: done")
    expected = 100.0 * float(np.mean([1 / k for k in MIXES[condition]]))
    yield Result(condition, "exact_match", mean, *intervals[0], scores.size)
    yield Result(condition, "benchmark_exact_match", mean, *intervals[1], tasks)
    yield Result(condition, "expected_exact_match", expected, expected, expected, scores.size)


def claim_verdicts(spec: ExperimentSpec, results: Sequence[Result]) -> list[ClaimVerdict]:
    """Per claim test and condition, the claimed value against benchmark_exact_match's range;
    the test's own condition is the primary one."""
    verdicts = []
    for test in spec.claims:
        for result in results:
            if result.metric == test.metric:
                verdicts.append(interval_verdict(test, result, MAX_WIDTH, result.condition == test.condition,
                                                 f"the 95% range of a {result.n}-task benchmark"))
    return verdicts


def plot(spec: ExperimentSpec, results: Sequence[Result], path: str) -> None:
    """A PNG of exact match per condition: the mean with its CI and its one-benchmark range, the
    exact expectation, and each claimed value as a line. Matplotlib's Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conditions = [c for c in spec.conditions if any(r.condition == c for r in results)]
    by_key = {(r.condition, r.metric): r for r in results}
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    xs = np.arange(len(conditions))
    for offset, metric, label in ((-0.08, "benchmark_exact_match", "range of one benchmark (95%)"),
                                  (0.08, "exact_match", "mean, bootstrap 95% CI")):
        rows = [by_key[(c, metric)] for c in conditions]
        values = np.array([r.value for r in rows])
        errors = np.array([[r.value - r.ci_low for r in rows], [r.ci_high - r.value for r in rows]])
        axes.errorbar(xs + offset, values, yerr=errors, fmt="o", capsize=4, label=label)
    expected = [by_key[(c, "expected_exact_match")].value for c in conditions]
    axes.scatter(xs, expected, marker="_", s=400, color="black", label="expected (100 x E[1/|labels|])")
    for test in spec.claims:
        axes.axhline(test.claimed, linestyle="--", color="grey", label=f"claimed {test.claimed:g}")
    axes.set_xticks(xs, conditions)
    axes.set_ylabel("exact match (%)")
    axes.set_title("Random baseline by output-space mix")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
