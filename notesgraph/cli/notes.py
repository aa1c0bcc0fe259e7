"""The note commands: app, summary, index, show, search, stats, check, and the similarity ones
(related, papers, search --semantic/--hybrid).

The embedding and similarity modules are imported inside the handlers: they load numpy, and
embedding loads torch (6-12 s); commands that do not need them should not pay for either.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from notesgraph import __version__
from notesgraph.kinds import elide
from notesgraph.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SKIPPED,
    CommandTable,
    ProgressBar,
    no_arguments,
    plural,
    print_json,
    wrapped,
    print_section,
    user_errors,
)
from notesgraph.config import bundled_notes_folder
from notesgraph.embeddings import MODEL_ENV
from notesgraph.indexer import CheckReport, IndexReport, check_folder, index_folder
from notesgraph.lookup import NoteNotFound, find_item, find_note_id
from notesgraph.model import split_item_id
from notesgraph.passages import EMBEDDED_KINDS
from notesgraph.store import Store
from notesgraph.system_libs import window_problem


def _print_problems(problems: Sequence[Any]) -> None:
    for problem in problems:
        print(f"skipped {problem.describe()}", file=sys.stderr)
    sys.stderr.flush()  # before the summary, whatever buffering stdout has


def _index_summary(report: IndexReport) -> str:
    parts = [f"indexed {report.folder}: {report.added} added, {report.updated} updated, "
             f"{report.unchanged} unchanged, {report.removed} removed"]
    if report.warnings:
        parts.append(f"{plural(report.warnings, 'warning')} (see `notesgraph show TITLE`)")
    if report.problems:
        parts.append(f"{plural(len(report.problems), 'file')} skipped (listed above)")
    if report.ignored:
        parts.append(f"{plural(len(report.ignored), 'non-note file')} ignored ({_ignored_kinds(report.ignored)};"
                     f" `notesgraph check {report.folder}` lists them)")
    return "; ".join(parts) + f" in {report.seconds:.2f} s"


def _ignored_kinds(ignored: Sequence[Any]) -> str:
    """'3 images, 1 a link ...': how many of each reason, most common first."""
    reasons = Counter(entry.reason.split(" (")[0] for entry in ignored)
    return ", ".join(f"{count} × {reason}" for reason, count in reasons.most_common(4)) + \
        (", …" if len(reasons) > 4 else "")


def _run_index(store: Store, folder: Path, quiet: bool = False) -> IndexReport:
    """Index with a progress bar; Ctrl+C asks the indexer to stop after the current file (the
    files done stay committed), instead of a KeyboardInterrupt somewhere inside it."""
    bar = ProgressBar(sys.stderr, "indexing") if not quiet else None
    with _interrupt_requests() as interrupted:
        return index_folder(store, folder, progress=bar, should_stop=interrupted)


@contextmanager
def _interrupt_requests() -> Iterator[Callable[[], bool]]:
    """While open, a first Ctrl+C (SIGINT) only sets a flag, which the yielded function reads;
    a second one interrupts as usual. Outside the main thread signals cannot be caught, so the
    flag simply never rises there."""
    asked: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def note(signum: int, frame: object) -> None:
        asked.append(signum)
        signal.signal(signal.SIGINT, previous)
        print("\nstopping after the current file (Ctrl+C again to abort) …", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, previous)


def _stopped_line(report: IndexReport) -> str:
    total = report.done + report.left
    return (f"stopped after {report.done} of {total} changed files; the other {report.left} are indexed "
            "the next time (notesgraph index)")


def cmd_index(args: argparse.Namespace, store: Store) -> int:
    report = _run_index(store, Path(args.folder) if args.folder else bundled_notes_folder(), args.json)
    skip_embed = args.no_embed or report.stopped  # stopped by Ctrl+C: do no more work
    embedded, embed_error = (None, None) if skip_embed else _run_embed(store, args.model, args.json)
    if args.json:
        print_json({**asdict(report), "embeddings": embedded and asdict(embedded), "embedding_error": embed_error})
    else:
        _print_problems(report.problems)
        print(_index_summary(report))
        if report.stopped:
            print(_stopped_line(report))
        _print_embed_report(embedded, embed_error)
    if embed_error:
        return EXIT_FAILED
    return EXIT_SKIPPED if report.problems or report.stopped else EXIT_OK


def cmd_app(args: argparse.Namespace, store: Store | None) -> int:
    """Open the desktop app (no command does this too). When no window can open (no display,
    one that does not answer, Qt's libraries missing), say why and print the summary instead."""
    folder = Path(args.folder) if getattr(args, "folder", None) else None
    screenshot = getattr(args, "screenshot", None)
    problem = window_problem()
    if problem is not None:
        print(f"notesgraph: {problem}", file=sys.stderr)
        if screenshot is not None:  # a picture was asked for: a summary is no answer
            print("notesgraph: no screenshot (set QT_QPA_PLATFORM=offscreen to take one without a display)",
                  file=sys.stderr)
            return EXIT_FAILED
        print("notesgraph: so here is a text summary instead (run it on a desktop)", file=sys.stderr)
        with Store(args.db_path) as opened:
            return cmd_summary(args, opened, folder)
    from notesgraph.ui.app import run_app  # Qt is imported only when the app starts (the one upward import)

    return run_app(folder, args.db_path, screenshot, embed=not getattr(args, "no_embed", False),
                   theme_name=getattr(args, "theme", None), depth=getattr(args, "depth", None))


def cmd_summary(args: argparse.Namespace, store: Store, folder: Path | None = None) -> int:
    """Index a folder (default: the bundled notes) and summarise it as text."""
    folder = folder or (Path(args.folder) if getattr(args, "folder", None) else None)
    report = _run_index(store, folder or bundled_notes_folder(), quiet=True)
    stats = store.stats()
    if args.json:
        print_json({"index": asdict(report), "stats": stats, "notes": store.note_titles()})
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
    return (f"{plural(stats['notes'], 'note')}, {plural(stats['inquiries'], 'inquiry', 'inquiries')} "
            f"({stats['shared_inquiries']} shared), {plural(stats['papers'], 'paper')} ({stats['shared_papers']} "
            f"shared), {plural(stats['concept_links'], 'concept link')} ({stats['resolved_concept_links']} to notes, "
            f"{stats['stub_concept_links']} to {plural(stats['unresolved_stubs'], 'stub')}: concepts with no note "
            f"yet), {plural(stats['references'], 'in-body reference')}, {plural(stats['warnings'], 'warning')}, "
            f"{plural(stats['problem_files'], 'problem file')}")


def cmd_stats(args: argparse.Namespace, store: Store) -> int:
    stats = store.stats()
    if args.json:
        print_json(stats)
    else:
        print(_stats_text(stats))
    return EXIT_OK


def cmd_show(args: argparse.Namespace, store: Store) -> int:
    kind, ident = split_item_id(find_item(store, " ".join(args.title)))
    item = _item_details(store, kind, ident)
    if args.json:
        print_json(item)
    elif kind == "note":
        _print_note(item)
    else:
        _print_item(kind, item)
    return EXIT_OK


def _item_details(store: Store, kind: str, ident: str) -> dict[str, Any]:
    """What `show` prints of an item: a note whole; an inquiry, paper or concept stub with the
    notes that list it. A typed id that names nothing is NoteNotFound."""
    read = {"note": lambda: store.note(int(ident)), "inquiry": lambda: store.inquiry(int(ident)),
            "paper": lambda: _paper_details(store, int(ident)), "concept": lambda: store.concept(ident)}
    try:
        return {"kind": kind, **read[kind]()}
    except (KeyError, ValueError):
        raise NoteNotFound(f"{kind}:{ident}", [], "item with the id") from None


def _paper_details(store: Store, paper_id: int) -> dict[str, Any]:
    """A paper with its library entry (as a dict, or None) and the papers co-cited or sharing authors."""
    page = store.paper_page(paper_id)
    return {**page, "entry": asdict(page["entry"]) if page["entry"] is not None else None}


def _print_paper(item: dict[str, Any]) -> None:
    print(f"{item['title']}  [paper:{item['id']}]")
    entry = item["entry"]
    if entry is not None:
        authors = ", ".join(f"{g} {f}".strip() if f != "others" else "et al." for f, g in entry["authors"])
        print(" · ".join(str(x) for x in (authors, entry["year"], entry["venue"]) if x))
        print(" · ".join([entry["citation_key"]] + [f"doi:{entry['doi']}"] * bool(entry["doi"])
                         + [f"arXiv:{entry['arxiv']}"] * bool(entry["arxiv"])))
        if entry["abstract"]:
            print(f"\n{wrapped(entry['abstract'], 0)}")
    print_section("Listed by", [f"{n['title']}  [note:{n['id']}]  (rank {n['rank']})" for n in item["notes"]])
    print_section("Co-cited with", [f"{p['title']}  [paper:{p['id']}]  ({p['count']} notes)" for p in item["cocited"]])
    print_section("Shares authors with", [f"{p['title']}  [paper:{p['id']}]" for p in item["shares_authors"]])


def _print_item(kind: str, item: dict[str, Any]) -> None:
    if kind == "inquiry":
        print(f"{item['text']}  [inquiry:{item['id']}]")
        print_section("Source notes", [f"{n['title']}  [note:{n['id']}]  (its inquiry #{n['position']})"
                                       for n in item["notes"]])
    elif kind == "paper":
        _print_paper(item)
    else:
        print(f"{item['title']}  [concept:{item['key']}]  (stub: no note yet)")
        if item["description"]:
            print(f"\n{item['description']}")
        print_section("Listed by", [f"{n['title']}  [note:{n['id']}]  (relation: {n['annotation'] or '-'})"
                                    for n in item["listed_by"]])


def _print_note(note: dict[str, Any]) -> None:
    print(f"{note['title']}  [note:{note['id']}]")
    print(f"{note['path']} · {note['format']}" + (f" · tags: {', '.join(note['tags'])}" if note["tags"] else ""))
    for paragraph in note["paragraphs"]:
        print(f"\n{wrapped(paragraph, 0)}")
    print_section("Inquiry lines", [f"{q['text']}  [inquiry:{q['id']}]" + (
        f"  (shared by {q['notes']} notes)" if q["notes"] > 1 else "") for q in note["inquiries"]])
    print_section("Related concepts", [
        f"{c['title']}  " + (f"[note:{c['note_id']}]" if c["note_id"] else f"[concept:{c['key']}] (stub: no note yet)")
        + "\n" + (f"       {c['description']}\n" if c["description"] else "")
        + f"       relation: {c['annotation'] or '-'}" for c in note["concepts"]])
    print_section("Related papers", [f"{p['title']}  [paper:{p['id']}]" + (
        f"  (listed by {p['notes']} notes)" if p["notes"] > 1 else "") for p in note["papers"]])
    print_section("References in the text", [
        f"{r['kind']}: {r['text']}" + (f" -> {r['target']}" if r["target"] and r["target"] != r["text"] else "")
        for r in note["references"]])
    print_section("Warnings", [f"line {w['line']}: {w['message']}" for w in note["warnings"]])


def cmd_search(args: argparse.Namespace, store: Store) -> int:
    if args.semantic or args.hybrid:
        return cmd_semantic_search(args, store)
    text = " ".join(args.text)
    if not text.strip():
        print("notesgraph: nothing to search for: give some words (notesgraph search WORDS)", file=sys.stderr)
        return EXIT_FAILED
    hits = store.search(text, limit=args.limit)
    if args.json:
        print_json(hits)
    elif not hits:
        print(f"no notes match {text!r}", file=sys.stderr)
    for hit in [] if args.json else hits:
        print(f"{hit['title']}  [note:{hit['id']}]\n    {hit['snippet']}")
    return EXIT_OK if hits else EXIT_SKIPPED


def cmd_check(args: argparse.Namespace, store: Store | None) -> int:
    """Check a folder; runs without a store so nothing is written."""
    report: CheckReport = check_folder(args.folder)
    if args.json:
        print_json(asdict(report))
    else:
        for problem in report.problems:
            print(f"error   {problem.describe()}")
        for warning in report.warnings:
            print(f"warning {warning.describe()}")
        for entry in report.ignored:
            print(f"ignored {entry.path}: {entry.reason}")
        print(f"checked {report.folder}: {report.notes} notes parse, {len(report.problems)} files "
              f"would be skipped, {len(report.warnings)} warnings, {len(report.ignored)} non-note files ignored")
    return EXIT_SKIPPED if report.problems else EXIT_OK


# -- embeddings and similarity ------------------------------------------------------------------

def _run_embed(store: Store, model: Path | None, quiet: bool) -> tuple[Any, str | None]:
    """The embedding step of `index`: (EmbedReport, None), or (report so far, error text)
    when the model is missing or broken. The full-text index is complete either way."""
    from notesgraph.embeddings import Encoder, ModelError, embed_store

    try:
        return embed_store(store, Encoder(model), progress=None if quiet else ProgressBar(sys.stderr, "embedding")), None
    except ModelError as error:
        return None, f"{error}; the full-text index is up to date, vectors were not updated"
    except KeyboardInterrupt:
        return None, "embedding interrupted; finished batches are kept, run `notesgraph index` to continue"


def _print_embed_report(report: Any, error: str | None) -> None:
    if report is not None:
        for warning in report.warnings:
            print(f"warning {warning}", file=sys.stderr)
        print(f"embedded {report.embedded} texts ({report.reused} reused from identical texts, "
              f"{report.unchanged} unchanged, {report.deleted} vectors dropped) with {report.model} "
              f"in {report.seconds:.2f} s")
    if error:
        print(f"notesgraph: {error}", file=sys.stderr)


_vector_errors = user_errors({"notesgraph.similarity:NotEmbedded": EXIT_SKIPPED,
                               "notesgraph.embeddings:ModelError": EXIT_FAILED})
"""Nothing embedded yet: exit 1; a missing or broken model folder: exit 2."""


@_vector_errors
def cmd_related(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.similarity import Similarity

    item = find_item(store, " ".join(args.title))
    matches = Similarity(store).related(item, kinds=args.kind, k=args.k, min_score=args.min_score,
                                        exclude_linked=not args.include_linked)
    title = store.item_labels([item]).get(item, item)
    if args.json:
        print_json({"item": item, "title": title, "related": [asdict(m) for m in matches]})
        return EXIT_OK if matches else EXIT_SKIPPED
    print(f"Related to {title}  [{item}]")
    if not matches:
        print("nothing related found (try another --kind, a lower --min-score, or --include-linked)",
              file=sys.stderr)
    for i, match in enumerate(matches, 1):
        print(f"  {i:>3}. {match.score:.3f}  {match.kind:<8} {match.title}  [{match.item}]")
        print(f"         why: its {match.why.query_part}: {elide(match.why.query_text, 85)}")
        print(f"         matches {match.why.match_part}: {elide(match.why.match_text, 85)}")
    return EXIT_OK if matches else EXIT_SKIPPED


@_vector_errors
def cmd_semantic_search(args: argparse.Namespace, store: Store) -> int:
    """`search --semantic` and `search --hybrid`."""
    from notesgraph.embeddings import Encoder
    from notesgraph.similarity import Similarity

    similarity = Similarity(store, Encoder(args.model) if args.model else None)
    search = similarity.hybrid_search if args.hybrid else similarity.search
    hits = search(" ".join(args.text), args.kind, args.limit)
    if args.json:
        print_json([asdict(hit) for hit in hits])
    for hit in [] if args.json else hits:
        print(_hybrid_line(hit) if args.hybrid else _semantic_line(hit))
    if not hits and not args.json:
        print("nothing matches", file=sys.stderr)
    return EXIT_OK if hits else EXIT_SKIPPED


def _hybrid_line(hit: Any) -> str:
    ranks = f"meaning #{hit.semantic_rank or '-'}, words #{hit.text_rank or '-'}"
    return f"{hit.title}  [{hit.kind}; {ranks}]" + (f"\n    {hit.snippet}" if hit.snippet else "")


def _semantic_line(match: Any) -> str:
    return (f"{match.score:.3f}  {match.kind:<8} {match.title}\n"
            f"       {match.why.match_part}: {elide(match.why.match_text, 100)}")


@_vector_errors
def cmd_papers(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.similarity import Similarity

    ranking = Similarity(store).paper_ranking(find_note_id(store, " ".join(args.title)))
    if args.json:
        print_json(asdict(ranking))
        return EXIT_OK
    print(f"Papers listed by {ranking.title}: the note's order beside ours (cosine to the note)")
    print("  given  ours   moved  cosine  paper")
    for paper in ranking.papers:
        if paper.our_rank is None:
            print(f"  {paper.given_rank:>5}     -       -       -  {paper.title}  (no vector yet)")
            continue
        moved = paper.given_rank - paper.our_rank
        print(f"  {paper.given_rank:>5}  {paper.our_rank:>4}  {moved:>+6}  {paper.score:.3f}  {paper.title}")
    rho = "n/a" if ranking.spearman is None else f"{ranking.spearman:+.2f}"
    print(f"Spearman rank correlation {rho} (+1 same order, 0 unrelated, -1 reversed); "
          "moved > 0: we rank it higher than the note does")
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

def _kind_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", action="append", choices=EMBEDDED_KINDS, metavar="KIND",
                        help=f"only these kinds ({', '.join(EMBEDDED_KINDS)}); repeat for several (default: all)")


def _model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, metavar="PATH",
                        help=f"a local sentence-transformers folder (default: ${MODEL_ENV}, else the bundled "
                             "all-MiniLM-L6-v2)")


def _index_arguments(parser: argparse.ArgumentParser) -> None:
    _folder_optional(parser)
    parser.add_argument("--no-embed", action="store_true",
                        help="skip the embedding step (full-text search still works; related/semantic need it)")
    _model_argument(parser)


def _related_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="+", help="note title, prefix or fragment; or an item id like paper:3")
    _kind_argument(parser)
    parser.add_argument("--k", type=int, default=10, help="how many to show (default 10)")
    parser.add_argument("--min-score", type=float, default=None, help="leave out anything below this cosine")
    parser.add_argument("--include-linked", action="store_true",
                        help="also show what is already linked to it (left out by default, as in the app)")
    parser.add_argument("--exclude-linked", action="store_true", help=argparse.SUPPRESS)  # the default now


