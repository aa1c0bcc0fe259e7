"""The `notesgraph` command: thin adapters over the core.

Each command opens the store, calls one core function and prints the result (as text, or
as JSON with --json). User errors become one clear line on stderr and an exit code:
0 all good, 1 something was skipped or not found, 2 the command could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from notesgraph import __version__
from notesgraph.config import bundled_notes_folder, default_db_path
from notesgraph.indexer import (
    CheckReport,
    IndexProgress,
    IndexReport,
    NotesFolderError,
    check_folder,
    index_folder,
)
from notesgraph.lookup import AmbiguousTitle, NoteNotFound, find_note_id
from notesgraph.store import Store, StoreError

EXIT_OK, EXIT_SKIPPED, EXIT_FAILED = 0, 1, 2


class ProgressBar:
    """A one-line progress bar on a terminal with rate and ETA; silent when not a terminal."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self.started = time.perf_counter()
        self.last_draw = 0.0

    def __call__(self, step: IndexProgress) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last_draw < 0.1 and step.done < step.total):
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-9)
        rate = step.done / elapsed
        eta = (step.total - step.done) / rate if rate else 0.0
        filled = int(30 * step.done / max(step.total, 1))
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] "
                          f"{step.done}/{step.total} {rate:.0f}/s ETA {eta:.0f}s ")
        if step.done >= step.total:
            self.stream.write("\n")
        self.stream.flush()


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _print_problems(problems: Sequence[Any]) -> None:
    for problem in problems:
        print(f"skipped {problem.describe()}", file=sys.stderr)


def _index_summary(report: IndexReport) -> str:
    parts = [f"indexed {report.folder}: {report.added} added, {report.updated} updated, "
             f"{report.unchanged} unchanged, {report.removed} removed"]
    if report.warnings:
        parts.append(f"{report.warnings} warnings (see `notesgraph show TITLE`)")
    if report.problems:
        parts.append(f"{len(report.problems)} files skipped")
    if report.ignored:
        parts.append(f"{len(report.ignored)} non-note files ignored")
    return "; ".join(parts) + f" in {report.seconds:.2f} s"


def _run_index(store: Store, folder: Path, quiet: bool = False) -> IndexReport:
    bar = ProgressBar(sys.stderr, "indexing") if not quiet else None
    return index_folder(store, folder, progress=bar)


def cmd_index(args: argparse.Namespace, store: Store) -> int:
    report = _run_index(store, Path(args.folder) if args.folder else bundled_notes_folder(), args.json)
    if args.json:
        _print_json(asdict(report))
    else:
        _print_problems(report.problems)
        print(_index_summary(report))
    return EXIT_SKIPPED if report.problems else EXIT_OK


def cmd_summary(args: argparse.Namespace, store: Store) -> int:
    """No command: index the bundled notes and summarise them (until the app exists)."""
    report = _run_index(store, bundled_notes_folder(), quiet=True)
    stats = store.stats()
    if args.json:
        _print_json({"index": asdict(report), "stats": stats, "notes": store.note_titles()})
        return EXIT_SKIPPED if report.problems else EXIT_OK
    _print_problems(report.problems)
    print(f"notesgraph {__version__} · {report.folder} · database {store.path}")
    print(_index_summary(report))
    print(_stats_text(stats))
    print("\nNotes:")
    for note in store.note_titles():
        print(f"  {note['title']}")
    print("\nTry: notesgraph show TITLE · notesgraph search TEXT · notesgraph --help")
    return EXIT_SKIPPED if report.problems else EXIT_OK


def _stats_text(stats: dict[str, int]) -> str:
    return (f"{stats['notes']} notes, {stats['inquiries']} inquiries ({stats['shared_inquiries']} shared), "
            f"{stats['papers']} papers ({stats['shared_papers']} shared), {stats['concept_links']} concept "
            f"links ({stats['resolved_concept_links']} resolved, {stats['unresolved_stubs']} unresolved "
            f"stubs), {stats['references']} in-body references, {stats['warnings']} warnings, "
            f"{stats['problem_files']} problem files")


def cmd_stats(args: argparse.Namespace, store: Store) -> int:
    stats = store.stats()
    if args.json:
        _print_json(stats)
    else:
        print(_stats_text(stats))
    return EXIT_OK


