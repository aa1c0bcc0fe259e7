"""The graph commands: neighbours, trace, path, export. networkx and pyvis are imported inside
the handlers only."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from notesgraph.cli.output import (EXIT_OK, EXIT_SKIPPED, CommandTable, plural, print_json, print_section, terminal_width,
                                   user_errors, wrapped)
from notesgraph.kinds import EDGE_KINDS, elide
from notesgraph.lookup import find_inquiry_item, find_item
from notesgraph.model import ITEM_KINDS
from notesgraph.store import Store

_graph_errors = user_errors({"notesgraph.graph:ItemNotInGraph": EXIT_SKIPPED,
                              "notesgraph.graph_queries:NoPath": EXIT_SKIPPED})
"""An item not in the graph, or two items with no path between them: exit 1."""


def _knowledge_graph(store: Store, args: argparse.Namespace) -> Any:
    """The store's knowledge graph (a CompactGraph); with --similar, plus similarity edges
    from stored vectors."""
    from notesgraph.graph_compact_build import build_compact

    similar = None
    if getattr(args, "similar", False):
        from notesgraph.similarity import similar_pairs

        similar = similar_pairs(store)
    return build_compact(store, similar)


def _shown(graph: Any, item: str) -> str:
    """The node that shows `item`: a note that is an inquiry's or a paper's page is that item's
    node, an inquiry whose text is a note's title that note's (see notesgraph.graph.node_of_item)."""
    from notesgraph.graph import node_of_item

    return node_of_item(graph, item)


@_graph_errors
def cmd_neighbours(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.graph_queries import neighbourhood

    item = find_item(store, " ".join(args.title))
    graph = _knowledge_graph(store, args)
    item = _shown(graph, item)
    hood = neighbourhood(graph, item, args.depth, kinds=args.kind, edge_kinds=args.edge,
                         max_nodes=args.max_nodes)
    if args.json:
        print_json(_neighbourhood_json(graph, item, hood))
    else:
        _print_neighbourhood(graph, item, hood)
    return EXIT_OK


def _neighbourhood_json(graph: Any, item: str, hood: Any) -> dict[str, Any]:
    label = lambda node: graph.nodes[node].get("label", node)  # noqa: E731
    return {"centre": item, "title": label(item), "depth": hood.depth,
            "left_out": hood.left_out, "left_out_exact": hood.left_out_exact,
            "nodes": [{"id": h.node, "kind": graph.nodes[h.node]["kind"], "label": label(h.node),
                       "depth": h.depth, "strength": round(h.strength, 4), "parent": h.parent,
                       "edge": h.edge, "outgoing": h.outgoing} for h in hood.hits]}


def _print_neighbourhood(graph: Any, item: str, hood: Any) -> None:
    label = lambda node: graph.nodes[node].get("label", node)  # noqa: E731
    more = hood.describe_left_out()
    print(wrapped(f"{label(item)}  [{item}] · depth {hood.depth} · {plural(len(hood.hits) - 1, 'neighbour')}"
                  + (f" · {more} (raise --max-nodes)" if more else ""), 2))
    for depth in range(1, hood.depth + 1):
        hits = [h for h in hood.hits if h.depth == depth]
        if hits:
            print(f"\nDepth {depth} ({len(hits)})")
        for h in hits:
            arrow = "->" if h.outgoing else "<-"
            via = f" via {elide(label(h.parent), 40)}" if depth > 1 and h.parent else ""
            tail = f"  [{h.node}]  ({arrow} {h.edge}{via})"
            room = max(30, terminal_width() - 11 - len(tail))  # the title gives way, never the id
            print(f"  {graph.nodes[h.node]['kind']:<8} {elide(label(h.node), room)}{tail}")


@_graph_errors
def cmd_trace(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.graph_queries import trace

    graph = _knowledge_graph(store, args)
    result = trace(graph, _shown(graph, find_inquiry_item(store, " ".join(args.inquiry))))
    if args.json:
        print_json(asdict(result))
        return EXIT_OK
    print(f"{result.text}  [{result.inquiry}]")
    print(f"\nSources ({len(result.sources)})")
    for i, source in enumerate(result.sources, 1):
        print(f"  {i:>3}. {source.title}  [{source.node}]  (its inquiry #{source.position})")
        for paper in source.papers:
            print(f"         rank {paper.rank}: {paper.title}  [{paper.node}]")
    print_section("Papers behind it", [f"{p.title}  [{p.node}]  (cited by {plural(p.cited_by, 'source')},"
                                       f" best rank {p.best_rank})" for p in result.papers])
    return EXIT_OK


@_graph_errors
def cmd_path(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.graph_queries import explain_step, path

    start, end = find_item(store, args.a), find_item(store, args.b)
    graph = _knowledge_graph(store, args)
    start, end = _shown(graph, start), _shown(graph, end)
    steps = path(graph, start, end, edge_kinds=args.edge)
    if args.json:
        print_json({"from": start, "to": end, "steps": [
            {"source": s.source, "target": s.target, "kind": s.kind, "forward": s.forward,
             "attrs": s.attrs, "text": explain_step(graph, s)} for s in steps]})
        return EXIT_OK
    label = lambda node: graph.nodes[node].get("label", node)  # noqa: E731
    print(f"{label(start)} [{start}]  ->  {label(end)} [{end}]: {plural(len(steps), 'step')}")
    for i, step in enumerate(steps, 1):
        print(f"  {i}. {explain_step(graph, step)}")
    return EXIT_OK


@_graph_errors
def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from notesgraph.export import select_export, write_export, write_export_file

    started = time.perf_counter()
    graph = _knowledge_graph(store, args)
    around = _shown(graph, find_item(store, args.around)) if args.around else None
    selection = select_export(graph, args.format, around, args.depth, args.edge, args.max_nodes, args.max_edges)
    target = args.output or f"notesgraph.{args.format}"
    if target == "-":
        _warn(write_export(graph, selection, args.format, sys.stdout))
        return EXIT_OK
    warnings = write_export_file(graph, selection, args.format, target)  # whole, or the old file stays
    _print_export_summary(args, target, selection, time.perf_counter() - started, warnings)
    return EXIT_OK


def _warn(warnings: list[str]) -> None:
    """Warnings go to stderr, once each: stdout may be the export itself (-o -) or JSON."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _print_export_summary(args: argparse.Namespace, target: str, selection: Any, seconds: float,
                          warnings: list[str]) -> None:
    _warn(warnings)
    summary = {"file": str(Path(target).resolve()), "format": args.format, "nodes": len(selection.nodes),
               "edges": len(selection.edges), "left_out_nodes": selection.left_out_nodes,
               "left_out_edges": selection.left_out_edges, "seconds": round(seconds, 3), "warnings": warnings}
    if args.json:
        print_json(summary)
        return
    left_out = selection.left_out_text()
    print(f"wrote {target}: {summary['nodes']:,} nodes, {summary['edges']:,} edges"
          f"{'; ' + left_out if left_out else ''} in {summary['seconds']:.2f} s")


# -- arguments ------------------------------------------------------------------------------------

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


GRAPH_COMMANDS: CommandTable = {
    "neighbours": ("everything within N steps of an item, nearest and strongest first", cmd_neighbours, _neighbours_arguments),
    "trace": ("an inquiry traced back to every note that is a source for it, with their papers",
              cmd_trace, _trace_arguments),
    "path": ("the shortest explained path between two items", cmd_path, _path_arguments),
    "export": ("export the knowledge graph: an offline HTML page, GEXF, GraphML or node-link JSON",
               cmd_export, _export_arguments),
}
"""Merged into notesgraph.cli.COMMANDS, in this order."""