def _folder_optional(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", help="notes folder (default: the bundled notes/)")


def _folder_required(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="notes folder to check")


def _title_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="+", help="title, title prefix or fragment")


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help="words to search for")
    parser.add_argument("--limit", type=int, default=20, help="most results to show (default 20)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--semantic", action="store_true",
                     help="search by meaning over notes, inquiries, papers and concepts (loads the model)")
    how.add_argument("--hybrid", action="store_true",
                     help="fuse the meaning ranking with the full-text ranking (reciprocal rank fusion)")
    _kind_argument(parser)
    _model_argument(parser)


def _app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", help="notes folder (default: the last one opened, else notes/)")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="index (and embed), save a picture of the window to PNG and exit")
    parser.add_argument("--no-embed", action="store_true",
                        help="do not compute embeddings (no Similar section or similar edges)")
    parser.add_argument("--theme", choices=("system", "light", "dark"),
                        help="colour theme (default: the one chosen last in View, else the system's)")
    parser.add_argument("--depth", type=int, choices=(1, 2, 3), help="the neighbourhood's depth to start with")


NOTE_COMMANDS: CommandTable = {
    "app": ("open the desktop app on a notes folder (what plain `notesgraph` does)", cmd_app, _app_arguments),
    "summary": ("index a notes folder (default: the bundled `notes/`) and print a text summary",
                cmd_summary, _folder_optional),
    "index": ("index a notes folder (default: the bundled `notes/`), then embed what is new or changed",
              cmd_index, _index_arguments),
    "show": ("one note, inquiry, paper or concept stub, with the ids of everything linked to it", cmd_show, _title_argument),
    "search": ("full-text search over titles, ledes and bodies, with snippets; --semantic by meaning, --hybrid both",
               cmd_search, _search_arguments),
    "stats": ("counts of everything in the index, each part named", cmd_stats, no_arguments),
    "related": ("the items closest in meaning to an item, each with why (already linked ones left out)",
                cmd_related, _related_arguments),
    "papers": ("a note's listed papers in its order beside our cosine ranking, with the rank correlation",
               cmd_papers, _title_argument),
    "check": ("report every problem, warning and ignored file in a notes folder without writing anything",
              cmd_check, _folder_required),
}
"""Merged into notesgraph.cli.COMMANDS, in this order."""
