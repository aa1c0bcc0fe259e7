"""The `claims` command: each claim with its position, quantities, source, replications, status,
and the experiments that can test it with the command that runs one."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from notesgraph.claims import StoredClaim, describe_quantity, describe_source, describe_statuses
from notesgraph.cli.output import EXIT_OK, EXIT_SKIPPED, CommandTable, print_json
from notesgraph.experiments.claim_experiments import ClaimExperiments, NoteClaims, claims_by_note, run_command
from notesgraph.lookup import find_note_id
from notesgraph.store import Store


def cmd_claims(args: argparse.Namespace, store: Store) -> int:
    """`claims [TITLE] [--testable]`: each claim with its values, source, status and experiments."""
    note_ids = [find_note_id(store, " ".join(args.title))] if args.title else None
    groups = claims_by_note(store, note_ids, testable_only=args.testable)
    if args.json:
        print_json([_claim_json(c) for group in groups for c in group.claims])
    elif not groups:
        print("no claims found" + (" that an experiment can test" if args.testable else "")
              + ("" if args.title or args.testable else " (run `notesgraph index` first)"), file=sys.stderr)
    else:
        _print_claims(groups)
    return EXIT_OK if groups else EXIT_SKIPPED


def _claim_json(found: ClaimExperiments) -> dict[str, Any]:
    stored = found.stored
    return {"id": stored.id, "item": stored.item, "note_id": stored.note_id, "note": stored.note_title,
            **asdict(stored.claim), "paper_id": stored.paper_id, "source_note_id": stored.source_note_id,
            "replications": list(stored.replications), "status": stored.status, "statuses": dict(stored.statuses),
            "experiments": found.names, "run_command": run_command(stored.id) if found.testable else None}


def _print_claims(groups: list[NoteClaims]) -> None:
    """The claims under their notes' titles, numbered across notes."""
    number = 0
    for group in groups:
        print(f"{'' if number == 0 else chr(10)}{group.title}  [note:{group.note_id}]")
        for found in group.claims:
            number += 1
            _print_claim(number, found)


def _print_claim(number: int, found: ClaimExperiments) -> None:
    """One claim: its sentence, position, values, source, status and what can test it."""
    stored = found.stored
    claim = stored.claim
    print(f"  {number:>3}. {claim.text}")
    print(f"       paragraph {claim.paragraph}, characters {claim.start}-{claim.end}  [{stored.item}]")
    for quantity in claim.quantities:
        print(f"       · {describe_quantity(quantity)}")
    if claim.markers:
        print(f"       comparison: {', '.join(claim.markers)}")
    print(f"       {describe_source(claim.source)}")
    print(f"       replications: {', '.join(stored.replications) or 'none yet'} · status: {_status(stored)}")
    print(f"       experiments: {found.describe()}"
          + (f" · run: {run_command(stored.id)}" if found.testable else ""))


def _status(stored: StoredClaim) -> str:
    """The claim's one status, with each experiment's say when more than one has spoken."""
    each = describe_statuses(stored)
    return f"{stored.status} ({each})" if each else stored.status


def _claims_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="*", help="note title, prefix or fragment (default: every note)")
    parser.add_argument("--testable", action="store_true", help="only the claims an experiment can test")


CLAIM_COMMANDS: CommandTable = {
    "claims": ("the quantitative claims of a note (or of every note) with their values, source, status and the "
               "experiments that can test them",
               cmd_claims, _claims_arguments),
}
"""Merged into notesgraph.cli.COMMANDS."""
