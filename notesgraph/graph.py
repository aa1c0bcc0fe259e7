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
similar       item -> item                 weight (cosine), from notesgraph.similarity
============  ===========================  ==================================================

Claims (``claim:<id>``) and replication runs that test a stored claim (``run:<id>``, label
"experiment · status · run id") are nodes too; `refresh_runs` keeps the run nodes current
when a run starts or finishes (runs are few, so it simply re-reads them).

`edge_strength` ranks edges for capped neighbourhoods: the kinds above are tiers in that
order (deliberate links first, similarity last) and within a kind the list order, rank,
mention count or cosine decides. Every node keeps its incident edges sorted by strength
(`ranking`), filled while building and maintained by `refresh_graph`, so a capped
neighbourhood reads the first few neighbours of a hub instead of sorting thousands.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import PurePath
from typing import Any

import networkx as nx

from notesgraph.kinds import EDGE_KINDS, elide
from notesgraph.links import LinkResolver
from notesgraph.model import item_id, normalise_title
from notesgraph.store import GraphRows, Store

NODE_KINDS: tuple[str, ...] = ("note", "concept", "inquiry", "paper")
"""The node kinds of the notes themselves (claims and runs hang off notes' claims)."""
# EDGE_KINDS is in tier order: any edge of an earlier kind is stronger than any of a later one.
_TIER = {kind: tier for tier, kind in enumerate(EDGE_KINDS)}
_LEDE_CHARS = 300

SimilarPairs = Iterable[tuple[str, str, float]]
"""(item id, item id, cosine) as `notesgraph.similarity.similar_pairs` returns them."""


class ItemNotInGraph(KeyError):
    """An item id that is not a node of the graph (wrong id, or a note not indexed yet)."""

    def __init__(self, item: str) -> None:
        super().__init__(item)
        self.item = item

    def __str__(self) -> str:
        return f"{self.item} is not in the graph (index the notes first, or check the id)"


def edge_strength(kind: str, attrs: dict[str, Any]) -> float:
    """How strongly an edge ties its ends, in (0, 1]; tiers by kind never overlap.

    related (0.9, 1] by list order; mentions (0.81, 0.85) by count; embeds (0.809, 0.81] by
    count; cites (0.6, 0.8] by rank;
    source_of (0.3, 0.55] by position; similar [0, 0.3] by cosine. Strictly monotone within a
    kind, so sorting by strength keeps list order. O(1).

    >>> edge_strength("related", {"order": 1}), edge_strength("cites", {"rank": 2})
    (1.0, 0.7)
    """
    if kind == "related":
        return 0.9 + 0.1 / max(attrs.get("order", 1), 1)
    if kind == "mentions":
        return 0.85 - 0.04 / max(attrs.get("count", 1), 1)
    if kind == "embeds":  # (0.809, 0.81]: a transclusion, just below a mention
        return 0.809 + 0.001 / max(attrs.get("count", 1), 1)
    if kind == "cites":
        return 0.6 + 0.2 / max(attrs.get("rank", 1), 1)
    if kind == "replicated_by":  # (0.8, 0.809]: between cites and mentions, newest run first
        return 0.8 + 0.009 / max(attrs.get("order", 1), 1)
    if kind == "claims":  # between cites and source_of: a note's claims before its inquiries
        return 0.55 + 0.05 / (1 + 0.1 * (max(attrs.get("position", 1), 1) - 1))
    if kind == "source_of":
        return 0.3 + 0.25 / (1 + 0.05 * (max(attrs.get("position", 1), 1) - 1))
    if kind == "similar":
        return 0.3 * min(max(float(attrs.get("weight", 0.0)), 0.0), 1.0)
    return 0.1


@lru_cache(maxsize=1 << 17)
def node_sort_key(node: str) -> tuple[str, int, str]:
    """A total order on item ids: by kind, then numeric id, then text id (for stubs).
    Cached: ranking ties are broken by it, so hot ids are asked for again and again."""
    kind, _, ident = node.partition(":")
    return (kind, int(ident), "") if ident.isdigit() else (kind, -1, ident)


# -- the graph and its ranked neighbours -------------------------------------------------------


