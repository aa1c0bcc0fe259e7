"""Intervals and tests for replication 1 that respect how its data were drawn.

Scores form a (task x seed) table, and tasks come in families (near-duplicates of one
another), so the units that vary independently are families, not tasks. The hierarchical
bootstrap resamples families, then tasks within each drawn family, then seeds within each drawn
task, and takes the mean of what it drew. Its resampled means give percentile intervals and
one-sided tail probabilities: the equivalence test (TOST: the difference lies inside +-margin
when both one-sided tails beyond the margin are small) and the difference tests. `holm`
corrects a run's primary tests for multiplicity. Cost O(resamples x tasks x seeds) per call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Bootstrap", "hierarchical_bootstrap", "holm"]


@dataclass(frozen=True)
class Bootstrap:
    value: float
    """the mean over tasks of each task's mean over seeds"""
    means: np.ndarray
    """the resampled means"""
    families: int
    tasks: int
    seeds: int

    def interval(self, level: float = 95.0) -> tuple[float, float]:
        if self.means.size == 0:
            return float("nan"), float("nan")
        tail = (100.0 - level) / 2
        low, high = np.percentile(self.means, [tail, 100.0 - tail])
        return float(low), float(high)

    def p_at_most(self, threshold: float) -> float:
        """Bootstrap p-value against 'the mean is at most `threshold`' (small: it is above)."""
        return float((np.sum(self.means <= threshold) + 1) / (self.means.size + 1))

    def p_at_least(self, threshold: float) -> float:
        """Bootstrap p-value against 'the mean is at least `threshold`' (small: it is below)."""
        return float((np.sum(self.means >= threshold) + 1) / (self.means.size + 1))


def hierarchical_bootstrap(table: np.ndarray, families: Sequence[str], seed: int,
                           resamples: int = 2000) -> Bootstrap:
    """Resample families, tasks within families, seeds within tasks. `table` is (tasks, seeds)
    with nan for a missing score (such cells are left out of the means); `families` names each
    row's family. A table with no defined cell gives nan and no resamples."""
    table = np.asarray(table, dtype=float)
    defined = ~np.isnan(table)
    keep = defined.any(axis=1)
    table, defined = table[keep], defined[keep]
    names = [f for f, k in zip(families, keep) if k]
    if table.size == 0:
        return Bootstrap(float("nan"), np.empty(0), 0, 0, table.shape[1] if table.ndim == 2 else 0)
    groups = [np.flatnonzero(np.array(names) == f) for f in dict.fromkeys(names)]
    value = float(np.mean(np.nanmean(table, axis=1)))
    rng = np.random.default_rng([seed, table.shape[0], table.shape[1]])
    count, width = len(groups), max(len(g) for g in groups)
    sizes = np.array([len(g) for g in groups])
    padded = np.array([np.pad(g, (0, width - len(g))) for g in groups])  # (families, width) task rows
    seeds = table.shape[1]
    picked = rng.integers(0, count, (resamples, count))  # families drawn
    within = (rng.random((resamples, count, width)) * sizes[picked][..., None]).astype(int)  # tasks drawn
    rows = padded[picked[..., None], within]  # (resamples, families, width)
    valid = np.arange(width)[None, None, :] < sizes[picked][..., None]
    columns = rng.integers(0, seeds, (resamples, count, width, seeds))
    cells = table[rows[..., None], columns]
    ok = defined[rows[..., None], columns] & valid[..., None]
    total = np.where(ok, cells, 0.0).sum(axis=(1, 2, 3))
    means = total / np.maximum(ok.sum(axis=(1, 2, 3)), 1)
    return Bootstrap(value, means, count, table.shape[0], seeds)


def holm(pvalues: Mapping[str, float], alpha: float = 0.05) -> dict[str, float]:
    """Holm-adjusted p-values (step-down, monotone): a test is significant at `alpha` when its
    adjusted p is at most alpha. nan p-values are left out (adjusted nan)."""
    tests = sorted((p, name) for name, p in pvalues.items() if not np.isnan(p))
    adjusted: dict[str, float] = {name: float("nan") for name in pvalues}
    running = 0.0
    for rank, (p, name) in enumerate(tests):
        running = max(running, min(1.0, (len(tests) - rank) * p))
        adjusted[name] = running
    return adjusted