def cmd_show(args: argparse.Namespace, store: Store) -> int:
    note = store.note(find_note_id(store, " ".join(args.title)))
    if args.json:
        _print_json(note)
        return EXIT_OK
    print(note["title"])
    print(f"{note['path']} · {note['format']}" + (f" · tags: {', '.join(note['tags'])}" if note["tags"] else ""))
    for paragraph in note["paragraphs"]:
        print(f"\n{paragraph}")
    _print_section("Inquiry lines", [f"{q['text']}" + (f"  [{q['notes']} notes]" if q["notes"] > 1 else "")
                                     for q in note["inquiries"]])
    _print_section("Related concepts", [
        f"{c['title']}  {'-> note' if c['note_id'] else '(stub: no note yet)'}\n"
        + (f"       {c['description']}\n" if c["description"] else "")
        + f"       relation: {c['annotation'] or '-'}" for c in note["concepts"]])
    _print_section("Related papers", [f"{p['title']}" + (f"  [{p['notes']} notes]" if p["notes"] > 1 else "")
                                      for p in note["papers"]])
    _print_section("References in the text", [
        f"{r['kind']}: {r['text']}" + (f" -> {r['target']}" if r["target"] and r["target"] != r["text"] else "")
        for r in note["references"]])
    _print_section("Warnings", [f"line {w['line']}: {w['message']}" for w in note["warnings"]])
    return EXIT_OK


def _print_section(heading: str, items: list[str]) -> None:
    if not items:
        return
    print(f"\n{heading} ({len(items)})")
    for i, item in enumerate(items, 1):
        print(f"  {i:>3}. {item}")


def cmd_search(args: argparse.Namespace, store: Store) -> int:
    hits = store.search(" ".join(args.text), limit=args.limit)
    if args.json:
        _print_json(hits)
    elif not hits:
        print("no notes match", file=sys.stderr)
    else:
        for hit in hits:
            print(f"{hit['title']}\n    {hit['snippet']}")
    return EXIT_OK if hits else EXIT_SKIPPED


def cmd_check(args: argparse.Namespace, store: Store | None) -> int:
    """Check a folder; runs without a store so nothing is written."""
    report: CheckReport = check_folder(args.folder)
    if args.json:
        _print_json(asdict(report))
    else:
        for problem in report.problems:
            print(f"error   {problem.describe()}")
        for warning in report.warnings:
            print(f"warning {warning.describe()}")
        print(f"checked {report.folder}: {report.notes} notes parse, {len(report.problems)} files "
              f"would be skipped, {len(report.warnings)} warnings, {len(report.ignored)} non-note files ignored")
    return EXIT_SKIPPED if report.problems else EXIT_OK


def _folder_optional(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", help="notes folder (default: the bundled notes/)")


def _folder_required(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="notes folder to check")


def _title_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="+", help="title, title prefix or fragment")


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help="words to search for")
    parser.add_argument("--limit", type=int, default=20, help="most results to show (default 20)")


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


Command = Callable[[argparse.Namespace, Store], int]
Arguments = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str, Command, Arguments]] = {
    "index": ("index a notes folder (default: the bundled notes/), re-reading only what changed",
              cmd_index, _folder_optional),
    "show": ("show one note with its sections, references and warnings", cmd_show, _title_argument),
    "search": ("full-text search over note titles, ledes and bodies", cmd_search, _search_arguments),
    "stats": ("counts of everything in the index", cmd_stats, _no_arguments),
    "check": ("report every problem in a notes folder without writing anything",
              cmd_check, _folder_required),
}
"""name -> (help, handler, argument adder). A new command is one entry here, a handler and
a line in the README's command table (a test checks both)."""
NO_STORE = frozenset({"check"})
"""Commands that must not open (and so create) a database."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS,
                        help=f"database file (default: $NOTESGRAPH_DB or {default_db_path()})")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON")
    parser = argparse.ArgumentParser(
        prog="notesgraph", parents=[common],
        description="Turn a folder of research notes into one living graph. "
                    "With no command: index the bundled notes and summarise them.")
    parser.add_argument("--version", action="version", version=f"notesgraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, _, add_arguments) in COMMANDS.items():
        add_arguments(sub.add_parser(name, parents=[common], help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.json = getattr(args, "json", False)
    db_path = getattr(args, "db", None) or default_db_path()
    try:
        if args.command in NO_STORE:
            return COMMANDS[args.command][1](args, None)  # type: ignore[arg-type]
        with Store(db_path) as store:
            if args.command is None:
                return cmd_summary(args, store)
            return COMMANDS[args.command][1](args, store)
    except (NotesFolderError, StoreError) as error:
        print(f"notesgraph: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (NoteNotFound, AmbiguousTitle) as error:
        print(f"notesgraph: {error}", file=sys.stderr)
        return EXIT_SKIPPED
    except BrokenPipeError:
        # The reader went away (`notesgraph show X | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
