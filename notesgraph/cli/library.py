"""The reference-library commands: library (import a BibTeX / CSL-JSON / RIS export, list the
papers by year) and cite (BibTeX of a note's, a paper's or a neighbourhood's papers)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from notesgraph.cli.output import EXIT_FAILED, EXIT_OK, EXIT_SKIPPED, CommandTable, plural, print_json, user_errors
from notesgraph.kinds import elide
from notesgraph.lookup import find_item
from notesgraph.parsing.library import short_authors
from notesgraph.store import Store

_library_errors = user_errors({"notesgraph.parsing.library:LibraryFileError": EXIT_FAILED,
                               "notesgraph.graph:ItemNotInGraph": EXIT_SKIPPED})


@_library_errors
def cmd_library(args: argparse.Namespace, store: Store) -> int:
    if args.action == "import":
        return _import(args, store)
    papers = store.papers_by_year()
    if args.json:
        print_json([{**p, "authors": json.loads(p["authors"])} for p in papers])
    else:
        _print_papers(papers)
    return EXIT_OK


def _import(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.library import import_library

    if args.file is None:
        print("notesgraph: library import needs a FILE (.bib, .json or .ris)", file=sys.stderr)
        return EXIT_FAILED
    report = import_library(store, args.file)
    if args.json:
        print_json({**asdict(report), "added": report.added, "updated": report.updated, "matched": report.matched})
    else:
        _print_import(report)
    return EXIT_SKIPPED if report.problems else EXIT_OK


def _print_import(report: Any) -> None:
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"imported {report.path}: {plural(report.added, 'new entry', 'new entries')}, "
          f"{report.updated} updated, {report.removed} removed (their papers stay); "
          f"{report.matched} matched to papers your notes cite, "
          f"{plural(len(report.matches) - report.matched, 'library paper')} no note cites yet; "
          f"{plural(report.citations_resolved, 'claim')} now resolved through the library")
    for match in report.matches:
        if match.how == "close title":
            print(f"  close title match (score {match.score:.1f}): {match.citation_key} "
                  f"{elide(match.title, 60)!r} -> {elide(match.paper_title, 60)!r}  [paper:{match.paper_id}]")


def _print_papers(papers: list[dict[str, Any]]) -> None:
    for paper in papers:
        where = ", ".join(x for x in (short_authors(json.loads(paper["authors"])), paper["venue"]) if x)
        print(f"{paper['year'] or '----'}  {paper['notes']:>2} notes  {paper['title']}"
              + (f"  ({where})" if where else "") + f"  [paper:{paper['id']}]")


@_library_errors
def cmd_cite(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.library import bibtex_for, papers_for

    title = args.around or " ".join(args.title)
    if not title:
        print("notesgraph: cite needs a TITLE or --around TITLE", file=sys.stderr)
        return EXIT_FAILED
    item = find_item(store, title, kinds=("note", "paper", "inquiry", "concept"))
    papers = papers_for(store, item, args.depth if args.around else None)
    text = bibtex_for(store, papers)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {plural(len(papers), 'entry', 'entries')}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK if papers else EXIT_SKIPPED


def _library_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("import", "list"), default="list",
                        help="import FILE, or list the papers by year (the default)")
    parser.add_argument("file", nargs="?", type=Path, help="a BibTeX (.bib), CSL-JSON (.json) or RIS (.ris) export")


def _cite_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="*", help="a note (its listed papers) or a paper: title, prefix or id")
    parser.add_argument("--around", metavar="TITLE", help="the papers within --depth steps of this item instead")
    parser.add_argument("--depth", type=int, default=1, help="steps for --around (default 1)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the BibTeX here (default: standard output)")


LIBRARY_COMMANDS: CommandTable = {
    "library": ("import your reference library (BibTeX, CSL-JSON or RIS) or list its papers by year",
                cmd_library, _library_arguments),
    "cite": ("the BibTeX of a note's papers, a paper, or every paper around an item",
             cmd_cite, _cite_arguments),
}
"""Merged into notesgraph.cli.COMMANDS."""