# A ranking is one flat list per node, [other, code, other, code, ...], strongest edge first,
# where code = 2 * tier + (0 if the edge leaves the node else 1). Small ints are shared objects,
# so an entry costs two pointers; strengths are recomputed from the edge attributes when needed.
# The order is (-strength, tier, source key, target key), the same whether filled while
# building or rebuilt from the adjacency, so the same graph always walks the same way.
_KINDS: list[str] = list(EDGE_KINDS)


def _tier(kind: str) -> int:
    """The tier of an edge kind; a kind added later (claims, tests) ranks after the known ones."""
    tier = _TIER.get(kind)
    if tier is None:
        tier = _TIER[kind] = len(_KINDS)
        _KINDS.append(kind)
    return tier


def code_kind(code: int) -> str:
    """The edge kind of a ranking code."""
    return _KINDS[code >> 1]


def code_outgoing(code: int) -> bool:
    """Whether a ranking code stands for an edge leaving the node."""
    return not code & 1


def entry_attrs(graph: nx.MultiDiGraph, node: str, other: str, code: int) -> dict[str, Any]:
    """The attributes of the edge a ranking entry of `node` stands for."""
    adjacency = graph._pred if code & 1 else graph._succ
    return adjacency[node][other][_KINDS[code >> 1]]


def entry_strength(graph: nx.MultiDiGraph, node: str, other: str, code: int) -> float:
    """The `edge_strength` of a ranking entry of `node`; O(1)."""
    return edge_strength(_KINDS[code >> 1], entry_attrs(graph, node, other, code))


def edge_order_key(graph: nx.MultiDiGraph, node: str, other: str, code: int) -> tuple[Any, ...]:
    """Where a ranking entry of `node` sorts: (-strength, tier, source key, target key); the
    same for both ends of an edge, so rankings merge into one global order."""
    ends = (other, node) if code & 1 else (node, other)
    return (-entry_strength(graph, node, other, code), code >> 1,
            node_sort_key(ends[0]), node_sort_key(ends[1]))


def _ranking_from_adjacency(graph: nx.MultiDiGraph, node: str) -> list[Any]:
    """Sort a node's incident edges by strength from the adjacency: O(d log d)."""
    entries = []
    for adjacency, incoming in ((graph._succ, 0), (graph._pred, 1)):
        for other, keydict in adjacency[node].items():
            for kind in keydict:
                code = 2 * _tier(kind) + incoming
                entries.append((edge_order_key(graph, node, other, code), other, code))
    entries.sort(key=itemgetter(0))
    flat: list[Any] = []
    for _, other, code in entries:
        flat.append(other)
        flat.append(code)
    return flat


