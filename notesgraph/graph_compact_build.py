"""Build a `CompactGraph` from the store, and keep it current.

Nodes, and the edges that need resolving (related, mentions, embeds, runs), come from
`notesgraph.graph._add_rows`, the same code that builds the networkx graph, with the edges
collected into columns instead of dicts (concepts and references streamed from SQLite in
chunks). The bulk of the edges (source_of: ~120 a note, and cites) is read from SQLite as
arrays (`Store.graph_link_arrays`) and mapped to node indices
with numpy, never a Python object per edge; claims (~9 a note) come as a `ClaimBlock` of
arrays. Cost at the generated 100k-note store: see benchmarks/bench_graph.py (README).

`refresh_compact` compares note versions with the store (one query) and, when a note was
added, changed or removed, builds the graph again (O(build), not O(change): arrays are not
edited in place); `set_similar` and `refresh_compact_runs` replace one edge kind and re-rank.
A large graph is saved beside the database and loaded while the store is unchanged
(`notesgraph.graph_cache`).
"""

from __future__ import annotations

import dataclasses
import gc
import time
from operator import itemgetter
from typing import Any

import numpy as np

from notesgraph.graph import (
    GraphChange,
    KnowledgeGraph,
    SimilarPairs,
    _add_rows,
    _add_runs,
    _collector_paused,
    note_changes,
    similar_rows,
)
from notesgraph import graph_cache
from notesgraph.graph_claims import ClaimBlock, NodeAttrs
from notesgraph.graph_compact import CompactGraph, EdgeTable, columns_of
from notesgraph.graph_nodes import _note_nodes
from notesgraph.paper_map import PAPER_EDGE_KINDS
from notesgraph.store import GraphRows, Store


def build_compact(store: Store, similar: SimilarPairs | None = None, cache: bool = True) -> CompactGraph:
    """The knowledge graph of everything in `store` as a `CompactGraph` (the same nodes,
    edges and rankings `build_graph` makes); `similar` as for `build_graph`. Without
    `similar`, a graph saved beside the database for the same state is loaded instead, and
    a large graph built here is saved (`notesgraph.graph_cache`; cache=False: neither)."""
    store.sync_derived()
    with _collector_paused(), store.snapshot():  # the streamed rows are read inside it
        key = graph_cache.fingerprint(store) if cache and similar is None else None
        loaded = graph_cache.load(store, key) if key is not None else None
        if loaded is not None:
            if loaded.graph["saved_key"] != key:
                refresh_compact_runs(loaded, store)  # a run started or ended since it was saved
                graph_cache.save(loaded, store, key)
        else:
            links = store.graph_link_arrays()
            read: list[Any] = [store.graph_rows(links=False, claims=False, stream=True),
                               (links, store.graph_claim_block()), store.library_paper_rows(),
                               store.paper_edge_rows(note_papers=links["note_papers"])]
            del links
            graph = _compact(read, similar)  # takes the rows out of `read`: freed before the ranking
    if loaded is not None:
        if gc.isenabled():  # as after a build (`_compact`): its objects pass one full collection
            gc.collect()    # here, on the caller's (worker) thread, not in one after a click
        return loaded
    graph.graph["store"] = store.path
    if key is not None:
        graph_cache.save(graph, store, key)
    return graph


def compact_from_rows(rows: GraphRows, links: dict[str, np.ndarray] | None = None,
                      similar: SimilarPairs | None = None) -> CompactGraph:
    """A `CompactGraph` of `rows`; `links` holds note_inquiries and note_papers as arrays
    (`Store.graph_link_arrays`), else they are taken from `rows`."""
    if links is None:
        links = {name: np.array(getattr(rows, name), dtype=np.int32).reshape(-1, 3)
                 for name in ("note_inquiries", "note_papers")}
        rows = GraphRows(rows.notes, rows.inquiries, rows.papers, [], [], rows.note_concepts,
                         rows.references, rows.claims, rows.runs)
    return _compact([rows, (links, ClaimBlock.from_rows(rows.claims)), [], []], similar)


