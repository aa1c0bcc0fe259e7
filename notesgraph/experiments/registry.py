"""The experiments notesgraph knows, by name: specs as data, implementations imported lazily.

Listing or looking up an experiment imports only `spec` (no numpy, no torch). `implementation`
imports the module that runs it, once a run starts. A misspelt name gets the nearest ones.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from notesgraph.experiments.spec import ClaimTest, ExperimentError, ExperimentSpec, Parameter, nearest

__all__ = ["RANDOM_BASELINE", "SPECS", "experiment", "experiments", "experiments_for_claim", "implementation"]

RANDOM_BASELINE = ExperimentSpec(
    name="random_baseline",
    version="1",
    title="Random baseline exact match on classification tasks, by output-space mix",
    description=(
        "Generates a seeded suite of classification tasks whose output-space sizes follow a stated "
        "mix, answers each instance uniformly within its task's output space, and measures exact "
        "match macro-averaged over tasks, with bootstrap 95% intervals over seeds and tasks. A partial "
        "check of the random-baseline number only: it does not train or tune any model (issue 9 does)."),
    implementation="notesgraph.experiments.random_baseline",
    conditions=("binary", "two_or_three", "two_to_five", "four_to_ten"),
    parameters=(
        Parameter("tasks", 60, 5, 20000, "tasks in one benchmark (per seed)", quick=20),
        Parameter("instances", 100, 10, 5000, "instances per task (classes balanced)", quick=20),
        Parameter("bootstrap", 2000, 100, 50000, "bootstrap resamples per interval", quick=200),
    ),
    seeds=(0, 1, 2),
    claims=(
        ClaimTest(
            name="random_baseline_em",
            pattern=r"random baseline\b.{0,40}?\b42\.6\s?%",
            metric="benchmark_exact_match",
            claimed=42.6,
            condition="two_or_three",
            description=("A random baseline that only knows the output space reaches 42.6% exact match "
                         "on zero-shot classification (Kung & Peng 2023); judged in the two_or_three mix, "
                         "our stand-in for SuperNI's mostly binary and ternary classification tasks "
                         "(an assumption, not a measurement of SuperNI). The tuned model's 43% is not tested."),
        ),
    ),
    estimate_seconds=3.0,
    quick_seconds=1.0,
    notes=("Conditions are output-space mixes: binary (2 labels), two_or_three (2 or 3, equally often), "
           "two_to_five (2-5), four_to_ten (4-10). benchmark_exact_match's interval is where one "
           "benchmark of `tasks` tasks lands (a 95% range over resampled benchmarks); exact_match's "
           "interval is the bootstrap CI of the mean over every seed and task."),
)

SPECS: dict[str, ExperimentSpec] = {spec.name: spec for spec in (RANDOM_BASELINE,)}


def experiments() -> list[ExperimentSpec]:
    """Every registered experiment, by name. Imports nothing heavy."""
    return [SPECS[name] for name in sorted(SPECS)]


def experiment(name: str) -> ExperimentSpec:
    """The spec called `name`; ExperimentError with the nearest names when there is none."""
    if name in SPECS:
        return SPECS[name]
    close = nearest(name, SPECS)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ExperimentError(f"no experiment called {name!r}{hint} (known: {', '.join(sorted(SPECS))};"
                          " see `notesgraph experiments`)")


def experiments_for_claim(text: str) -> list[tuple[ExperimentSpec, ClaimTest]]:
    """(spec, claim test) of every experiment that tests a claim with this sentence. O(specs)."""
    return [(spec, test) for spec in experiments() for test in spec.claims if test.matches(text)]


def implementation(spec: ExperimentSpec) -> ModuleType:
    """The module that runs `spec` (imports numpy and whatever else it needs)."""
    return importlib.import_module(spec.implementation)