def _rank_insert(graph: nx.MultiDiGraph, flat: list[Any], node: str, other: str, code: int) -> None:
    """Insert one entry in order: O(log d) comparisons plus a list shift."""
    key = edge_order_key(graph, node, other, code)
    at = bisect_left(range(len(flat) // 2), key,
                     key=lambda i: edge_order_key(graph, node, flat[2 * i], flat[2 * i + 1]))
    flat[2 * at:2 * at] = (other, code)


def _rank_remove(flat: list[Any], other: str, code: int) -> None:
    """Remove one entry: O(d), the scan in C (list.index)."""
    at = flat.index(other)  # ids are strings and codes ints, so `at` is always even
    while flat[at + 1] != code:
        at = flat.index(other, at + 2)
    del flat[at:at + 2]


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


def ranking(graph: nx.MultiDiGraph, node: str) -> list[Any]:
    """A node's incident edges (both directions), strongest first, as the flat list
    [other, code, other, code, ...] (see `code_kind`, `code_outgoing`, `entry_strength`).
    Do not modify it. O(1) once built; O(d log d) the first time after an external change,
    and every time on a view or a plain MultiDiGraph (nothing to cache it in).
    Raises ItemNotInGraph."""
    cache = getattr(graph, "_ranked", None)
    if cache is not None and graph._succ.__class__ is dict:
        flat = cache.get(node)
        if flat is not None:
            return flat
    if node not in graph:
        raise ItemNotInGraph(node)
    flat = _ranking_from_adjacency(graph, node)
    if cache is not None and graph._succ.__class__ is dict:
        cache[node] = flat
    return flat


# -- building -------------------------------------------------------------------------------


def _add_edges(graph: KnowledgeGraph, kind: str, rows: Iterable[tuple[str, str, dict[str, Any]]],
               append: bool, in_order: bool = False) -> None:
    """Write edges of one kind straight into the adjacency (add_edges_from costs ~8 us an edge
    here) and into the rankings that exist.

    append=True (building): the rows must come in ranking order (they are sorted here unless
    `in_order`) and kinds in tier order; entries are appended. append=False (refreshing):
    each entry is inserted in place. A node without a ranking gets one when a query needs it.
    """
    tier = _tier(kind)
    out_code, in_code = 2 * tier, 2 * tier + 1
    if append and not in_order:
        rows = sorted(rows, key=lambda r: (-edge_strength(kind, r[2]), node_sort_key(r[0]),
                                           node_sort_key(r[1])))
    succ, pred, ranked = graph._succ, graph._pred, graph._ranked
    for source, target, attrs in rows:
        out = succ[source]
        keydict = out.get(target)
        if keydict is None:
            out[target] = pred[target][source] = {kind: attrs}
        else:
            if kind in keydict:
                _unrank(graph, source, target, kind)
            keydict[kind] = attrs
        # Both ends' rankings, written out twice rather than through a helper: this loop runs
        # once per edge (1.4M times at 10k notes) and a call per end cost ~1 s there.
        flat = ranked.get(source)
        if flat is not None:
            if append:
                flat.append(target)
                flat.append(out_code)
            else:
                _rank_insert(graph, flat, source, target, out_code)
        flat = ranked.get(target)
        if flat is not None:
            if append:
                flat.append(source)
                flat.append(in_code)
            else:
                _rank_insert(graph, flat, target, source, in_code)


def _unrank(graph: KnowledgeGraph, source: str, target: str, kind: str) -> None:
    tier = _tier(kind)
    if source in graph._ranked:
        _rank_remove(graph._ranked[source], target, 2 * tier)
    if target in graph._ranked:
        _rank_remove(graph._ranked[target], source, 2 * tier + 1)


def _remove_edge(graph: KnowledgeGraph, source: str, target: str, kind: str) -> None:
    """Remove one edge and its ranking entries (no-op when absent)."""
    keydict = graph._succ[source].get(target)
    if keydict is None or kind not in keydict:
        return
    _unrank(graph, source, target, kind)
    del keydict[kind]
    if not keydict:
        del graph._succ[source][target]
        del graph._pred[target][source]


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


_PAGE_KINDS = {"inquiry": "inquiry", "paper": "paper"}
"""Page kinds whose note is shown as the item it is the page of (see `_note_nodes`)."""


def _note_nodes(rows: GraphRows) -> dict[int, str]:
    """note id -> its node: `note:<id>`, or for the page of an inquiry or a paper (a file
    copied from such a page) that inquiry's or paper's node, so the page and the item the
    other notes list are one node."""
    by_key = {"inquiry": {normalise_title(text): f"inquiry:{ident}" for ident, text in rows.inquiries},
              "paper": {key: f"paper:{ident}" for ident, key, _ in rows.papers}}
    nodes: dict[int, str] = {}
    for row in rows.notes:
        page = _PAGE_KINDS.get(row[8])
        nodes[row[0]] = (by_key[page].get(row[1]) if page else None) or f"note:{row[0]}"
    return nodes


def node_of_note(graph: nx.MultiDiGraph, note_id: int) -> str:
    """The node that shows note `note_id`: `note:<id>`, or the inquiry or paper it is the page of."""
    return getattr(graph, "_pages", {}).get(note_id, f"note:{note_id}")


def note_of_node(graph: nx.MultiDiGraph, node: str) -> int | None:
    """The note a node shows (a note, or an inquiry or paper with a page), else None."""
    if node.startswith("note:"):
        return int(node[5:])
    return graph._node.get(node, {}).get("page")


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


def _add_rows(graph: KnowledgeGraph, rows: GraphRows, append: bool) -> None:
    """Add the notes, inquiries and papers in `rows` with every edge the notes start."""
    # One id string per item, shared by the node and all its edges (memory, and dict lookups
    # that hit on identity).
    notes = _note_nodes(rows)
    inquiries = {ident: f"inquiry:{ident}" for ident, _ in rows.inquiries}
    papers = {ident: f"paper:{ident}" for ident, _, _ in rows.papers}
    for ident, text in rows.inquiries:
        _add_node(graph, inquiries[ident], {"kind": "inquiry", "label": text})
    for ident, key, title in rows.papers:
        _add_node(graph, papers[ident], {"kind": "paper", "label": title, "key": key})
    for row in rows.notes:
        node = notes[row[0]]
        attrs = _note_attrs(row)
        if not node.startswith("note:"):
            graph._pages[row[0]] = node
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

    if append:  # every node gets a ranking, so appending fills them all; inquiries below
        for node, attrs in graph._node.items():
            if attrs["kind"] != "inquiry":
                graph._ranked.setdefault(node, [])
    _add_edges(graph, "related", related, append)
    _add_edges(graph, "mentions", [(s, t, a) for (s, t), a in mentioned.items()], append)
    _add_edges(graph, "embeds", [(s, t, a) for (s, t), a in embedded.items()], append)
    # (rank, note, paper) and (position, note, inquiry) are the ranking orders of these kinds.
    _add_edges(graph, "cites", ((notes[n], papers[p], {"rank": r})
                                for n, p, r in _by_third(rows.note_papers)), append, in_order=True)
    # Claims: a node per claim, `claims` edges from its note and to the paper it reports.
    claim_edges: list[tuple[str, str, dict[str, Any]]] = []
    for claim_id, note_id, position, text, paper_id in rows.claims:
        node = f"claim:{claim_id}"
        _add_node(graph, node, {"kind": "claim", "label": text})
        if append:
            graph._ranked.setdefault(node, [])
        claim_edges.append((notes[note_id], node, {"position": position}))
        if paper_id is not None and f"paper:{paper_id}" in graph._node:
            claim_edges.append((node, f"paper:{paper_id}", {"position": 1}))
    _add_edges(graph, "claims", claim_edges, append)
    _add_runs(graph, rows.runs)
    _add_edges(graph, "source_of", ((notes[n], inquiries[q], {"position": p})
                                    for n, q, p in _by_third(rows.note_inquiries)), append, in_order=True)
    if append:
        # While building, an inquiry's only edges are source_of edges from notes, inserted in
        # ranking order: its ranking is its predecessors in insertion order (no appends needed).
        code = 2 * _tier("source_of") + 1
        for node in inquiries.values():
            if "page" in graph._node[node]:  # its page's own edges too: sort them all
                graph._ranked[node] = _ranking_from_adjacency(graph, node)
                continue
            sources = list(graph._pred[node])
            flat = graph._ranked[node] = [code] * (2 * len(sources))
            flat[0::2] = sources


def _run_label(run_id: int, experiment: str, status: str, quick: int) -> str:
    return f"{experiment}{' (quick)' if quick else ''} · {status} · run {run_id}"


def _add_runs(graph: KnowledgeGraph, rows: Iterable[tuple[int, int, str, str, int]]) -> None:
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
    if edges:
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
    graph.graph["store"] = store.path
    return graph


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
    best: dict[tuple[str, str], tuple[str, str, float]] = {}
    for source, target, weight in pairs:
        if source == target or source not in graph._node or target not in graph._node:
            continue
        pair = (source, target) if node_sort_key(source) <= node_sort_key(target) else (target, source)
        if pair not in best or weight > best[pair][2]:
            best[pair] = (source, target, float(weight))
    rows = [(s, t, {"weight": round(w, 6)}) for s, t, w in best.values()]
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
    current = store.note_versions()
    known = {note_of_node(graph, node): attrs["content_hash"] for node, attrs in graph._node.items()
             if attrs.get("kind") == "note" or "page" in attrs}
    added = [i for i in current if i not in known]
    removed = [i for i in known if i not in current]
    updated = [i for i in current if i in known and current[i] != known[i]]
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
    dependents = {note_of_node(graph, source) for node in touched if node in graph._pred
                  for source, keydict in graph._pred[node].items()
                  if "related" in keydict or "mentions" in keydict or "embeds" in keydict}
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
