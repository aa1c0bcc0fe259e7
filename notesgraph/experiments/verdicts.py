"""Verdicts from intervals, never from a single number.

A claimed value is *consistent* when it lies inside the interval an experiment measured
(widened by the claim's rounding), *inconsistent* when it lies outside, and *inconclusive*
when the interval is too wide to tell anything apart. O(1) per verdict.
"""

from __future__ import annotations

from notesgraph.experiments.spec import ClaimTest, ClaimVerdict, Result

__all__ = ["interval_verdict", "rounding_of"]


def rounding_of(value: float) -> float:
    """Half a unit of the last digit written: 42.6 -> 0.05, 43 -> 0.5."""
    text = f"{value:g}"
    decimals = len(text.partition(".")[2])
    return 0.5 * 10 ** -decimals


def interval_verdict(test: ClaimTest, result: Result, max_width: float, primary: bool = False,
                     what: str = "the 95% interval") -> ClaimVerdict:
    """The verdict on `test.claimed` against `result`'s interval: inconclusive when the interval
    is wider than `max_width` (in the metric's units), else consistent when the claimed value,
    give or take its rounding, lies inside it, else inconsistent. `what` names the interval
    in the one-sentence reason."""
    low, high = result.ci_low, result.ci_high
    slack = rounding_of(test.claimed) + 1e-9  # 42.6 may be any value in [42.55, 42.65)
    span = f"{what} [{low:.1f}, {high:.1f}] (n={result.n}, condition {result.condition})"
    details = {"claimed": test.claimed, "value": result.value, "ci_low": low, "ci_high": high}
    if high - low > max_width:
        return ClaimVerdict(test.name, result.condition, "inconclusive",
                            f"{span} is {high - low:.1f} points wide, more than {max_width:g}, "
                            f"too wide to test {test.claimed:g}.", primary, details)
    if low - slack <= test.claimed <= high + slack:
        return ClaimVerdict(test.name, result.condition, "consistent",
                            f"The claimed {test.claimed:g} lies within {span}.", primary, details)
    side = "below" if test.claimed < low else "above"
    return ClaimVerdict(test.name, result.condition, "inconsistent",
                        f"The claimed {test.claimed:g} lies {side} {span}.", primary, details)
