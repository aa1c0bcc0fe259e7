"""The `notesgraph` command: thin adapters over the core.

Each command opens the store, calls one core function and prints the result (as text, or
as JSON with --json). User errors become one clear line on stderr and an exit code:
0 all good, 1 something was skipped or not found, 2 the command could not run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from notesgraph import __version__
from notesgraph.claims import describe_quantity, describe_source, stored_claims
from notesgraph.cli_output import EXIT_FAILED, EXIT_OK, EXIT_SKIPPED, ProgressBar, print_json, user_errors
from notesgraph.cli_runs import RUN_COMMANDS
from notesgraph.config import bundled_notes_folder, default_db_path
from notesgraph.indexer import (
    CheckReport,
    IndexReport,
    NotesFolderError,
    check_folder,
    index_folder,
)
from notesgraph.embeddings import MODEL_ENV
from notesgraph.kinds import EDGE_KINDS
from notesgraph.lookup import AmbiguousTitle, NoteNotFound, find_inquiry_id, find_note_id
from notesgraph.model import ITEM_KINDS, item_id, split_item_id
from notesgraph.passages import EMBEDDED_KINDS
from notesgraph.store import Store, StoreError

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


def _display_available() -> bool:
    """Whether a window can be shown (on Linux: an X or Wayland display, or a Qt platform)."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def cmd_app(args: argparse.Namespace, store: Store | None) -> int:
    """Open the desktop app (no command does this too); without a display, print the summary."""
    folder = Path(args.folder) if getattr(args, "folder", None) else None
    screenshot = getattr(args, "screenshot", None)
    if not _display_available() and screenshot is None:
        print("notesgraph: no display found, so here is a text summary instead "
              "(run it on a desktop, or set QT_QPA_PLATFORM=offscreen with --screenshot)", file=sys.stderr)
        with Store(args.db_path) as opened:
            return cmd_summary(args, opened, folder)
    from notesgraph.ui.app import run_app  # Qt is imported only when the app starts

    return run_app(folder, args.db_path, screenshot, embed=not getattr(args, "no_embed", False))


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
    return (f"{stats['notes']} notes, {stats['inquiries']} inquiries ({stats['shared_inquiries']} shared), "
            f"{stats['papers']} papers ({stats['shared_papers']} shared), {stats['concept_links']} concept "
            f"links ({stats['resolved_concept_links']} resolved, {stats['unresolved_stubs']} unresolved "
            f"stubs), {stats['references']} in-body references, {stats['warnings']} warnings, "
            f"{stats['problem_files']} problem files")


def cmd_stats(args: argparse.Namespace, store: Store) -> int:
    stats = store.stats()
    if args.json:
        print_json(stats)
    else:
        print(_stats_text(stats))
    return EXIT_OK


def cmd_show(args: argparse.Namespace, store: Store) -> int:
    note = store.note(find_note_id(store, " ".join(args.title)))
    if args.json:
        print_json(note)
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
    if args.semantic or args.hybrid:
        return cmd_semantic_search(args, store)
    hits = store.search(" ".join(args.text), limit=args.limit)
    if args.json:
        print_json(hits)
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
        print_json(asdict(report))
    else:
        for problem in report.problems:
            print(f"error   {problem.describe()}")
        for warning in report.warnings:
            print(f"warning {warning.describe()}")
        print(f"checked {report.folder}: {report.notes} notes parse, {len(report.problems)} files "
              f"would be skipped, {len(report.warnings)} warnings, {len(report.ignored)} non-note files ignored")
    return EXIT_SKIPPED if report.problems else EXIT_OK


# -- embeddings and similarity ------------------------------------------------------------------
# The core modules are imported inside the handlers: they load numpy, and embedding loads
# torch (6-12 s); commands that do not need them should not pay for either.


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

