"""The statistics of Webson & Pavlick (2022): Kruskal-Wallis across groups of prompts, then Dunn's
pairwise test with a Bonferroni correction, per number of shots; medians per group.

Accuracies of prompt runs are bounded, skewed and tied (an accuracy on 200 items takes 201
values), hence rank tests. scipy has Kruskal-Wallis but not Dunn's test, so Dunn's test is here,
with the tie correction of Dunn (1964):

    z_ij = (mean rank_i - mean rank_j) / sqrt((N(N+1)/12 - sum(t^3 - t) / (12(N-1))) (1/n_i + 1/n_j))

two-sided p = 2 (1 - Phi(|z|)), Bonferroni: min(1, p * k(k-1)/2). Every function here is
O(N log N) for N observations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
from scipy import stats

__all__ = ["AboveChance", "DunnComparison", "Equivalence", "KruskalWallis", "ShotStatistics", "best_above_chance",
           "dunn_test", "group_medians", "kruskal_wallis", "median_difference_tost", "statistics_by_shots"]


@dataclass(frozen=True)
class KruskalWallis:
    """The H statistic (tie-corrected), its chi-squared p-value, and epsilon-squared = H/(N-1),
    an effect size in [0, 1] that can be compared across groupings of different sizes."""

    statistic: float
    p_value: float
    n: int
    groups: int

    @property
    def epsilon_squared(self) -> float:
        return self.statistic / (self.n - 1) if self.n > 1 else 0.0


@dataclass(frozen=True)
class DunnComparison:
    """Dunn's test of group `first` against `second`; z > 0 when `first` ranks higher."""

    first: str
    second: str
    z: float
    p_value: float
    p_adjusted: float
    mean_rank_first: float
    mean_rank_second: float

    def flipped(self) -> DunnComparison:
        """The same comparison read from the other side (z negated)."""
        return DunnComparison(self.second, self.first, -self.z, self.p_value, self.p_adjusted,
                              self.mean_rank_second, self.mean_rank_first)


@dataclass(frozen=True)
class ShotStatistics:
    """Everything the verdicts need at one number of shots: medians and sizes per group, the
    Kruskal-Wallis test (None with fewer than two non-empty groups) and Dunn's comparisons."""

    shots: int
    medians: dict[str, float]
    counts: dict[str, int]
    kruskal: KruskalWallis | None
    dunn: tuple[DunnComparison, ...]
    values: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """every observation per group, for interval estimates (equivalence tests)"""

    def comparison(self, first: str, second: str) -> DunnComparison | None:
        """Dunn's comparison of `first` with `second` (z > 0 when `first` ranks higher), or
        None when either group is missing."""
        for item in self.dunn:
            if (item.first, item.second) == (first, second):
                return item
            if (item.first, item.second) == (second, first):
                return item.flipped()
        return None


