"""What an experiment is, as plain frozen data: name, version, claims, conditions, parameters.

A spec is cheap to build and import (no numpy, no torch), so listing experiments costs nothing.
Its implementation lives in another module, named by `implementation` and imported only when a
run starts. Parameters are checked against their ranges here, so a bad `--param` fails before a
process is started.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

ParameterValue = int | float | str

__all__ = ["ClaimTest", "ExperimentError", "ExperimentSpec", "OnlyWhen", "Parameter", "ParameterValue",
           "Progress", "Result", "ClaimVerdict", "nearest"]


class ExperimentError(ValueError):
    """Something a user typed names no experiment, parameter, claim or run; says what would."""


def nearest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` of `choices` closest to `word` (difflib ratio >= 0.5), best first."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = nearest(word, choices)
    return f"; did you mean {' or '.join(close)}?" if close else ""


@dataclass(frozen=True)
class Parameter:
    """One tunable value with its default and quick (`--quick`) value: a number with an
    inclusive range, a string (a path, a backend) restricted to `choices` when there are any, or
    (`listed`) comma-separated distinct whole numbers, each within the range."""

    name: str
    default: ParameterValue
    low: ParameterValue
    high: ParameterValue
    help: str
    quick: ParameterValue | None = None
    choices: tuple[str, ...] = ()
    listed: bool = False
    """the value is text such as "4,16,48": at least one whole number, each in low..high, none twice"""

    @property
    def is_text(self) -> bool:
        return isinstance(self.default, str)

    def parse(self, text: str | ParameterValue) -> ParameterValue:
        """`text` as this parameter's type (int when the default is an int, str when it is a
        str), range- or choice-checked; a listed value comes back as canonical "4,16,48"."""
        if self.listed:
            return self._parse_list(str(text))
        if self.is_text:
            value = str(text).strip()
            if self.choices and value not in self.choices:
                raise ExperimentError(f"parameter {self.name}={value!r} is not one of: {', '.join(self.choices)}"
                                      + _did_you_mean(value, self.choices))
            return value
        try:
            value: ParameterValue = int(text) if isinstance(self.default, int) else float(text)
        except ValueError:
            kind = "an integer" if isinstance(self.default, int) else "a number"
            raise ExperimentError(f"parameter {self.name} must be {kind}, got {text!r}") from None
        if not self.low <= value <= self.high:
            raise ExperimentError(f"parameter {self.name}={value} is outside {self.low}..{self.high}")
        return value

    def _parse_list(self, text: str) -> str:
        """A listed value checked item by item: an empty list, a 0 where 1 is the least (training
        on nothing) or a repeat would otherwise fail, or spin, only inside the worker. O(items^2)."""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts:
            raise ExperimentError(f"parameter {self.name}={text!r} lists no values; give comma-separated whole "
                                  f"numbers in {self.low}..{self.high}, e.g. {self.default}")
        numbers: list[int] = []
        for part in parts:
            try:
                number = int(part)
            except ValueError:
                raise ExperimentError(f"parameter {self.name}: {part!r} is not a whole number (give comma-separated "
                                      f"whole numbers in {self.low}..{self.high}, e.g. {self.default})") from None
            _check_item(f"parameter {self.name}={text.strip()}: {number}", number, numbers, self.low, self.high)
            numbers.append(number)
        return ",".join(map(str, numbers))


def _check_item(what: str, number: int, earlier: Sequence[int], low: ParameterValue, high: ParameterValue) -> None:
    """ExperimentError saying `what` is outside low..high or listed twice (after `earlier`)."""
    if not low <= number <= high:
        raise ExperimentError(f"{what} is outside {low}..{high}")
    if number in earlier:
        raise ExperimentError(f"{what} is listed twice")


@dataclass(frozen=True)
class ClaimTest:
    """A claim an experiment tests: a pattern that finds the claim's sentence among stored claims,
    the number claimed, and the condition whose interval decides the claim's verdict."""

    name: str
    pattern: str
    """regular expression, searched case-insensitively in a claim's text"""
    metric: str
    claimed: float
    condition: str
    description: str

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.IGNORECASE) is not None


@dataclass(frozen=True)
class OnlyWhen:
    """`parameters` matter only when parameter `when` is `equals` (the head_* ones only with
    family=minilm): the run dialog hides them otherwise; the CLI and the runner take them as ever."""

    parameters: tuple[str, ...]
    when: str
    equals: str