def _excerpt(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def _item_of(store: Store, words: Sequence[str]) -> str:
    """An item id typed as such ("paper:3", "concept:some title"), else the note TITLE names."""
    text = " ".join(words)
    try:
        kind, ident = split_item_id(text)
        if kind == "concept" or ident.isdigit():
            return item_id(kind, ident)
    except ValueError:
        pass
    return item_id("note", find_note_id(store, text))


@_vector_errors
def cmd_related(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.similarity import Similarity

    item = _item_of(store, args.title)
    matches = Similarity(store).related(item, kinds=args.kind, k=args.k, min_score=args.min_score,
                                        exclude_linked=args.exclude_linked)
    title = store.item_labels([item]).get(item, item)
    if args.json:
        print_json({"item": item, "title": title, "related": [asdict(m) for m in matches]})
        return EXIT_OK if matches else EXIT_SKIPPED
    print(f"Related to {title}  [{item}]")
    if not matches:
        print("nothing related found (try another --kind, a lower --min-score, or no --exclude-linked)",
              file=sys.stderr)
    for i, match in enumerate(matches, 1):
        print(f"  {i:>3}. {match.score:.3f}  {match.kind:<8} {match.title}")
        print(f"         why: {match.why.query_part}: {_excerpt(match.why.query_text, 90)}")
        print(f"          ~   {match.why.match_part}: {_excerpt(match.why.match_text, 90)}")
    return EXIT_OK if matches else EXIT_SKIPPED


@_vector_errors
def cmd_semantic_search(args: argparse.Namespace, store: Store) -> int:
    """`search --semantic` and `search --hybrid`."""
    from notesgraph.embeddings import Encoder
    from notesgraph.similarity import Similarity

    similarity = Similarity(store, Encoder(args.model) if args.model else None)
    text = " ".join(args.text)
    if args.hybrid:
        fused = similarity.hybrid_search(text, args.kind, args.limit)
        if args.json:
            print_json([asdict(hit) for hit in fused])
        for hit in [] if args.json else fused:
            ranks = f"meaning #{hit.semantic_rank or '-'}, words #{hit.text_rank or '-'}"
            print(f"{hit.title}  [{hit.kind}; {ranks}]" + (f"\n    {hit.snippet}" if hit.snippet else ""))
        found = bool(fused)
    else:
        matches = similarity.search(text, args.kind, args.limit)
        if args.json:
            print_json([asdict(match) for match in matches])
        for match in [] if args.json else matches:
            print(f"{match.score:.3f}  {match.kind:<8} {match.title}\n"
                  f"       {match.why.match_part}: {_excerpt(match.why.match_text, 100)}")
        found = bool(matches)
    if not found and not args.json:
        print("nothing matches", file=sys.stderr)
    return EXIT_OK if found else EXIT_SKIPPED


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
    parser.add_argument("--exclude-linked", action="store_true",
                        help="leave out what is already linked to it (concepts, papers, inquiries, links)")


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


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", help="notes folder (default: the last one opened, else notes/)")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="index (and embed), save a picture of the window to PNG and exit")
    parser.add_argument("--no-embed", action="store_true",
                        help="do not compute embeddings (no Similar section or similar edges)")


# -- graph commands ---------------------------------------------------------------------------
# neighbours, trace, path, export: networkx and pyvis are imported inside the handlers only.


_graph_errors = user_errors({"notesgraph.graph:ItemNotInGraph": EXIT_SKIPPED,
                              "notesgraph.graph_queries:NoPath": EXIT_SKIPPED})
"""An item not in the graph, or two items with no path between them: exit 1."""

def _knowledge_graph(store: Store, args: argparse.Namespace) -> Any:
    """The store's knowledge graph; with --similar, plus similarity edges from stored vectors."""
    from notesgraph.graph import build_graph

    similar = None
    if getattr(args, "similar", False):
        from notesgraph.similarity import similar_pairs

        similar = similar_pairs(store)
    return build_graph(store, similar)


@_graph_errors
def cmd_neighbours(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.graph_queries import neighbourhood

    item = _item_of(store, args.title)
    graph = _knowledge_graph(store, args)
    hood = neighbourhood(graph, item, args.depth, kinds=args.kind, edge_kinds=args.edge,
                         max_nodes=args.max_nodes)
    label = lambda node: graph.nodes[node].get("label", node)  # noqa: E731
    if args.json:
        print_json({"centre": item, "title": label(item), "depth": hood.depth,
                     "left_out": hood.left_out, "left_out_exact": hood.left_out_exact,
                     "nodes": [{"id": h.node, "kind": graph.nodes[h.node]["kind"], "label": label(h.node),
                                "depth": h.depth, "strength": round(h.strength, 4), "parent": h.parent,
                                "edge": h.edge, "outgoing": h.outgoing} for h in hood.hits]})
        return EXIT_OK
    more = hood.describe_left_out()
    print(f"{label(item)}  ({item}) · depth {hood.depth} · {len(hood.hits) - 1} neighbours"
          + (f" · {more} (raise --max-nodes)" if more else ""))
    for depth in range(1, hood.depth + 1):
        hits = [h for h in hood.hits if h.depth == depth]
        if hits:
            print(f"\nDepth {depth} ({len(hits)})")
        for h in hits:
            arrow = "->" if h.outgoing else "<-"
            via = f" via {_excerpt(label(h.parent), 40)}" if depth > 1 and h.parent else ""
            print(f"  {graph.nodes[h.node]['kind']:<8} {_excerpt(label(h.node), 90)}  [{arrow} {h.edge}{via}]")
    return EXIT_OK


@_graph_errors
def cmd_trace(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.graph_queries import trace

    text = " ".join(args.inquiry)
    try:
        kind, ident = split_item_id(text)
        item = item_id("inquiry", ident) if kind == "inquiry" and ident.isdigit() else ""
    except ValueError:
        item = ""
    item = item or item_id("inquiry", find_inquiry_id(store, text))
    result = trace(_knowledge_graph(store, args), item)
    if args.json:
        print_json(asdict(result))
        return EXIT_OK
    print(f"{result.text}  ({result.inquiry})")
    print(f"\nSources ({len(result.sources)})")
    for i, source in enumerate(result.sources, 1):
        print(f"  {i:>3}. {source.title}  (its inquiry #{source.position})")
        for paper in source.papers:
            print(f"         rank {paper.rank}: {paper.title}")
    _print_section("Papers behind it", [f"{p.title}  [cited by {p.cited_by} source{'s' if p.cited_by > 1 else ''},"
                                        f" best rank {p.best_rank}]" for p in result.papers])
    return EXIT_OK


@_graph_errors
def cmd_path(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.graph_queries import explain_step, path

    start, end = _item_of(store, [args.a]), _item_of(store, [args.b])
    graph = _knowledge_graph(store, args)
    steps = path(graph, start, end, edge_kinds=args.edge)
    if args.json:
        print_json({"from": start, "to": end, "steps": [
            {"source": s.source, "target": s.target, "kind": s.kind, "forward": s.forward,
             "attrs": s.attrs, "text": explain_step(graph, s)} for s in steps]})
        return EXIT_OK
    label = lambda node: graph.nodes[node].get("label", node)  # noqa: E731
    print(f"{label(start)}  ->  {label(end)}: {len(steps)} step{'s' if len(steps) != 1 else ''}")
    for i, step in enumerate(steps, 1):
        print(f"  {i}. {explain_step(graph, step)}")
    return EXIT_OK


@_graph_errors
def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.export import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, select_all, select_around, write_export
    from notesgraph.graph_queries import DEFAULT_MAX_NODES as AROUND_MAX_NODES
    from notesgraph.graph_queries import neighbourhood

    started = time.perf_counter()
    graph = _knowledge_graph(store, args)
    html_page = args.format == "html"
    max_edges = args.max_edges if args.max_edges is not None else (DEFAULT_MAX_EDGES if html_page else None)
    if args.around:
        hood = neighbourhood(graph, _item_of(store, [args.around]), args.depth, edge_kinds=args.edge,
                             max_nodes=args.max_nodes or AROUND_MAX_NODES)
        selection = select_around(graph, hood, max_edges)
    else:
        max_nodes = args.max_nodes if args.max_nodes is not None else (DEFAULT_MAX_NODES if html_page else None)
        selection = select_all(graph, max_nodes, max_edges, args.edge)
    target = args.output or f"notesgraph.{args.format}"
    if target == "-":
        write_export(graph, selection, args.format, sys.stdout)
        return EXIT_OK
    with open(target, "w", encoding="utf-8", newline="\n") as stream:
        write_export(graph, selection, args.format, stream)
    summary = {"file": str(Path(target).resolve()), "format": args.format, "nodes": len(selection.nodes),
               "edges": len(selection.edges), "left_out_nodes": selection.left_out_nodes,
               "left_out_edges": selection.left_out_edges, "seconds": round(time.perf_counter() - started, 3)}
    if args.json:
        print_json(summary)
    else:
        left_out = selection.left_out_text()
        print(f"wrote {target}: {summary['nodes']:,} nodes, {summary['edges']:,} edges"
              f"{'; ' + left_out if left_out else ''} in {summary['seconds']:.2f} s")
    return EXIT_OK


def _graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--edge", action="append", choices=EDGE_KINDS, metavar="EDGE",
                        help=f"follow only these edge kinds ({', '.join(EDGE_KINDS)}); repeat for several")
    parser.add_argument("--similar", action="store_true",
                        help="add similarity edges from the stored embeddings (run `notesgraph index` first)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _neighbours_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="+", help="note title, prefix or fragment; or an item id like inquiry:7")
    parser.add_argument("--depth", type=int, choices=(1, 2, 3), default=1, help="how many steps out (default 1)")
    parser.add_argument("--kind", action="append", choices=ITEM_KINDS, metavar="KIND",
                        help=f"only these node kinds ({', '.join(ITEM_KINDS)}); repeat for several")
    parser.add_argument("--max-nodes", type=_positive, default=200,
                        help="keep the nearest and strongest N, the centre included (default 200)")
    _graph_options(parser)


def _trace_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inquiry", nargs="+", help="inquiry text, prefix or fragment; or an id like inquiry:7")


def _path_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="note title (quoted), prefix or fragment; or an item id like paper:3")
    parser.add_argument("b", help="the other end, the same way")
    _graph_options(parser)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("html", "gexf", "graphml", "json"), default="html",
                        help="html: a standalone page that works offline; gexf (Gephi), graphml (yEd), "
                             "json (node-link) carry every attribute (default html)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="where to write (default notesgraph.FORMAT here; - for standard output)")
    parser.add_argument("--around", metavar="TITLE", help="export the neighbourhood of this note (or item id)")
    parser.add_argument("--depth", type=int, choices=(1, 2, 3), default=2, help="with --around (default 2)")
    parser.add_argument("--max-nodes", type=_positive, default=None,
                        help="cap the nodes (default: 10,000 for html, all for the others; 200 with --around)")
    parser.add_argument("--max-edges", type=_positive, default=None,
                        help="cap the edges, strongest kept (default: 30,000 for html, all for the others)")
    _graph_options(parser)


# -- claims -------------------------------------------------------------------------------------

def cmd_claims(args: argparse.Namespace, store: Store) -> int:
    """`claims [TITLE]`: each claim with its position, quantities, source, replications, status."""
    note_ids = [find_note_id(store, " ".join(args.title))] if args.title else None
    found = stored_claims(store, note_ids)
    if args.json:
        print_json([{"id": c.id, "item": c.item, "note_id": c.note_id, "note": c.note_title,
                      **asdict(c.claim), "paper_id": c.paper_id, "source_note_id": c.source_note_id,
                      "replications": list(c.replications), "status": c.status} for c in found])
    elif not found:
        print("no claims found" + ("" if args.title else " (run `notesgraph index` first)"), file=sys.stderr)
    current = None
    for number, stored in enumerate([] if args.json else found, 1):
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
        print(f"       replications: {', '.join(stored.replications) or 'none yet'} · status: {stored.status}")
    return EXIT_OK if found else EXIT_SKIPPED


def _claims_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("title", nargs="*", help="note title, prefix or fragment (default: every note)")


Command = Callable[[argparse.Namespace, Store], int]
Arguments = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str, Command, Arguments]] = {
    "app": ("open the desktop app on a notes folder (what plain `notesgraph` does)", cmd_app, _app_arguments),
    "summary": ("index a notes folder (default: the bundled notes/) and print a text summary",
                cmd_summary, _folder_optional),
    "index": ("index a notes folder (default: the bundled notes/), re-reading only what changed",
              cmd_index, _index_arguments),
    "show": ("show one note with its sections, references and warnings", cmd_show, _title_argument),
    "search": ("full-text search over note titles, ledes and bodies; --semantic by meaning, --hybrid both",
               cmd_search, _search_arguments),
    "stats": ("counts of everything in the index", cmd_stats, _no_arguments),
    "related": ("the notes, inquiries, papers and concepts closest in meaning to a note, with why",
                cmd_related, _related_arguments),
    "papers": ("a note's listed papers in its order beside our cosine ranking, with the rank correlation",
               cmd_papers, _title_argument),
    "check": ("report every problem in a notes folder without writing anything",
              cmd_check, _folder_required),
    "neighbours": ("the notes, concepts, inquiries and papers within N steps of a note, nearest and "
                   "strongest first", cmd_neighbours, _neighbours_arguments),
    "trace": ("an inquiry traced back to every note that is a source for it, with their papers",
              cmd_trace, _trace_arguments),
    "path": ("the shortest explained path between two notes (or any two items)", cmd_path, _path_arguments),
    "export": ("export the knowledge graph: an offline HTML page, GEXF, GraphML or node-link JSON",
               cmd_export, _export_arguments),
    "claims": ("the quantitative claims of a note (or of every note) with their values, paper and status",
               cmd_claims, _claims_arguments),
    **RUN_COMMANDS,
}
"""name -> (help, handler, argument adder). A new command is one entry here, a handler and
a line in the README's command table (a test checks both)."""
NO_STORE = frozenset({"check", "app", "experiments"})
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
    args.db_path = db_path
    try:
        if args.command is None:
            return cmd_app(args, None)
        if args.command in NO_STORE:
            return COMMANDS[args.command][1](args, None)  # type: ignore[arg-type]
        with Store(db_path) as store:
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
