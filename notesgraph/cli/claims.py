"""The `claims` command: each claim with its position, quantities, source, replications, status."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from notesgraph.claims import StoredClaim, describe_quantity, describe_source, stored_claims
from notesgraph.cli.output import EXIT_OK, EXIT_SKIPPED, CommandTable, print_json
from notesgraph.lookup import find_note_id
from notesgraph.store import Store


def cmd_claims(args: argparse.Namespace, store: Store) -> int:
    """`claims [TITLE]`: each claim with its position, quantities, source, replications, status."""
    note_ids = [find_note_id(store, " ".join(args.title))] if args.title else None
    found = stored_claims(store, note_ids)
    if args.json:
        print_json([_claim_json(c) for c in found])
    elif not found:
        print("no claims found" + ("" if args.title else " (run `notesgraph index` first)"), file=sys.stderr)
    else:
        _print_claims(found)
    return EXIT_OK if found else EXIT_SKIPPED


def _claim_json(stored: StoredClaim) -> dict[str, Any]:
    return {"id": stored.id, "item": stored.item, "note_id": stored.note_id, "note": stored.note_title,
            **asdict(stored.claim), "paper_id": stored.paper_id, "source_note_id": stored.source_note_id,
            "replications": list(stored.replications), "status": stored.status, "statuses": dict(stored.statuses)}


def _print_claims(found: list[StoredClaim]) -> None:
    """The claims under their notes' titles, numbered across notes."""
    current = None
    for number, stored in enumerate(found, 1):
        if stored.note_id != current:
            current = stored.note_id
            print(f"{'' if number == 1 else chr(10)}{stored.note_title}  [note:{stored.note_id}]")
        claim = stored.claim
        print(f"  {number:>3}. {claim.text}")
        print(f"       paragraph {claim.paragraph}, characters {claim.start}-{claim.end}  [{stored.item}]")
        for quantity in claim.quantities:
            print(f"       · {describe_quantity(quantity)}")
        if claim.markers:
            print(f"       comparison: {', '.join(claim.markers)}")
        print(f"       {describe_source(claim.source)}")
        print(f"       replications: {', '.join(stored.replications) or 'none yet'} · status: {_status(stored)}")


def _status(stored: StoredClaim) -> str:
    """The claim's one status, with each experiment's say when more than one has spoken."""
    if len(stored.statuses) < 2:
        return stored.status
    return f"{stored.status} ({'; '.join(f'{name}: {status}' for name, status in stored.statuses)})"


def _claims_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="*", help="note title, prefix or fragment (default: every note)")


CLAIM_COMMANDS: CommandTable = {
    "claims": ("the quantitative claims of a note (or of every note) with their values, source and status",
               cmd_claims, _claims_arguments),
}
"""Merged into notesgraph.cli.COMMANDS."""