@dataclass(frozen=True)
class ExperimentSpec:
    """An experiment as data (what lm-evaluation-harness calls a task config).

    `estimate_seconds` is the full run's time on the reference machine (2 CPU cores);
    `quick_seconds` that of `--quick`, which is the same code with the parameters' quick values.
    """

    name: str
    version: str
    title: str
    description: str
    implementation: str
    """module imported to run it; it defines run_condition() and claim_verdicts()"""
    conditions: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    seeds: tuple[int, ...]
    claims: tuple[ClaimTest, ...] = ()
    only_when: tuple[OnlyWhen, ...] = ()
    """parameters that apply under one value of another (a backend, a model family)"""
    estimate_seconds: float = 0.0
    quick_seconds: float = 0.0
    notes: str = ""
    seed_range: tuple[int, int] = (0, 2**32 - 1)
    """seeds a run may use (numpy seeds its generators with non-negative integers)"""

    def design_fingerprint(self) -> str:
        """12 hex digits over what the experiment is: its implementation module, conditions,
        claim tests, seeds and each parameter's default and quick value (not help texts,
        ranges or estimates). tests/data/experiment_designs.json records it per version, so a
        design change without a new version fails the tests; each run records it. The module is
        named by its last part in the flat layout it had before the replications got a folder
        each: moving a file is not a design change, so recorded runs keep their fingerprints."""
        module = "notesgraph.experiments." + self.implementation.rsplit(".", 1)[-1]  # see below
        design = {"implementation": module, "conditions": list(self.conditions),
                  "claims": [[c.name, c.pattern, c.metric, c.claimed, c.condition] for c in self.claims],
                  "seeds": list(self.seeds),
                  "parameters": [[p.name, str(p.default), str(p.quick)] for p in self.parameters]}
        text = json.dumps(design, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise ExperimentError(f"{self.name} has no parameter {name!r}"
                              + _did_you_mean(name, [p.name for p in self.parameters])
                              + f" (parameters: {', '.join(p.name for p in self.parameters)})")

    def applies(self, name: str, values: Mapping[str, ParameterValue]) -> bool:
        """Whether parameter `name` matters with these values: each OnlyWhen naming it holds,
        and the parameter it depends on applies too (head_lr needs family=minilm, and family
        needs backend=synthetic). Costs one pass over `only_when` per level."""
        return all(str(values.get(rule.when)) == rule.equals and self.applies(rule.when, values)
                   for rule in self.only_when if name in rule.parameters)

    def resolve(self, overrides: Mapping[str, str | ParameterValue] | None = None,
                quick: bool = False) -> dict[str, ParameterValue]:
        """Every parameter's value: the override, else the quick value with `quick`, else the
        default. Raises ExperimentError on an unknown name or a value out of range."""
        overrides = dict(overrides or {})
        values = {p.name: (p.quick if quick and p.quick is not None else p.default) for p in self.parameters}
        for name, text in overrides.items():
            values[name] = self.parameter(name).parse(text)
        return values

    def check_seeds(self, seeds: Sequence[int] | None) -> tuple[int, ...]:
        """`seeds` (None or empty: the spec's own), each within `seed_range` and listed once:
        a negative seed failed only inside the worker, and a repeated one counted twice in
        every interval. ExperimentError naming the seed otherwise. O(seeds^2), a handful."""
        if not seeds:
            return self.seeds
        low, high = self.seed_range
        for position, seed in enumerate(seeds):
            _check_item(f"seed {seed}", seed, seeds[:position], low, high)
        return tuple(seeds)


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """`["tasks=40", "instances=20"]` -> {"tasks": "40", "instances": "20"}."""
    found: dict[str, str] = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise ExperimentError(f"--param takes NAME=VALUE, got {item!r}")
        found[name.strip()] = value.strip()
    return found


# -- what an experiment yields ------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    """Work done within the current condition: `step` of `total`, and what is being done."""

    step: int
    total: int
    message: str = ""


@dataclass(frozen=True)
class Result:
    """One measured number with its 95% interval and how many units (tasks) it rests on."""

    condition: str
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int


Verdict = Literal["consistent", "inconsistent", "inconclusive"]


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim test's verdict in one condition, with its one-sentence reason; `primary` marks
    the condition that decides the claim's evidence status."""

    claim: str
    condition: str
    verdict: Verdict
    reason: str
    primary: bool = False
    details: dict[str, float] = field(default_factory=dict)
