"""The knowledge graph: typed nodes and edges built from the store, kept current incrementally.

Nodes are item ids (`notesgraph.model.item_id`): ``note:12``, ``inquiry:7``, ``paper:3`` and
``concept:<normalised title>`` for an unresolved stub (a related concept, wiki link or mention
with no note of its own yet). Every node has ``kind`` and ``label``; notes also carry title,
key, stem_key, lede (its first 300 characters), path, format and content_hash; papers their
key; stubs a description.

Edges live in a MultiDiGraph keyed by their kind (``graph.edges(keys=True)``; the key is the
kind), so an explicit link and a similarity edge between the same two notes never merge.
Attributes per kind (the exports add ``kind`` to each edge):

============  ===========================  ==================================================
kind          direction                    attributes
============  ===========================  ==================================================
related       note -> note or concept      order (1-based list order), annotation
mentions      note -> note/concept/paper   count, via (mention, wiki_link, md_link, quoted_title), text
embeds        note -> note/concept         count, text (an Obsidian transclusion ``![[note]]``)
cites         note -> paper                rank (1-based)
source_of     note -> inquiry              position (1-based list order)
claims        note -> claim, claim -> paper position
replicated_by claim -> run                 order (1 = the claim's newest run)
cocited       paper -> paper               count (notes listing both), from notesgraph.paper_map
shares_author paper -> paper               count (shared authors), from notesgraph.paper_map
similar       item -> item                 weight (cosine), from notesgraph.similarity
============  ===========================  ==================================================

Claims (``claim:<id>``) and replication runs that test a stored claim (``run:<id>``, label
"experiment · status · run id") are nodes too; `refresh_runs` keeps the run nodes current
when a run starts or finishes (runs are few, so it simply re-reads them).

`edge_strength` ranks edges for capped neighbourhoods: the kinds above are tiers in that
order (deliberate links first, similarity last) and within a kind the list order, rank,
mention count or cosine decides. Every node keeps its incident edges sorted by strength
(`ranking`), filled while building and maintained by `refresh_graph`, so a capped
neighbourhood reads the first few neighbours of a hub instead of sorting thousands. Both live
in `notesgraph.graph_ranking` (with the edge writes that keep rankings in order) and are
re-exported here.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import networkx as nx

from notesgraph.graph_nodes import _PAGE_KINDS, _inquiry_nodes, _note_nodes, node_of_item, node_of_note, note_of_node
from notesgraph.graph_ranking import (  # re-exported too: callers import the ranking names from here
    ItemNotInGraph,
    _add_edges,
    _ranking_from_adjacency,
    _remove_edge,
    _tier,
    code_kind,
    code_outgoing,
    edge_order_key,
    edge_strength,
    entry_attrs,
    entry_strength,
    node_sort_key,
    ranking,
)
from notesgraph.kinds import EDGE_KINDS, elide
from notesgraph.links import LinkResolver
from notesgraph.model import item_id, normalise_title
from notesgraph.paper_map import set_paper_edges
from notesgraph.store import GraphRows, Store

NODE_KINDS: tuple[str, ...] = ("note", "concept", "inquiry", "paper")
"""The node kinds of the notes themselves (claims and runs hang off notes' claims)."""
_LEDE_CHARS = 300

SimilarPairs = Iterable[tuple[str, str, float]]
"""(item id, item id, cosine) as `notesgraph.similarity.similar_pairs` returns them."""


# -- the graph -----------------------------------------------------------------------------------


class KnowledgeGraph(nx.MultiDiGraph):
    """A MultiDiGraph of notes, concepts, inquiries and papers with edges keyed by kind.

    Besides networkx's adjacency it keeps each node's incident edges sorted by strength
    (`ranking`). Changing edges through the networkx API (add_edge, remove_node, ...) drops
    that ranking; it is then rebuilt per node when a query first needs it. Build one with
    `build_graph`; keep it current with `refresh_graph`.
    """

    def __init__(self, incoming_graph_data: Any = None, **attr: Any) -> None:
        self._ranked: dict[str, list[Any]] = {}
        self._similar: list[tuple[str, str]] | None = []
        """The similar edges set_similar_edges added (None: unknown, scan for them)."""
        self._runs: set[str] = set()
        """The run nodes, so `refresh_runs` never scans the whole graph for them."""
        self._pages: dict[int, str] = {}
        """note id -> the inquiry or paper node that note is the page of (see `node_of_note`)."""
        self._inquiries: dict[int, str] = {}
        """inquiry id -> the note node that shows it (its text is the note's title)."""
        super().__init__(incoming_graph_data, **attr)

    def _drop_ranking(self) -> None:
        self._ranked.clear()
        self._similar = None


def _dropping_ranking(name: str) -> Any:
    method = getattr(nx.MultiDiGraph, name)

    def wrapper(self: KnowledgeGraph, *args: Any, **kwargs: Any) -> Any:
        self._drop_ranking()
        return method(self, *args, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


for _name in ("add_edge", "add_edges_from", "remove_edge", "remove_edges_from", "remove_node",
              "remove_nodes_from", "clear", "clear_edges", "update"):
    setattr(KnowledgeGraph, _name, _dropping_ranking(_name))


# -- building -------------------------------------------------------------------------------


def _add_node(graph: KnowledgeGraph, node: str, attrs: dict[str, Any]) -> None:
    if node in graph._node:
        graph._node[node].update(attrs)
    else:
        graph._node[node] = attrs
        graph._succ[node] = {}
        graph._pred[node] = {}


def _note_attrs(row: Sequence[Any]) -> dict[str, Any]:
    note_id, key, stem_key, title, lede, path, fmt, content_hash, page = row
    lede = elide(lede, _LEDE_CHARS, one_line=False)
    attrs = {"kind": "note", "label": title, "title": title, "key": key, "stem_key": stem_key,
             "lede": lede, "path": path, "format": fmt, "content_hash": content_hash}
    if page in _PAGE_KINDS:  # an inquiry's or a paper's own page: its item's node carries it
        del attrs["kind"], attrs["label"]
        attrs["page"] = note_id
    return attrs


class _Resolver:
    """Finds what a title, link or quoted paper title names: a note, a paper or a stub."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.links = LinkResolver((node, attrs["path"], attrs.get("key") or normalise_title(attrs["title"]))
                                  for node, attrs in graph._node.items() if "path" in attrs)
        self.papers = {attrs["key"]: node for node, attrs in graph._node.items()
                       if attrs.get("kind") == "paper" and "key" in attrs}

    def concept(self, key: str) -> str:
        """The note with this normalised title, else the stub's id."""
        return self.links.by_title(key) or item_id("concept", key)

    def link(self, kind: str, target: str, source_path: str) -> tuple[str, str]:
        """(node, stub title) a link or mention names: a link's file as Obsidian resolves it,
        a mention's note by title; else a stub (its title returned so it can be created)."""
        if kind == "mention":
            node = self.links.by_title(normalise_title(target))
            title = target
        else:
            node = self.links.resolve(target, source_path)
            title = PurePath(target).name
        if node is not None:
            return node, ""
        return item_id("concept", normalise_title(title)), title


_LINK_KINDS = frozenset({"wiki_link", "md_link", "embed"})
"""Reference kinds that name a note by its file (resolved by notesgraph.links)."""


EdgeSink = Callable[[str, Iterable[tuple[str, str, dict[str, Any]]]], None]
"""Takes the edges of one kind, (source, target, attrs): `notesgraph.graph_compact_build`'s
collector; the KnowledgeGraph's own is `_add_edges`."""


def _add_rows(graph: KnowledgeGraph, rows: GraphRows, append: bool, sink: EdgeSink | None = None) -> None:
    """Add the notes, inquiries and papers in `rows` with every edge the notes start. With
    `sink`, nodes go into `graph` and the edges to `sink` (kinds in tier order), not into it."""
    def add(kind: str, edges: Iterable[tuple[str, str, dict[str, Any]]], in_order: bool = False) -> None:
        if sink is None:
            _add_edges(graph, kind, edges, append, in_order=in_order)
        else:
            sink(kind, edges)

    # One id string per item, shared by the node and all its edges (memory, and dict lookups
    # that hit on identity).
    notes = _note_nodes(rows)
    inquiries = _inquiry_nodes(graph, rows, notes)
    papers = {ident: f"paper:{ident}" for ident, _, _ in rows.papers}
    for ident, text, _ in rows.inquiries:
        if inquiries[ident].startswith("inquiry:"):
            _add_node(graph, inquiries[ident], {"kind": "inquiry", "label": text})
    for ident, key, title in rows.papers:
        _add_node(graph, papers[ident], {"kind": "paper", "label": title, "key": key})
    for row in rows.notes:
        node = notes[row[0]]
        attrs = _note_attrs(row)
        if not node.startswith("note:"):
            graph._pages[row[0]] = node
            attrs.pop("kind", None), attrs.pop("label", None)
            attrs["page"] = row[0]
            attrs.pop("key", None) if node.startswith("paper:") else None
        elif "page" in attrs:  # a page whose item is gone: a plain note after all
            attrs.update(kind="note", label=attrs["title"])
            del attrs["page"]
        _add_node(graph, node, attrs)
    resolve = _Resolver(graph)

    related: list[tuple[str, str, dict[str, Any]]] = []
    for note_id, key, title, description, annotation, position in rows.note_concepts:
        source, target = notes[note_id], resolve.concept(key)
        if target == source:
            continue
        if target.startswith("concept:"):
            _ensure_stub(graph, target, title, description)
        related.append((source, target, {"order": position, "annotation": annotation}))

    mentioned: dict[tuple[str, str], dict[str, Any]] = {}
    embedded: dict[tuple[str, str], dict[str, Any]] = {}
    link_span = (0, -1, 0, 0)  # the last wiki link: a title mention inside it is the same reference
    for note_id, kind, text, target, target_key, paragraph, start, end in rows.references:
        source = notes[note_id]
        if kind in _LINK_KINDS:
            link_span = (note_id, paragraph, start, end)
        elif kind == "mention" and link_span[:2] == (note_id, paragraph) \
                and link_span[2] <= start < link_span[3]:
            continue
        if kind == "quoted_title":
            node = resolve.papers.get(normalise_title(target))
            if node is None:
                continue
        else:
            node, stub_title = resolve.link(kind, target, graph._node[source]["path"])
            if node == "concept:":
                continue
            if stub_title:
                _ensure_stub(graph, node, stub_title, "")
        if node == source:
            continue
        if kind == "embed":
            attrs = embedded.setdefault((source, node), {"count": 0, "text": text})
            attrs["count"] += 1
            continue
        attrs = mentioned.get((source, node))
        if attrs is None:
            mentioned[(source, node)] = {"count": 1, "via": kind, "text": text}
        else:
            attrs["count"] += 1
            if kind not in attrs["via"].split(","):
                attrs["via"] += "," + kind

    if append and sink is None:  # every node gets a ranking, so appending fills them all; inquiries below
        for node, attrs in graph._node.items():
            if attrs["kind"] != "inquiry":
                graph._ranked.setdefault(node, [])
    add("related", related)
    add("mentions", [(s, t, a) for (s, t), a in mentioned.items()])
    add("embeds", [(s, t, a) for (s, t), a in embedded.items()])
    # (rank, note, paper) and (position, note, inquiry) are the ranking orders of these kinds.
    # Rows come by note id, which is ranking order only while every note is a `note:` node.
    by_id = all(node.startswith("note:") for node in notes.values())
    add("cites", ((notes[n], papers[p], {"rank": r}) for n, p, r in _by_third(rows.note_papers)), in_order=by_id)
    # Claims: a node per claim, `claims` edges from its note and to the paper it reports.
    claim_edges: list[tuple[str, str, dict[str, Any]]] = []
    for claim_id, note_id, position, text, paper_id in rows.claims:
        node = f"claim:{claim_id}"
        _add_node(graph, node, {"kind": "claim", "label": text})
        if append and sink is None:
            graph._ranked.setdefault(node, [])
        claim_edges.append((notes[note_id], node, {"position": position}))
        if paper_id is not None and f"paper:{paper_id}" in graph._node:
            claim_edges.append((node, f"paper:{paper_id}", {"position": 1}))
    add("claims", claim_edges)
    _add_runs(graph, rows.runs, sink)
    merged = any(node.startswith("note:") for node in inquiries.values())
    add("source_of", ((notes[n], inquiries[q], {"position": p}) for n, q, p in _by_third(rows.note_inquiries)
                      if notes[n] != inquiries[q]), in_order=by_id and not merged)
    if append and sink is None:
        # While building, an inquiry's only edges are source_of edges from notes, inserted in
        # ranking order: its ranking is its predecessors in insertion order (no appends needed).
        code = 2 * _tier("source_of") + 1
        for node in inquiries.values():
            if "page" in graph._node[node] or not by_id or merged:  # other edges, or not by id: sort
                graph._ranked[node] = _ranking_from_adjacency(graph, node)
                continue
            sources = list(graph._pred[node])
            flat = graph._ranked[node] = [code] * (2 * len(sources))
            flat[0::2] = sources


def _run_label(run_id: int, experiment: str, status: str, quick: int) -> str:
    return f"{experiment}{' (quick)' if quick else ''} · {status} · run {run_id}"


def _add_runs(graph: KnowledgeGraph, rows: Iterable[tuple[int, int, str, str, int]],
              sink: EdgeSink | None = None) -> None:
    """Run nodes with a `replicated_by` edge from each claim they test (claims not in the
    graph are skipped). Edges are inserted in place (not appended): runs are few, and their
    tier sits between others, so this is O(runs log d) in build and refresh alike."""
    edges: list[tuple[str, str, dict[str, Any]]] = []
    orders: dict[str, int] = {}
    for run_id, claim_id, experiment, status, quick in rows:  # newest run first
        claim = f"claim:{claim_id}"
        if claim not in graph._node:
            continue
        node = f"run:{run_id}"
        _add_node(graph, node, {"kind": "run", "label": _run_label(run_id, experiment, status, quick),
                                "experiment": experiment, "status": status})
        getattr(graph, "_runs", set()).add(node)
        orders[claim] = orders.get(claim, 0) + 1
        edges.append((claim, node, {"order": orders[claim]}))
    if sink is not None:
        sink("replicated_by", edges)
    elif edges:
        _add_edges(graph, "replicated_by", edges, append=False)


def refresh_runs(graph: KnowledgeGraph, store: Store) -> int:
    """Re-read the run nodes (a run started, finished or was deleted): drops every run node
    and adds those the store links to a claim in the graph, with their current status.
    Returns how many run nodes there are now. One query; O(runs log d)."""
    for node in list(getattr(graph, "_runs", ())):
        if node in graph._node:
            _drop_node(graph, node)
    graph._runs = set()
    _add_runs(graph, store.run_graph_rows())
    return len(graph._runs)


def _by_third(rows: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Rows sorted by (third, first, second): a bucket per third value (a small rank or
    position), each bucket sorted (already in order when read in key order, so O(n))."""
    buckets: dict[int, list[tuple[int, int, int]]] = {}
    for row in rows:
        bucket = buckets.get(row[2])
        if bucket is None:
            bucket = buckets[row[2]] = []
        bucket.append(row)
    ordered: list[tuple[int, int, int]] = []
    for third in sorted(buckets):
        ordered.extend(sorted(buckets[third]))
    return ordered


def _ensure_stub(graph: KnowledgeGraph, node: str, title: str, description: str) -> None:
    attrs = graph._node.get(node)
    if attrs is None:
        _add_node(graph, node, {"kind": "concept", "label": title, "description": description})
    elif description and not attrs.get("description"):
        attrs["description"] = description


def graph_from_rows(rows: GraphRows, similar: SimilarPairs | None = None) -> KnowledgeGraph:
    """The knowledge graph of `rows` (see `Store.graph_rows`), with `similar` pairs if given.

    O(rows + edges log edges) for the per-kind sorts, ~3-6 us an edge. Node ids are item ids;
    see the module docstring for the edge kinds and attributes.

    The cyclic garbage collector is paused while building (it would rescan the new dicts
    dozens of times; that more than doubled the build at 10k notes) and run once at the end:
    each edge's key dict is tracked by the collector (1.4M at 10k notes), so the first full
    collection after a build takes ~1 s, and it is better paid here than at a random moment
    later. A long-running host can call `gc.freeze()` after building to keep later full
    collections from rescanning the graph (and `gc.unfreeze()` before dropping it).
    """
    graph = KnowledgeGraph()
    with _collector_paused():
        _add_rows(graph, rows, append=True)
        if similar is not None:
            set_similar_edges(graph, similar)
    if gc.isenabled():
        gc.collect()
    return graph


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_graph(store: Store, similar: SimilarPairs | None = None) -> KnowledgeGraph:
    """The knowledge graph of everything in `store`, in one pass (eight queries).

    `similar` is an iterable of (item id, item id, cosine), as
    `notesgraph.similarity.similar_pairs` returns; pairs naming items not in the graph are
    skipped. Returns a `KnowledgeGraph` (a networkx MultiDiGraph). Cost: see bench_graph.py.
    """
    store.sync_derived()
    with _collector_paused():
        rows = store.graph_rows()
    graph = graph_from_rows(rows, similar)
    set_paper_edges(graph, store)  # co-citation and shared authors
    graph.graph["store"] = store.path
    return graph


def similar_rows(pairs: SimilarPairs, nodes: Container[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """The `similar` edges of `pairs`: one per unordered pair (the stronger if a pair comes
    twice), both ends in `nodes` and distinct, the weight rounded to 6 places."""
    best: dict[tuple[str, str], tuple[str, str, float]] = {}
    for source, target, weight in pairs:
        if source == target or source not in nodes or target not in nodes:
            continue
        pair = (source, target) if node_sort_key(source) <= node_sort_key(target) else (target, source)
        if pair not in best or weight > best[pair][2]:
            best[pair] = (source, target, float(weight))
    return [(s, t, {"weight": round(w, 6)}) for s, t, w in best.values()]


def set_similar_edges(graph: KnowledgeGraph, pairs: SimilarPairs) -> int:
    """Replace every `similar` edge with `pairs` (item id, item id, cosine); returns how many
    were added. One edge per unordered pair (the stronger if a pair comes twice); pairs with
    an end not in the graph, or both ends the same, are skipped. O(old + new similar edges);
    O(edges) to find the old ones after the graph was changed through the networkx API."""
    old = graph._similar
    if old is None:
        old = [(u, v) for u, nbrs in graph._succ.items() for v, keydict in nbrs.items() if "similar" in keydict]
    for source, target in old:
        if source in graph._succ:
            _remove_edge(graph, source, target, "similar")
    rows = similar_rows(pairs, graph._node)
    # Similarity is the last tier and no ranking holds a similar entry any more (removed
    # above), so appending the sorted rows keeps every ranking in order.
    _add_edges(graph, "similar", rows, append=True)
    graph._similar = [(source, target) for source, target, _ in rows]
    return len(rows)


# -- refreshing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphChange:
    """What `refresh_graph` did: note counts and the seconds it took."""

    added: int
    updated: int
    removed: int
    relinked: int
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def refresh_graph(graph: KnowledgeGraph, store: Store) -> GraphChange:
    """Bring `graph` up to date with `store` without rebuilding it.

    Compares each note's content hash with the store's (one query); for added, changed and
    removed notes, and for the notes whose links to them resolve differently now (a stub that
    became a note, a note that went away), drops their edges and re-reads their rows. Orphan
    stubs, inquiries and papers go. `similar` edges of surviving notes stay (refresh them with
    `set_similar_edges`). Cost O(affected notes' edges), not O(graph).
    """
    started = time.perf_counter()
    store.sync_derived()
    with store.snapshot():  # versions and rows of one state, whatever an index writes meanwhile
        change = _refresh(graph, store, started)
        if change.changed:
            set_paper_edges(graph, store)  # co-citation and shared authors
        return change


def note_changes(graph: Any, current: dict[int, str]) -> tuple[list[int], list[int], list[int]]:
    """(added, removed, updated) note ids: the store's `current` versions (note id -> content
    hash) against the notes in `graph` (a KnowledgeGraph or a CompactGraph). O(notes)."""
    known = {note_of_node(graph, node): attrs["content_hash"] for node, attrs in graph._node.items()
             if attrs.get("kind") == "note" or "page" in attrs}
    added = [i for i in current if i not in known]
    removed = [i for i in known if i not in current]
    updated = [i for i in current if i in known and current[i] != known[i]]
    return added, removed, updated


def _refresh(graph: KnowledgeGraph, store: Store, started: float) -> GraphChange:
    """`refresh_graph`'s reads and changes, inside the caller's snapshot."""
    added, removed, updated = note_changes(graph, store.note_versions())
    if not (added or removed or updated):
        return GraphChange(0, 0, 0, 0, time.perf_counter() - started)

    fresh = store.graph_rows(added + updated)
    # A note that became (or stopped being) an item's page, or a page whose item changed, is
    # shown by another node now: drop it from the old one as if removed, then add it anew.
    fresh_nodes = _note_nodes(fresh)
    moved = {i for i in updated if fresh_nodes[i] != node_of_note(graph, i)}
    gone = removed + sorted(moved)
    old_keys = {graph._node[node_of_note(graph, i)].get(k, "") for i in removed + updated
                for k in ("key", "stem_key")} - {""}
    new_keys = {key for row in fresh.notes for key in (row[1], row[2])}
    touched = [node_of_note(graph, i) for i in removed + updated]
    touched += [item_id("concept", key) for key in old_keys | new_keys]
    if added or removed:  # a file named like another may now win or lose that name's links
        touched += [node for node, attrs in graph._node.items()
                    if "path" in attrs and attrs["stem_key"] in old_keys | new_keys]
    # An inquiry whose text is now (or no longer) a note's title moves between its own node and
    # the note's: the notes that list it are read again.
    touched += [node for node, attrs in graph._node.items() if attrs.get("kind") == "inquiry"
                and normalise_title(attrs["label"]) in old_keys | new_keys] if old_keys | new_keys else []
    dependents = {note_of_node(graph, source) for node in touched if node in graph._pred
                  for source, keydict in graph._pred[node].items()
                  if "related" in keydict or "mentions" in keydict or "embeds" in keydict or "source_of" in keydict}
    dependents = dependents - {None} - set(removed)
    reread = set(added) | set(updated) | dependents

    emptied: set[str] = set()
    for note_id in gone:
        emptied |= _drop_note(graph, note_id)
    for note_id in reread - set(added) - moved:
        emptied |= _drop_out_edges(graph, node_of_note(graph, note_id))
    rows = store.graph_rows(reread) if dependents else fresh
    _add_rows(graph, rows, append=False)
    for node in emptied:
        if node in graph._node and not graph._succ[node] and not graph._pred[node] \
                and graph._node[node]["kind"] != "note" and "page" not in graph._node[node]:
            _drop_node(graph, node)
    return GraphChange(len(added), len(updated), len(removed), len(dependents - set(updated)),
                       time.perf_counter() - started)


def _drop_out_edges(graph: KnowledgeGraph, node: str) -> set[str]:
    """Remove a note's outgoing explicit edges and its claims (re-read with the note); returns
    the nodes they pointed at."""
    targets = set()
    for target, keydict in list(graph._succ[node].items()):
        if "claims" in keydict and graph._node[target].get("kind") == "claim":
            targets |= set(graph._succ[target])
            _drop_node(graph, target)
            continue
        for kind in [k for k in keydict if k != "similar"]:
            _remove_edge(graph, node, target, kind)
        targets.add(target)
    return targets


_PAGE_ATTRS = ("page", "title", "stem_key", "lede", "path", "format", "content_hash")


def _drop_note(graph: KnowledgeGraph, note_id: int) -> set[str]:
    """Remove a note with all its edges and its claims; returns its former neighbours (and
    its claims' papers and runs, which may be orphans now). The page of an inquiry or a paper
    leaves that item's node in place, without the page's edges and attributes."""
    node = node_of_note(graph, note_id)
    if note_id in graph._pages:
        del graph._pages[note_id]
        neighbours = _drop_out_edges(graph, node)
        attrs = graph._node[node]
        for key in _PAGE_ATTRS + (("key",) if attrs["kind"] == "inquiry" else ()):
            attrs.pop(key, None)
        return neighbours | {node}
    claimed: set[str] = set()
    for target, keydict in list(graph._succ[node].items()):
        if "claims" in keydict and graph._node[target].get("kind") == "claim":
            claimed |= set(graph._succ[target])
            _drop_node(graph, target)
    neighbours = set(graph._succ[node]) | set(graph._pred[node]) | claimed
    _drop_node(graph, node)
    return neighbours


def _drop_node(graph: KnowledgeGraph, node: str) -> None:
    for target, keydict in list(graph._succ[node].items()):
        for kind in list(keydict):
            _remove_edge(graph, node, target, kind)
    for source, keydict in list(graph._pred[node].items()):
        for kind in list(keydict):
            _remove_edge(graph, source, node, kind)
    del graph._succ[node], graph._pred[node], graph._node[node]
    graph._ranked.pop(node, None)
    getattr(graph, "_runs", set()).discard(node)
