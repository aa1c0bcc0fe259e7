"""The experiments notesgraph knows, by name: specs as data, implementations imported lazily.

Listing or looking up an experiment imports only `spec` (no numpy, no torch). `implementation`
imports the module that runs it, once a run starts. A misspelt name gets the nearest ones.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from notesgraph.experiments.replication1.specs import (INSTRUCTION_TUNING, INSTRUCTION_TUNING_LM, PROMPT_CONDITIONS,
                                                       RANDOM_BASELINE)
from notesgraph.experiments.replication2.specs import PROMPT_SENSITIVITY
from notesgraph.experiments.spec import ClaimTest, ExperimentError, ExperimentSpec, nearest

__all__ = ["INSTRUCTION_TUNING", "INSTRUCTION_TUNING_LM", "PROMPT_CONDITIONS", "PROMPT_SENSITIVITY", "RANDOM_BASELINE", "SPECS", "default_experiment", "experiment",
           "experiments", "experiments_for_claim", "implementation", "specs_for_claim"]

SPECS: dict[str, ExperimentSpec] = {spec.name: spec for spec in (RANDOM_BASELINE, INSTRUCTION_TUNING,
                                                                 INSTRUCTION_TUNING_LM, PROMPT_SENSITIVITY)}


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
    """(spec, claim test) of every experiment that tests a claim with this sentence, cheapest
    (shortest estimated run) first, so a one-click quick run starts the fastest check. O(specs)."""
    found = [(spec, test) for spec in experiments() for test in spec.claims if test.matches(text)]
    return sorted(found, key=lambda pair: (pair[0].estimate_seconds, pair[0].name))


def specs_for_claim(text: str) -> list[ExperimentSpec]:
    """The experiments that test a claim with this sentence, each once, cheapest first (what the
    app's claim panel offers)."""
    return list({spec.name: spec for spec, _ in experiments_for_claim(text)}.values())


def default_experiment(claim_id: int, text: str) -> ExperimentSpec:
    """The experiment a run for claim `claim_id` (this sentence) uses when none is named: the
    cheapest that tests it. ExperimentError when none does."""
    specs = specs_for_claim(text)
    if not specs:
        raise ExperimentError(f"no experiment tests claim:{claim_id} yet (see `notesgraph experiments`)")
    return specs[0]


def implementation(spec: ExperimentSpec) -> ModuleType:
    """The module that runs `spec` (imports numpy and whatever else it needs)."""
    return importlib.import_module(spec.implementation)
