"""Which experiments can test each stored claim, grouped by note: what `notesgraph claims`
and the app's Claims list show, so a reader sees where a claim leads.

Matching a claim is the registry's `specs_for_claim` (a few regexes per experiment): the whole
list of 46 bundled claims costs well under a millisecond beyond reading the claims. Imports
no experiment implementation (no numpy, no torch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from notesgraph.claims import StoredClaim, stored_claims
from notesgraph.experiments.registry import specs_for_claim
from notesgraph.experiments.spec import ExperimentSpec
from notesgraph.store import Store

__all__ = ["ClaimExperiments", "NoteClaims", "claims_by_note", "run_command"]


def run_command(claim_id: int, experiment: str | None = None) -> str:
    """The command that runs a claim's replication (its cheapest experiment when none is named)."""
    return f"notesgraph run {experiment + ' ' if experiment else ''}--for-claim {claim_id}"


@dataclass(frozen=True)
class ClaimExperiments:
    """A stored claim and the experiments that test it, cheapest first."""

    stored: StoredClaim
    specs: tuple[ExperimentSpec, ...]

    @property
    def testable(self) -> bool:
        return bool(self.specs)

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    def describe(self) -> str:
        """"tested by random_baseline (~1 s quick), instruction_tuning (~40 s quick)", or that none does."""
        if not self.specs:
            return "no experiment tests it yet"
        return "tested by " + ", ".join(f"{s.name} (~{s.quick_seconds:g} s quick)" for s in self.specs)


@dataclass(frozen=True)
class NoteClaims:
    """The claims of one note, in text order."""

    note_id: int
    title: str
    claims: tuple[ClaimExperiments, ...]


def claims_by_note(store: Store, note_ids: Iterable[int] | None = None,
                   testable_only: bool = False) -> list[NoteClaims]:
    """Every stored claim (of `note_ids`, else of every note) with its experiments, grouped by
    note in the store's order; `testable_only` keeps the claims some experiment tests (and the
    notes that have one)."""
    groups: dict[int, tuple[str, list[ClaimExperiments]]] = {}
    for stored in stored_claims(store, list(note_ids) if note_ids is not None else None):
        found = ClaimExperiments(stored, tuple(specs_for_claim(stored.claim.text)))
        if found.testable or not testable_only:
            groups.setdefault(stored.note_id, (stored.note_title, []))[1].append(found)
    return [NoteClaims(note_id, title, tuple(claims)) for note_id, (title, claims) in groups.items()]