def _compact(read: list[Any], similar: SimilarPairs | None) -> CompactGraph:
    """`compact_from_rows` on read = [rows, (links, claims), library papers, paper edges],
    emptied once the rows are used, so the caller's rows and the edge lists are freed before
    the ranking's big arrays are made. The library papers and paper-map edges (`cocited`,
    `shares_author`) are what `notesgraph.paper_map.set_paper_edges` adds to the networkx graph."""
    rows, bulk, library_papers, paper_edges = read
    read.clear()
    with _collector_paused():
        nodes = KnowledgeGraph()  # holds the nodes while `_add_rows` resolves links; edges go to `collected`
        collected: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        sink = lambda kind, edges: collected.setdefault(kind, []).extend(edges)  # noqa: E731
        # Claims (~9 a note) stay a block of arrays, their edges made as arrays; runs need them.
        _add_rows(nodes, dataclasses.replace(rows, claims=[], runs=[]), append=True, sink=sink)
        links, claims = bulk
        links = dict(links)  # copied: its arrays are popped below
        del bulk
        nodes._node = NodeAttrs(nodes._node, claims)
        _add_runs(nodes, rows.runs, sink)
        for ident, key, title in library_papers:  # listed by no note: only the library has them
            nodes._node.setdefault(f"paper:{ident}", {"kind": "paper", "label": title, "key": key})
        graph = CompactGraph(nodes._node)
        graph._pages, graph._inquiries, graph._runs = nodes._pages, nodes._inquiries, nodes._runs
        del nodes
        tables = [_table(graph, kind, collected.pop(kind)) for kind in list(collected) if collected[kind]]
        note_node = _id_lookup(graph, {i: node for i, node in _note_nodes(rows).items()})
        inquiry_node = _id_lookup(graph, {i: graph._inquiries.get(i, f"inquiry:{i}") for i, *_ in rows.inquiries})
        paper_node = _id_lookup(graph, {i: f"paper:{i}" for i, _, _ in rows.papers})
        # popped: each link array (12M x 3 int32 at 100k notes) is freed once its table is made
        tables.append(_link_table("source_of", links.pop("note_inquiries"), note_node, inquiry_node, "position"))
        tables.append(_link_table("cites", links.pop("note_papers"), note_node, paper_node, "rank"))
        tables.append(_claims_table(graph, claims, note_node, paper_node))
        for kind in PAPER_EDGE_KINDS:
            edges = [(f"paper:{a}", f"paper:{b}", {"count": count}) for a, b, k, count in paper_edges
                     if k == kind and f"paper:{a}" in graph.index and f"paper:{b}" in graph.index]
            tables.append(_table(graph, kind, edges))
        del rows, links, collected, paper_edges, claims
        if similar is not None:
            tables.append(similar_table(graph, similar))
        graph.set_tables(tables)
    if gc.isenabled():
        gc.collect()
    return graph


def _table(graph: CompactGraph, kind: str, edges: list[tuple[str, str, dict[str, Any]]]) -> EdgeTable:
    """An `EdgeTable` of (source, target, attrs) edges; the strengths follow from the columns
    (`EdgeTable.compute_strength`, once per distinct value), not one call per edge."""
    index = graph.index.__getitem__
    source = np.fromiter(map(index, map(itemgetter(0), edges)), dtype=np.int32, count=len(edges))
    target = np.fromiter(map(index, map(itemgetter(1), edges)), dtype=np.int32, count=len(edges))
    return EdgeTable(kind, source, target, columns_of(list(map(itemgetter(2), edges))))


def _id_lookup(graph: CompactGraph, nodes: dict[int, str]) -> np.ndarray:
    """Row id -> node index (-1: no node), as an array indexed by the id."""
    lookup = np.full(max(nodes, default=0) + 1, -1, dtype=np.int32)
    for ident, node in nodes.items():
        lookup[ident] = graph.index.get(node, -1)
    return lookup


def _claims_table(graph: CompactGraph, claims: ClaimBlock,
                  note_node: np.ndarray, paper_node: np.ndarray) -> EdgeTable:
    """`claims` edges as `_add_rows` makes them: note -> claim (its position) and claim ->
    the paper it reports, when that paper is a node (position 1). Claim nodes are numbered
    in id order, one block, so a claim's index is its place in the (id-sorted) block."""
    ids, notes, positions, papers = claims.ids, claims.notes, claims.positions, claims.papers
    if not len(ids):
        return EdgeTable("claims", np.zeros(0, np.int32), np.zeros(0, np.int32), {"position": positions})
    first = graph.index[f"claim:{ids[0]}"]
    claim_node = np.arange(first, first + len(ids), dtype=np.int32)
    paper = np.where((papers >= 0) & (papers < len(paper_node)), paper_node[np.clip(papers, 0, len(paper_node) - 1)], -1)
    reported = paper >= 0
    return EdgeTable("claims", np.concatenate([note_node[notes], claim_node[reported]]).astype(np.int32),
                     np.concatenate([claim_node, paper[reported]]).astype(np.int32),
                     {"position": np.concatenate([positions, np.ones(int(reported.sum()), dtype=np.int32)])})


