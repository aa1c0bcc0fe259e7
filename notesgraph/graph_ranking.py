"""Edge strength and each node's incident edges ranked by it, kept in order as edges change.

`edge_strength` orders edges: the edge kinds are tiers (`notesgraph.kinds.EDGE_KINDS`, deliberate
links first, similarity last) and within a kind the list order, rank, mention count or cosine
decides. `ranking` is a node's incident edges strongest first, cached on a `KnowledgeGraph`
(`notesgraph.graph`); `_add_edges` and `_remove_edge` write edges and keep those rankings in
order, so a capped neighbourhood reads the first few neighbours of a hub instead of sorting
thousands.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache
from operator import itemgetter
from typing import Any

import networkx as nx

from notesgraph.kinds import EDGE_KINDS

# EDGE_KINDS is in tier order: any edge of an earlier kind is stronger than any of a later one.
_TIER = {kind: tier for tier, kind in enumerate(EDGE_KINDS)}


class ItemNotInGraph(KeyError):
    """An item id that is not a node of the graph (wrong id, or a note not indexed yet)."""

    def __init__(self, item: str) -> None:
        super().__init__(item)
        self.item = item

    def __str__(self) -> str:
        return f"{self.item} is not in the graph (index the notes first, or check the id)"


STRENGTH_ATTRIBUTE = {"related": "order", "mentions": "count", "embeds": "count", "cites": "rank",
                      "replicated_by": "order", "claims": "position", "source_of": "position",
                      "cocited": "count", "shares_author": "count", "similar": "weight"}
"""The one attribute `edge_strength` reads for each kind (the others: a constant)."""


def edge_strength(kind: str, attrs: dict[str, Any]) -> float:
    """How strongly an edge ties its ends, in (0, 1]; tiers by kind never overlap.

    related (0.9, 1] by list order; mentions (0.81, 0.85) by count; embeds (0.809, 0.81] by
    count; cites (0.6, 0.8] by rank;
    source_of (0.3, 0.55] by position; cocited (0.29, 0.3] and shares_author (0.28, 0.29] by
    count; similar [0, 0.28] by cosine. Strictly monotone within a
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
    if kind == "cocited":  # (0.29, 0.3] by count: papers listed together by that many notes
        return 0.3 - 0.01 / max(attrs.get("count", 1), 1)
    if kind == "shares_author":  # (0.28, 0.29] by count of shared authors
        return 0.29 - 0.01 / max(attrs.get("count", 1), 1)
    if kind == "similar":
        return 0.28 * min(max(float(attrs.get("weight", 0.0)), 0.0), 1.0)
    return 0.1


@lru_cache(maxsize=1 << 17)
def node_sort_key(node: str) -> tuple[str, int, str]:
    """A total order on item ids: by kind, then numeric id, then text id (for stubs).
    Cached: ranking ties are broken by it, so hot ids are asked for again and again."""
    kind, _, ident = node.partition(":")
    return (kind, int(ident), "") if ident.isdigit() else (kind, -1, ident)


# -- rankings ------------------------------------------------------------------------------------


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


def ranked_strength(graph: Any, node: str, flat: Any, j: int) -> float:
    """The strength of the entry at flat position `j` of `ranking(graph, node)`: from the
    compact graph's array when it has one, else `entry_strength`. O(1)."""
    strength = getattr(flat, "strength", None)
    return strength(j) if strength is not None else entry_strength(graph, node, flat[j], flat[j + 1])


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


def ranking(graph: nx.MultiDiGraph, node: str) -> list[Any]:
    """A node's incident edges (both directions), strongest first, as the flat list
    [other, code, other, code, ...] (see `code_kind`, `code_outgoing`, `entry_strength`).
    Do not modify it. O(1) once built; O(d log d) the first time after an external change,
    and every time on a view or a plain MultiDiGraph (nothing to cache it in).
    Raises ItemNotInGraph. A `notesgraph.graph_compact.CompactGraph` answers from its
    arrays (a lazy sequence of the same form; read strengths with `ranked_strength`)."""
    compact = getattr(graph, "ranked_entries", None)
    if compact is not None:
        try:
            return compact(node)
        except KeyError:
            raise ItemNotInGraph(node) from None
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


# -- writing edges, rankings kept in order ----------------------------------------------------
# `graph` is a `notesgraph.graph.KnowledgeGraph` here: these keep its `_ranked` in step.


def _add_edges(graph: nx.MultiDiGraph, kind: str, rows: Iterable[tuple[str, str, dict[str, Any]]],
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


def _unrank(graph: nx.MultiDiGraph, source: str, target: str, kind: str) -> None:
    tier = _tier(kind)
    if source in graph._ranked:
        _rank_remove(graph._ranked[source], target, 2 * tier)
    if target in graph._ranked:
        _rank_remove(graph._ranked[target], source, 2 * tier + 1)


def _remove_edge(graph: nx.MultiDiGraph, source: str, target: str, kind: str) -> None:
    """Remove one edge and its ranking entries (no-op when absent)."""
    keydict = graph._succ[source].get(target)
    if keydict is None or kind not in keydict:
        return
    _unrank(graph, source, target, kind)
    del keydict[kind]
    if not keydict:
        del graph._succ[source][target]
        del graph._pred[target][source]
