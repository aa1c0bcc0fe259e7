"""Kruskal-Wallis and Dunn's test, checked against values computed independently."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from notesgraph.experiments.replication2.prompt_statistics import (dunn_test, group_medians, kruskal_wallis,
                                                      statistics_by_shots)

# A worked example with ties, ranked by hand:
#   pooled sorted 1 2 2 2 3 4 5 6 -> ranks 1, (2+3+4)/3 = 3 for the three 2s, then 5 6 7 8
#   a = [1, 2, 2] -> ranks 1 3 3, mean 7/3;  b = [3, 4] -> 5 6, mean 11/2;  c = [2, 5, 6] -> 3 7 8, mean 6
#   N = 8, one tie of size 3: sum(t^3 - t) = 24
WORKED = {"a": [1, 2, 2], "b": [3, 4], "c": [2, 5, 6]}
MEAN_RANKS = {"a": Fraction(7, 3), "b": Fraction(11, 2), "c": Fraction(6)}
SIZES = {"a": 3, "b": 2, "c": 3}
N, TIES = 8, 24


def _hand_z(first: str, second: str) -> float:
    variance = Fraction(N * (N + 1), 12) - Fraction(TIES, 12 * (N - 1))  # 6 - 2/7 = 40/7
    scale = variance * (Fraction(1, SIZES[first]) + Fraction(1, SIZES[second]))
    return float(MEAN_RANKS[first] - MEAN_RANKS[second]) / math.sqrt(scale)


def _hand_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))  # = 2 (1 - Phi(|z|))


def test_dunn_matches_the_hand_computed_worked_example() -> None:
    comparisons = {(c.first, c.second): c for c in dunn_test(WORKED)}
    assert set(comparisons) == {("a", "b"), ("a", "c"), ("b", "c")}
    for (first, second), result in comparisons.items():
        z = _hand_z(first, second)
        assert result.mean_rank_first == pytest.approx(float(MEAN_RANKS[first]))
        assert result.z == pytest.approx(z, rel=1e-12)
        assert result.p_value == pytest.approx(_hand_p(z), rel=1e-9)
        assert result.p_adjusted == pytest.approx(min(1.0, 3 * _hand_p(z)), rel=1e-9)
    assert comparisons[("a", "b")].z == pytest.approx(-1.451149, abs=1e-6)  # -(19/6) / sqrt(100/21)


def test_dunn_matches_a_published_example_without_ties() -> None:
    """z and unadjusted p from the README of pereirabarataap/dunn (a separate implementation)."""
    groups = {
        "a": [0.28551035, 0.338524035, 0.088631321, 0.205930807, 0.363240102],
        "b": [0.52173913, 0.763358779, 0.325436786, 0.425305688, 0.378071834],
        "c": [0.98911968, 1.192718142, 0.788288288, 0.549176236, 0.544588155],
        "d": [1.26705653, 1.625320787, 1.266108976, 1.154187629, 1.268489431],
        "e": [1.25697569, 1.265897356, 1.237814561, 0.954612564, 2.365415457],
    }
    published = {("a", "b"): (-0.9882, 0.32304), ("a", "d"): (-3.8241, 0.00013), ("b", "e"): (-2.4061, 0.01612),
                 ("c", "d"): (-1.7187, 0.08567), ("d", "e"): (0.42967, 0.66744)}
    results = {(c.first, c.second): c for c in dunn_test(groups, correction="none")}
    for key, (z, p) in published.items():
        assert results[key].z == pytest.approx(z, abs=1e-4)
        assert results[key].p_value == pytest.approx(p, abs=1e-5)
        assert results[key].p_adjusted == results[key].p_value


def test_kruskal_wallis_matches_the_tie_corrected_formula() -> None:
    raw = Fraction(12, N * (N + 1)) * sum(SIZES[g] * MEAN_RANKS[g] ** 2 for g in WORKED) - 3 * (N + 1)
    expected = float(raw / (1 - Fraction(TIES, N ** 3 - N)))
    result = kruskal_wallis(WORKED)
    assert result is not None
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.p_value == pytest.approx(math.exp(-expected / 2), rel=1e-9)  # chi-squared, 2 df
    assert result.epsilon_squared == pytest.approx(expected / (N - 1))


def test_degenerate_inputs_give_no_evidence_rather_than_nan() -> None:
    assert kruskal_wallis({"a": [0.5, 0.5], "b": [0.5]}).p_value == 1.0
    assert all(c.z == 0 and c.p_value == 1.0 for c in dunn_test({"a": [0.5, 0.5], "b": [0.5]}))
    assert kruskal_wallis({"a": [1.0], "b": []}) is None
    assert dunn_test({"a": [1.0]}) == ()


def test_group_medians_and_statistics_per_number_of_shots() -> None:
    assert group_medians({"x": [3, 1, 2], "y": [1, 2], "z": []}) == {"x": 2.0, "y": 1.5}
    observations = [(4, "x", 0.5), (4, "y", 0.6), (4, "x", 0.55), (4, "y", 0.7),
                    (32, "x", 0.8), (32, "y", 0.5), (32, "x", 0.9), (32, "y", 0.55), (32, "z", 0.6)]
    by_shots = statistics_by_shots(observations)
    assert sorted(by_shots) == [4, 32]
    assert by_shots[4].counts == {"x": 2, "y": 2} and by_shots[32].counts == {"x": 2, "y": 2, "z": 1}
    assert by_shots[32].medians["x"] == pytest.approx(0.85)
    assert by_shots[32].kruskal is not None and by_shots[32].kruskal.groups == 3
    forward, backward = by_shots[32].comparison("x", "y"), by_shots[32].comparison("y", "x")
    assert forward.z > 0 and backward.z == -forward.z and forward.p_adjusted == backward.p_adjusted
    assert by_shots[4].comparison("x", "z") is None
    only_x = statistics_by_shots(observations, groups=["x"])
    assert only_x[32].kruskal is None and only_x[32].dunn == ()