def _link_table(kind: str, rows: np.ndarray, left: np.ndarray, right: np.ndarray, column: str) -> EdgeTable:
    """Edges from (note id, item id, order) rows: ids mapped to nodes, rows naming an id
    outside the graph or joining a node to itself (an inquiry that is the note) dropped."""
    def mapped(ids: np.ndarray, lookup: np.ndarray) -> np.ndarray:  # one int32 gather, -1 past the end
        if len(ids) and int(ids.max()) >= len(lookup):
            lookup = np.concatenate([lookup, np.full(int(ids.max()) + 1 - len(lookup), -1, dtype=np.int32)])
        return lookup.astype(np.int32, copy=False)[ids]

    source, target = mapped(rows[:, 0], left), mapped(rows[:, 1], right)
    keep = source >= 0
    keep &= target >= 0
    keep &= source != target
    if keep.all():
        return EdgeTable(kind, source, target, {column: rows[:, 2].astype(np.int32)})
    return EdgeTable(kind, source[keep], target[keep], {column: rows[keep, 2].astype(np.int32)})


def similar_table(graph: CompactGraph, pairs: SimilarPairs) -> EdgeTable:
    """`similar` edges as `set_similar_edges` makes them (see `similar_rows`)."""
    return _table(graph, "similar", similar_rows(pairs, graph.index))


def set_similar(graph: CompactGraph, pairs: SimilarPairs) -> int:
    """Replace every `similar` edge with `pairs`; returns how many were added. Re-ranks."""
    table = similar_table(graph, pairs)
    graph.set_tables([table])
    return len(table)


def refresh_compact_runs(graph: CompactGraph, store: Store) -> int:
    """Re-read the run nodes and their `replicated_by` edges (`refresh_runs` for a
    CompactGraph); returns how many run nodes there are. Re-ranks: O(E) vectorised."""
    old_runs = set(graph._runs)
    for node in old_runs:
        graph._node.pop(node, None)
    holder = KnowledgeGraph()
    holder._node = NodeAttrs({node: attrs for node, attrs in graph._node.plain.items() if attrs.get("kind") == "claim"},
                             graph._node.claims)
    collected: list[tuple[str, str, dict[str, Any]]] = []
    _add_runs(holder, store.run_graph_rows(), sink=lambda kind, edges: collected.extend(edges))
    runs = {node: attrs for node, attrs in holder._node.plain.items() if attrs.get("kind") == "run"}
    if set(runs) != old_runs:  # the same run nodes keep their indices: only their attributes change
        _renumber(graph, graph._node.copy_with({**graph._node.plain, **runs}))
    graph._node.update(runs)
    graph._runs = set(runs)
    graph.set_tables([_table(graph, "replicated_by", collected)])
    return len(runs)


def _renumber(graph: CompactGraph, node_attrs: NodeAttrs) -> None:
    """Give the graph a new node set (run nodes came or went), keeping every other edge
    whose ends stay: indices mapped through one array. O(nodes + edges), vectorised."""
    old_ids = graph.ids
    fresh = CompactGraph(node_attrs)
    mapping = np.array([fresh.index.get(node, -1) for node in old_ids], dtype=np.int32)
    graph.ids, graph.index, graph._node = fresh.ids, fresh.index, fresh._node
    kept = []
    for table in graph.tables.values():
        source, target = mapping[table.source], mapping[table.target]
        keep = np.flatnonzero((source >= 0) & (target >= 0))
        columns = {name: (col[keep] if isinstance(col, np.ndarray) else [col[k] for k in keep.tolist()])
                   for name, col in table.columns.items()}
        kept.append(EdgeTable(table.kind, source[keep], target[keep], columns,
                              None if table.strength is None else table.strength[keep]))
    graph.tables = {}
    graph.set_tables(kept)


def refresh_compact(graph: CompactGraph, store: Store, similar: SimilarPairs | None = None) -> tuple[CompactGraph, GraphChange]:
    """(the graph for `store` now, what changed): the same graph when no note was added,
    changed or removed (one query), else a new build (the counts say what changed)."""
    started = time.perf_counter()
    store.sync_derived()
    added, removed, updated = note_changes(graph, store.note_versions())
    if not (added or removed or updated):
        return graph, GraphChange(0, 0, 0, 0, time.perf_counter() - started)
    fresh = build_compact(store, similar)
    return fresh, GraphChange(len(added), len(updated), len(removed), 0, time.perf_counter() - started)