def _non_empty(groups: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    return {name: np.asarray(values, dtype=float) for name, values in groups.items() if len(values) > 0}


def group_medians(groups: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """The median of each non-empty group."""
    return {name: float(np.median(values)) for name, values in _non_empty(groups).items()}


def kruskal_wallis(groups: Mapping[str, Sequence[float]]) -> KruskalWallis | None:
    """scipy's Kruskal-Wallis over the non-empty groups; None with fewer than two. When every
    value is the same (no ranks to compare) H = 0 and p = 1 rather than scipy's nan."""
    present = _non_empty(groups)
    if len(present) < 2:
        return None
    n = sum(len(values) for values in present.values())
    pooled = np.concatenate(list(present.values()))
    if np.all(pooled == pooled[0]):
        return KruskalWallis(0.0, 1.0, n, len(present))
    result = stats.kruskal(*present.values())
    return KruskalWallis(float(result.statistic), float(result.pvalue), n, len(present))


def dunn_test(groups: Mapping[str, Sequence[float]],
              correction: Literal["bonferroni", "none"] = "bonferroni") -> tuple[DunnComparison, ...]:
    """Dunn's test for every pair of non-empty groups, in the order the groups are given, ranks
    pooled over all of them (average ranks for ties) and the tie-corrected variance. With
    "bonferroni" each p-value is multiplied by the number of pairs (capped at 1). When every
    value is tied, z = 0 and p = 1."""
    present = _non_empty(groups)
    names = list(present)
    if len(names) < 2:
        return ()
    pooled = np.concatenate([present[name] for name in names])
    ranks = stats.rankdata(pooled)
    n_total = len(pooled)
    _, tie_sizes = np.unique(pooled, return_counts=True)
    tie_term = float(np.sum(tie_sizes.astype(float) ** 3 - tie_sizes)) / (12 * (n_total - 1))
    variance = n_total * (n_total + 1) / 12 - tie_term
    mean_ranks: dict[str, float] = {}
    start = 0
    for name in names:
        size = len(present[name])
        mean_ranks[name] = float(ranks[start:start + size].mean())
        start += size
    pairs = list(combinations(names, 2))
    factor = len(pairs) if correction == "bonferroni" else 1
    comparisons: list[DunnComparison] = []
    for first, second in pairs:
        scale = math.sqrt(max(variance, 0.0) * (1 / len(present[first]) + 1 / len(present[second])))
        z = (mean_ranks[first] - mean_ranks[second]) / scale if scale > 0 else 0.0
        p = float(2 * stats.norm.sf(abs(z)))
        comparisons.append(DunnComparison(first, second, float(z), p, min(1.0, p * factor),
                                          mean_ranks[first], mean_ranks[second]))
    return tuple(comparisons)


def statistics_by_shots(observations: Iterable[tuple[int, str, float]],
                        groups: Sequence[str] | None = None) -> dict[int, ShotStatistics]:
    """Per number of shots, the medians, Kruskal-Wallis and Dunn's test (Bonferroni) over the
    groups. `observations` are (shots, group, accuracy) triples, one per prompt run; `groups`
    fixes the order (and so the sign of each z); by default the order of first appearance."""
    by_shots: dict[int, dict[str, list[float]]] = defaultdict(dict)
    order: list[str] = list(groups) if groups is not None else []
    for shots, group, value in observations:
        if group not in order:
            if groups is not None:
                continue
            order.append(group)
        by_shots[shots].setdefault(group, []).append(float(value))
    result: dict[int, ShotStatistics] = {}
    for shots in sorted(by_shots):
        ordered = {name: by_shots[shots][name] for name in order if name in by_shots[shots]}
        result[shots] = ShotStatistics(shots, group_medians(ordered), {k: len(v) for k, v in ordered.items()},
                                       kruskal_wallis(ordered), dunn_test(ordered),
                                       {k: tuple(v) for k, v in ordered.items()})
    return result


@dataclass(frozen=True)
class Equivalence:
    """Two one-sided tests (TOST) at level alpha by interval inclusion: the groups are
    equivalent within `margin` when the (1 - 2 alpha) interval of the difference of medians lies
    strictly inside (-margin, +margin)."""

    difference: float
    low: float
    high: float
    margin: float
    alpha: float

    @property
    def equivalent(self) -> bool:
        return -self.margin < self.low and self.high < self.margin


def median_difference_tost(first: Sequence[float], second: Sequence[float], margin: float, alpha: float = 0.05,
                           resamples: int = 4000, seed: int = 0) -> Equivalence:
    """TOST on median(first) - median(second): the percentile bootstrap interval at 1 - 2 alpha
    (runs resampled within each group, seeded). With a handful of runs per group the interval
    is wide and equivalence is rarely shown, as it should be. O(resamples x n)."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    rng = np.random.default_rng([seed, a.size, b.size])
    diffs = (np.median(a[rng.integers(0, a.size, (resamples, a.size))], axis=1)
             - np.median(b[rng.integers(0, b.size, (resamples, b.size))], axis=1))
    low, high = np.percentile(diffs, [100 * alpha, 100 * (1 - alpha)])
    return Equivalence(float(np.median(a) - np.median(b)), float(low), float(high), margin, alpha)


@dataclass(frozen=True)
class AboveChance:
    """The positive control: the best prompt's median run, its correct answers tested against
    chance (one-sided binomial), Bonferroni over the `prompts` it was chosen from."""

    prompt: str
    accuracy: float
    correct: int
    items: int
    p_value: float
    p_adjusted: float
    prompts: int


def best_above_chance(runs: Mapping[str, Sequence[tuple[float, int]]], chance: float = 0.5) -> AboveChance | None:
    """`runs` maps a prompt to its runs' (accuracy, items scored). The prompt with the highest
    median accuracy is tested through its median run (one run's answers are independent draws
    under the null; runs of one prompt share their test items, so they are not pooled); the
    p-value is multiplied by the number of prompts, since the best was picked. None without runs."""
    present = {name: sorted(values) for name, values in runs.items() if values}
    if not present:
        return None
    best = max(present, key=lambda name: (float(np.median([a for a, _ in present[name]])), name))
    accuracy, items = present[best][(len(present[best]) - 1) // 2]
    correct = int(round(accuracy * items))
    p = float(stats.binomtest(correct, items, chance, alternative="greater").pvalue) if items else 1.0
    return AboveChance(best, accuracy, correct, items, p, min(1.0, p * len(present)), len(present))
