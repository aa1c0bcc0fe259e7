"""The knowledge graph held compactly: numpy arrays of int32 node indices per edge kind and one
ranked adjacency (CSR) over all kinds, read through the part of networkx's API the views use.

Why: a `KnowledgeGraph` (networkx) holds every edge as dicts in both directions: ~600 bytes
and ~9 us an edge to build; the generated 100k-note store has 13.8M edges (8.2 GB, 129 s).
Here an edge costs two int32 ends, its attributes in typed columns of its kind's `EdgeTable`
and two ranked entries (int32 other end, int16 code, float64 strength, int32 edge number):
~60 bytes. Node attributes stay dicts (a few hundred thousand nodes), except claims' (most of
the nodes at scale): `notesgraph.graph_claims.NodeAttrs` holds those as arrays.

Nodes are numbered in `node_sort_key` order, so the ranking's tie-break by (source, target)
is a comparison of numbers; each node's entries in `ranked_*[indptr[i]:indptr[i + 1]]` are in
exactly the order `notesgraph.graph_ranking.ranking` gives on the networkx graph
((-strength, tier, source, target); tests/test_graph_compact.py checks it against a graph
built the old way). `ranked_entries(node)` returns them as the same flat [other, code, ...]
sequence, read lazily, so `notesgraph.graph_queries.neighbourhood` walks either graph.

networkx is for extracted subgraphs (`subgraph`: paths, exports, analysis); the read API
(`nodes`, `succ`/`pred`, `degree`, `in`) builds each node's adjacency dict on demand.
Built by `notesgraph.graph_compact_build`.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from notesgraph.graph_claims import NodeAttrs
from notesgraph.graph_ranking import STRENGTH_ATTRIBUTE, _tier, code_kind, edge_strength


@dataclass
class EdgeTable:
    """The edges of one kind: ends as node indices, attributes as columns (numpy arrays for
    numbers, lists otherwise; None in a list: the edge has no such attribute)."""

    kind: str
    source: np.ndarray
    target: np.ndarray
    columns: dict[str, np.ndarray | list[Any]] = field(default_factory=dict)
    strength: np.ndarray | None = None
    """`edge_strength` of each edge (float64, the same number the networkx graph ranks by)."""
    strength_by_value: tuple[str, np.ndarray] | None = None
    """Instead of `strength`, for a kind whose strength is a function of one small
    non-negative int column (source_of's position, cites' rank): (column, strength of each
    value, NaN for values absent). 12M source_of edges then need no float64 each."""

    def __len__(self) -> int:
        return len(self.source)

    def attrs(self, i: int) -> dict[str, Any]:
        """The attribute dict of edge `i` (what the networkx graph holds for it)."""
        out: dict[str, Any] = {}
        for name, column in self.columns.items():
            value = column[i]
            if value is None:
                continue
            out[name] = value.item() if isinstance(value, np.generic) else value
        return out

    def sort_by_ends(self, n: int) -> None:
        """Order the edges by (source, target), so `find` can bisect; rows read in key
        order (the link tables) are checked in O(E) and left as they are."""
        pair = self.source.astype(np.int64) * max(n, 1) + self.target
        if len(pair) < 2 or bool((pair[1:] > pair[:-1]).all()):
            return
        order = np.argsort(pair, kind="stable")
        self.source, self.target = self.source[order], self.target[order]
        self.strength = None if self.strength is None else self.strength[order]
        self.columns = {name: (col[order] if isinstance(col, np.ndarray) else [col[i] for i in order.tolist()])
                        for name, col in self.columns.items()}

    def find(self, source: int, target: int) -> int:
        """The row of the edge from `source` to `target` (node indices). Raises KeyError.
        O(log E)."""
        # the key in the array's own dtype: numpy 2 casts an int32 array to int64 for a Python
        # int, a copy of the whole column (13 ms at 12M edges) on every call
        source, target = self.source.dtype.type(source), self.target.dtype.type(target)
        lo = int(np.searchsorted(self.source, source, side="left"))
        hi = int(np.searchsorted(self.source, source, side="right"))
        at = lo + int(np.searchsorted(self.target[lo:hi], target))
        if at >= hi or self.target[at] != target:
            raise KeyError((source, target, self.kind))
        return at

    def compute_strength(self) -> None:
        """Fill `strength_by_value` (one int column of small values: one `edge_strength`
        call per value present, O(E) without a sort) or `strength` (another numeric column:
        one call per distinct value; else one per edge)."""
        name = STRENGTH_ATTRIBUTE.get(self.kind, "")
        column = self.columns.get(name)
        if isinstance(column, np.ndarray):  # every edge has it: strength is a function of it alone
            if column.dtype.kind in "iu" and len(column) and 0 <= column.min() and column.max() < 2 ** 20:
                present = np.flatnonzero(np.bincount(column))
                by_value = np.full(int(present[-1]) + 1, np.nan)
                by_value[present] = [edge_strength(self.kind, {name: v}) for v in present.tolist()]
                self.strength_by_value = (name, by_value)
                return
            values, inverse = np.unique(column, return_inverse=True)
            table = np.array([edge_strength(self.kind, {name: v.item()}) for v in values], dtype=np.float64)
            self.strength = table[inverse].reshape(-1) if len(column) else np.zeros(0)
        else:
            self.strength = np.fromiter((edge_strength(self.kind, self.attrs(i)) for i in range(len(self))),
                                        dtype=np.float64, count=len(self))


def sorted_nodes(nodes: Iterable[str]) -> list[str]:
    """`nodes` in `node_sort_key` order (kind, then text ids, then numeric ids by number),
    without a key tuple per node: grouped by kind, numbers compared as ints."""
    by_kind: dict[str, tuple[list[str], list[str]]] = {}
    for node in nodes:
        kind, _, ident = node.partition(":")
        group = by_kind.get(kind)
        if group is None:
            group = by_kind[kind] = ([], [])
        group[ident.isdigit()].append(node)
    ordered: list[str] = []
    for kind in sorted(by_kind):
        texts, numbers = by_kind[kind]
        cut = len(kind) + 1
        ordered += sorted(texts, key=lambda n: n[cut:])
        ordered += sorted(numbers, key=lambda n: int(n[cut:]))
    return ordered


def columns_of(attr_dicts: list[dict[str, Any]]) -> dict[str, np.ndarray | list[Any]]:
    """Per-edge attribute dicts as columns: an int or float column where every edge has the
    attribute as a number, else a list (None where missing), equal strings shared.
    O(edges x attributes)."""
    first = attr_dicts[0] if attr_dicts else {}
    columns: dict[str, np.ndarray | list[Any]] | None = None
    if len(set(map(len, attr_dicts))) <= 1:  # maybe one key set: then each dict has the first's keys
        try:
            columns = {name: list(map(itemgetter(name), attr_dicts)) for name in first}
        except KeyError:
            columns = None
    if columns is None:  # the general case: names in first-seen order, None where missing
        names: dict[str, None] = {}
        for attrs in attr_dicts:
            names.update(dict.fromkeys(attrs))
        columns = {name: [attrs.get(name) for attrs in attr_dicts] for name in names}
    for name, values in list(columns.items()):
        types = set(map(type, values))
        if types == {int}:
            columns[name] = np.array(values, dtype=np.int64)
        elif types == {float}:
            columns[name] = np.array(values, dtype=np.float64)
        elif str in types:  # repeated strings (a mention's `via`, a title) share one object
            seen: dict[Any, Any] = {}
            columns[name] = [seen.setdefault(v, v) if type(v) is str else v for v in values]
        else:
            columns[name] = values
    return columns


class CompactGraph:
    """Typed nodes and edges in arrays; see the module docstring. Read-only once built
    (`notesgraph.graph_compact_build` makes a new one, or replaces an edge kind, when the
    store changes)."""

    def __init__(self, node_attrs: Mapping[str, dict[str, Any]], tables: Iterable[EdgeTable] = (),
                 ids: list[str] | None = None) -> None:
        if isinstance(node_attrs, NodeAttrs):  # claims stay in their block; the rest in id order
            plain_ids = sorted_nodes(node_attrs.plain)
            self._node = NodeAttrs({node: node_attrs.plain[node] for node in plain_ids}, node_attrs.claims)
            if ids is None:  # the block is in id order already: only its place among the kinds is sought
                at = bisect.bisect_left(plain_ids, "claim", key=lambda node: node.partition(":")[0])
                ids = plain_ids[:at] + list(node_attrs.claims.node_ids()) + plain_ids[at:]
            self.ids: list[str] = ids
        else:
            self.ids = ids if ids is not None else sorted_nodes(node_attrs)
            self._node = NodeAttrs({node: node_attrs[node] for node in self.ids})
        self.index: dict[str, int] = {node: i for i, node in enumerate(self.ids)}
        self.graph: dict[str, Any] = {}
        self._pages: dict[int, str] = {}
        self._inquiries: dict[int, str] = {}
        self._runs: set[str] = set()
        self.tables: dict[str, EdgeTable] = {}
        self._rank_cache: OrderedDict[int, RankedEntries] = OrderedDict()
        self._adjacency_cache: OrderedDict[tuple[int, int], Neighbours] = OrderedDict()
        self._in_degrees: dict[str, np.ndarray] = {}
        self.edge_count = 0
        self.set_tables(list(tables))

    # -- edges -----------------------------------------------------------------------------

    def set_tables(self, tables: list[EdgeTable]) -> None:
        """Replace the tables of these kinds (an empty table drops a kind) and re-rank:
        O(E log E) over all edges, vectorised."""
        for table in tables:
            if table.strength is None and table.strength_by_value is None:
                table.compute_strength()
            table.sort_by_ends(len(self.ids))
            self.tables[table.kind] = table
        self.tables = {kind: t for kind, t in sorted(self.tables.items(), key=lambda kv: _tier(kv[0])) if len(t)}
        self._rank()

    def _rank(self) -> None:
        """Fill the ranked adjacency. Every edge gives two entries, each packed into one int64
        sort key: node, then the (-strength, tier) pair's rank among the distinct pairs, then
        the other end's side of the node ((source, target) order: sources before the node,
        the node's own out-edges, sources after it), then the other end. One in-place sort;
        the entries are decoded from the sorted keys (no argsort, no gathers)."""
        n = len(self.ids)
        tables = list(self.tables.values())
        m = sum(len(t) for t in tables)
        tiers = np.array([_tier(t.kind) for t in tables], dtype=np.int64)
        edge_ranks, strengths, rank_tiers = _strength_ranks(tables, tiers)
        ranks = max(len(strengths), 1)
        if (n + 1) * ranks * 3 * (n + 1) >= 2 ** 62:
            raise OverflowError(f"{n:,} nodes and {ranks:,} distinct strengths do not fit the sort key")
        # One int64 sort key per entry, made and sorted a block of nodes at a time (the key's
        # first part is the node, so the blocks' sorted keys follow each other), each block's
        # entries gathered from the tables' own arrays: the only big temporaries are one
        # block's keys and their parts (~0.15 GB at most), beside the two outputs.
        counts = np.zeros(n, dtype=np.int64)
        for table in tables:
            counts += np.bincount(table.source, minlength=n)
            counts += np.bincount(table.target, minlength=n)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        del counts
        self.ranked_other = np.empty(2 * m, dtype=np.int32)
        self.ranked_rank = np.empty(2 * m, dtype=np.int32)
        bounds = np.searchsorted(indptr, np.arange(0, 2 * m, _RANK_BLOCK), side="right") - 1
        for lo, hi in zip(bounds.tolist(), bounds[1:].tolist() + [n]):
            if indptr[hi] > indptr[lo]:
                _rank_block(tables, edge_ranks, lo, hi, n, ranks,
                            self.ranked_other[indptr[lo]:indptr[hi]], self.ranked_rank[indptr[lo]:indptr[hi]])
        del edge_ranks
        self.rank_strength = strengths
        self.rank_code = 2 * rank_tiers
        self.indptr = indptr
        self.edge_count = m
        self._rank_cache.clear()
        self._adjacency_cache.clear()
        self._in_degrees.clear()

    def kind_in_degree(self, node: str, kind: str) -> int:
        """How many `kind` edges end at `node` (a paper's citing notes): one bincount per kind,
        kept until the tables change, then O(1)."""
        counts = self._in_degrees.get(kind)
        if counts is None:
            table = self.tables.get(kind)
            counts = (np.bincount(table.target, minlength=len(self.ids)) if table is not None
                      else np.zeros(len(self.ids), dtype=np.int64))
            self._in_degrees[kind] = counts
        return int(counts[self.index[node]])

    def edge_attrs(self, source: int, target: int, kind: str) -> dict[str, Any]:
        """The attributes of the `kind` edge from node index `source` to `target`."""
        return self.tables[kind].attrs(self.tables[kind].find(source, target))

    # -- rankings ----------------------------------------------------------------------------

    def ranked_entries(self, node: str) -> RankedEntries:
        """The node's incident edges strongest first, as `graph_ranking.ranking` gives them
        (a flat [other, code, ...] sequence, read lazily). Raises KeyError."""
        i = self.index[node]
        cache = self._rank_cache
        entries = cache.get(i)
        if entries is None:
            entries = cache[i] = RankedEntries(self, int(self.indptr[i]), int(self.indptr[i + 1]))
            if len(cache) > 4096:
                cache.popitem(last=False)
        return entries

    # -- the networkx read API the views use ------------------------------------------------

    def __contains__(self, node: object) -> bool:
        return node in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def number_of_nodes(self) -> int:
        return len(self.ids)

    def number_of_edges(self) -> int:
        return self.edge_count

    def degree(self, node: str) -> int:
        """Incident edges of `node` (both directions, each kind counted)."""
        i = self.index[node]
        return int(self.indptr[i + 1] - self.indptr[i])

    def edges(self, keys: bool = False, data: bool = False) -> Iterator[tuple[Any, ...]]:
        """Every edge as (u, v[, kind][, attrs]), kind by kind: networkx's `edges(keys=,
        data=)` for a MultiDiGraph keyed by kind. O(E) Python tuples: for tests and small graphs."""
        ids = self.ids
        for table in self.tables.values():
            for row, (s, t) in enumerate(zip(table.source.tolist(), table.target.tolist())):
                edge: tuple[Any, ...] = (ids[s], ids[t]) + ((table.kind,) if keys else ())
                yield edge + (table.attrs(row),) if data else edge

    def has_edge(self, u: str, v: str, key: str | None = None) -> bool:
        if u not in self.index or v not in self.index:
            return False
        kinds = self.adjacency_of(u, 0).get(v)
        return kinds is not None and (key is None or key in kinds)

    @property
    def nodes(self) -> _NodeView:
        return _NodeView(self)

    @property
    def succ(self) -> _Adjacency:
        return _Adjacency(self, 0)

    @property
    def pred(self) -> _Adjacency:
        return _Adjacency(self, 1)

    _succ = succ
    _pred = pred
    adj = succ

    def _entries(self, i: int, incoming: int | None = None) -> tuple[list[int], list[int]]:
        """(other node indices, codes) of node index i's ranked entries, strongest first:
        all, or only its out-edges (incoming=0) or in-edges (1)."""
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        packed = self.ranked_rank[lo:hi]
        others = self.ranked_other[lo:hi]
        if incoming is not None:
            chosen = np.flatnonzero((packed & 1) == incoming)
            packed, others = packed[chosen], others[chosen]
        codes = self.rank_code[packed >> 1] + (packed & 1)
        return others.tolist(), codes.tolist()

    def adjacency_of(self, node: str, incoming: int) -> Neighbours:
        """{other: {kind: attrs}} of the node's out-edges (incoming=0) or in-edges (1); the
        attribute dicts are read when asked for. O(degree)."""
        i = self.index[node]
        cached = self._adjacency_cache.get((i, incoming))
        if cached is None:
            cached = self._adjacency_cache[(i, incoming)] = Neighbours(self, i, incoming)
            if len(self._adjacency_cache) > 4096:
                self._adjacency_cache.popitem(last=False)
        return cached

    def edges_among(self, nodes: Iterable[str], kinds: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
        """(u, v, kind) of every edge with both ends in `nodes` (of `kinds`, default all), by
        u in the order given, then strongest first. Vectorised over the nodes' entries."""
        order = [self.index[n] for n in dict.fromkeys(nodes)]
        if not order:
            return []
        chosen = np.array(order, dtype=np.int64)
        owner, at = _entry_ranges(self.indptr, chosen)
        packed, other = self.ranked_rank[at], self.ranked_other[at]
        keep = ((packed & 1) == 0) & np.isin(other, chosen)
        codes = self.rank_code[packed[keep] >> 1]
        if kinds is not None:
            allowed = {_tier(k) * 2 for k in kinds}
            ok = np.isin(codes, list(allowed))
            keep_at = np.flatnonzero(keep)[ok]
            codes = codes[ok]
        else:
            keep_at = np.flatnonzero(keep)
        ids = self.ids
        return [(ids[order[u]], ids[v], code_kind(c)) for u, v, c in
                zip(owner[keep_at].tolist(), other[keep_at].tolist(), codes.tolist())]

    def links_into(self, nodes: Iterable[str], targets: Iterable[str]) -> dict[str, int]:
        """For each of `targets`: how many of `nodes` have an edge with it, each direction
        counted once (what `(*succ[n], *pred[n])` counts). Vectorised; O(their degrees)."""
        members = np.array([self.index[n] for n in nodes], dtype=np.int64)
        wanted = np.array([self.index[t] for t in targets if t in self.index], dtype=np.int64)
        if not len(members) or not len(wanted):
            return {}
        owner, at = _entry_ranges(self.indptr, members)
        other = self.ranked_other[at].astype(np.int64)
        hit = np.isin(other, wanted)
        width = 2 * len(self.ids)
        pairs = np.unique(owner[hit] * width + other[hit] * 2 + (self.ranked_rank[at][hit] & 1))
        found, counts = np.unique((pairs % width) // 2, return_counts=True)
        return {self.ids[o]: c for o, c in zip(found.tolist(), counts.tolist())}

    def shortest_path_nodes(self, a: str, b: str, kinds: Iterable[str]) -> list[str]:
        """Every node on some fewest-hops path between `a` and `b` along edges of `kinds`
        (either direction); [] when they are not connected. Two breadth-first searches in C
        (scipy.sparse.csgraph) over the ranked adjacency: O(V + E), ~0.1 s a million edges."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import shortest_path

        n = len(self.ids)
        tiers = np.array(sorted({_tier(k) for k in kinds}), dtype=np.int64)
        keep = np.isin(self.rank_code[self.ranked_rank >> 1] >> 1, tiers)
        owner = np.repeat(np.arange(n), np.diff(self.indptr))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(owner[keep], minlength=n))])
        matrix = csr_matrix((np.ones(int(keep.sum()), dtype=np.int8), self.ranked_other[keep], indptr), shape=(n, n))
        ends = [self.index[a], self.index[b]]
        dist = shortest_path(matrix, unweighted=True, indices=ends)
        hops = dist[0][ends[1]]
        if not np.isfinite(hops):
            return []
        return [self.ids[i] for i in np.flatnonzero(dist[0] + dist[1] == hops).tolist()]

    def hub_note(self) -> str | None:
        """The note with most incident edges (ties: the lowest id): where the app opens."""
        degrees = np.diff(self.indptr)
        best, best_degree = None, -1
        for node, attrs in self._node.plain.items():  # claims are never notes
            if attrs.get("kind") == "note":
                degree = int(degrees[self.index[node]])
                if degree > best_degree:
                    best, best_degree = node, degree
        return best

    def subgraph(self, nodes: Iterable[str], kinds: Iterable[str] | None = None) -> Any:
        """A networkx MultiDiGraph of `nodes` (attributes copied) and the edges among them of
        `kinds`, keyed by kind: what networkx algorithms run on. O(their degrees)."""
        import networkx as nx

        chosen = [n for n in dict.fromkeys(nodes) if n in self.index]
        out = nx.MultiDiGraph()
        out.graph.update(self.graph)
        out.add_nodes_from((n, dict(self._node[n])) for n in chosen)
        for u, v, kind in self.edges_among(chosen, kinds):
            out.add_edge(u, v, key=kind, **self.edge_attrs(self.index[u], self.index[v], kind))
        return out


def _entry_ranges(indptr: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in `nodes`, entry index) of every ranked entry of `nodes`, without a
    Python loop over them."""
    starts, lengths = indptr[nodes], indptr[nodes + 1] - indptr[nodes]
    owner = np.repeat(np.arange(len(nodes)), lengths)
    offsets = np.cumsum(lengths) - lengths
    return owner, np.arange(int(lengths.sum())) - np.repeat(offsets, lengths) + np.repeat(starts, lengths)


_RANK_BLOCK = 4_000_000  # ranked entries sorted at a time (32 MB of int64 keys)


def _rank_block(tables: list[EdgeTable], edge_ranks: list[np.ndarray], lo: int, hi: int, n: int,
                ranks: int, ranked_other: np.ndarray, ranked_rank: np.ndarray) -> None:
    """Sort the entries of nodes lo..hi-1 (their edges in every table, each edge an out-entry
    of its source and an in-entry of its target) and decode them into `ranked_other` and
    `ranked_rank` (views of the block's slots). The key: ((node * ranks + rank) * 3 + side)
    * n + other, side 1 for the node's own out-edge, 0 or 2 for an in-edge whose source
    sorts before or after the node."""
    whole = lo == 0 and hi == n
    key = np.empty(len(ranked_other), dtype=np.int64)
    other = np.empty(len(ranked_other), dtype=np.int32)
    at = 0
    for table, edge_rank in zip(tables, edge_ranks):
        for node_end, other_end, incoming in ((table.source, table.target, False), (table.target, table.source, True)):
            chosen = slice(None) if whole else np.flatnonzero((node_end >= lo) & (node_end < hi))
            nodes, others = node_end[chosen], other_end[chosen]
            part = key[at:at + len(nodes)]
            part[:] = nodes
            part *= ranks
            part += edge_rank[chosen]
            part *= 3
            part += np.where(others < nodes, 0, 2) if incoming else 1
            other[at:at + len(nodes)] = others
            at += len(nodes)
    key *= n
    key += other
    del other
    key.sort()
    np.remainder(key, max(n, 1), out=ranked_other, casting="unsafe")
    key //= max(n, 1)
    side = np.remainder(key, 3, out=np.empty(len(key), dtype=np.int8), casting="unsafe")
    key //= 3
    key %= ranks
    key *= 2
    key += side != 1  # incoming
    ranked_rank[:] = key


def _strength_ranks(tables: list[EdgeTable], tiers: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """(per table, each edge's rank among the distinct (-strength, tier) pairs over all
    kinds; each rank's strength; each rank's tier). Sorts only the distinct strengths of
    each kind."""
    values = [np.unique(t.strength) if t.strength_by_value is None
              else np.unique(t.strength_by_value[1][~np.isnan(t.strength_by_value[1])]) for t in tables]
    if not values:
        return [], np.zeros(0), np.zeros(0, dtype=np.int64)
    negative = np.concatenate([-v for v in values])
    tier_of = np.concatenate([np.full(len(v), tier) for v, tier in zip(values, tiers)])
    order = np.lexsort((tier_of, negative))
    rank_of = np.empty(len(negative), dtype=np.int64)
    rank_of[order] = np.arange(len(negative))
    ranks, base = [], 0
    for v, table in zip(values, tables):
        if table.strength_by_value is None:
            ranks.append(rank_of[base + np.searchsorted(v, table.strength)].astype(np.int32))
        else:  # each value's rank, then one gather per edge
            name, by_value = table.strength_by_value
            at = np.minimum(np.searchsorted(v, np.nan_to_num(by_value, nan=v[0])), len(v) - 1)
            column = table.columns[name]
            assert isinstance(column, np.ndarray)
            ranks.append(rank_of[base + at].astype(np.int32)[column])
        base += len(v)
    return ranks, -negative[order], tier_of[order].astype(np.int64)


class RankedEntries:
    """One node's ranking as a flat sequence [other id, code, ...] (`graph_ranking.ranking`'s
    form), converted from the arrays in growing chunks as a walk reads further. Slices
    (step 1) are plain lists: a walk that reads many entries reads them in chunks."""

    __slots__ = ("_graph", "_lo", "_count", "_flat", "_strengths")

    def __init__(self, graph: CompactGraph, lo: int, hi: int) -> None:
        self._graph, self._lo, self._count = graph, lo, hi - lo
        self._flat: list[Any] = []
        self._strengths: list[float] = []

    def __len__(self) -> int:
        return 2 * self._count

    def _load(self, entry: int) -> None:
        """Convert entries up to `entry` (at least doubling what is loaded)."""
        have = len(self._strengths)
        upto = min(self._count, max(entry + 1, 2 * have, 8))
        if upto <= have:
            return
        lo, hi = self._lo + have, self._lo + upto
        graph = self._graph
        ids = graph.ids
        packed = graph.ranked_rank[lo:hi]
        part: list[Any] = [None] * (2 * (hi - lo))
        part[0::2] = [ids[i] for i in graph.ranked_other[lo:hi].tolist()]
        part[1::2] = (graph.rank_code[packed >> 1] + (packed & 1)).tolist()
        self._flat += part
        self._strengths += graph.rank_strength[packed >> 1].tolist()

    def __getitem__(self, j: Any) -> Any:
        if isinstance(j, slice):
            start, stop, step = j.indices(len(self))
            if stop > len(self._flat):
                self._load((stop - 1) >> 1)
            return self._flat[start:stop:step]
        if j >= len(self._flat):
            if j < 0:
                return self[len(self) + j]
            if j >= len(self):
                raise IndexError(j)
            self._load(j >> 1)
        return self._flat[j]

    def __iter__(self) -> Iterator[Any]:
        self._load(self._count - 1)
        return iter(self._flat)

    def strength(self, j: int) -> float:
        """The strength of the entry at flat position `j` (even)."""
        if j >= len(self._flat):
            self._load(j >> 1)
        return self._strengths[j >> 1]


class _LazyMapping(Mapping[str, Any]):
    """A mapping over the keys of `_keys` whose values are made when asked for."""

    _keys: dict[str, Any]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Any:
        return self._keys.keys()


class Neighbours(_LazyMapping):
    """One node's out- or in-neighbours as networkx's {other: {kind: attrs}}: the ids and
    kinds are read at once, each attribute dict only when asked for (a bisection)."""

    def __init__(self, graph: CompactGraph, i: int, incoming: int) -> None:
        self._graph, self._i, self._incoming = graph, i, incoming
        others, codes = graph._entries(i, incoming)
        ids = graph.ids
        self._keys: dict[str, dict[str, int]] = {}
        for other, code in zip(others, codes):
            kinds = self._keys.get(ids[other])
            if kinds is None:
                kinds = self._keys[ids[other]] = {}
            kinds[code_kind(code)] = other

    def __getitem__(self, other: str) -> _EdgeKinds:
        return _EdgeKinds(self._graph, self._i, self._incoming, self._keys[other])


class _EdgeKinds(_LazyMapping):
    """{kind: attrs} of the edges between two nodes, attributes read on access."""

    def __init__(self, graph: CompactGraph, i: int, incoming: int, kinds: dict[str, int]) -> None:
        self._graph, self._i, self._incoming, self._keys = graph, i, incoming, kinds

    def __getitem__(self, kind: str) -> dict[str, Any]:
        other = self._keys[kind]
        source, target = (other, self._i) if self._incoming else (self._i, other)
        return self._graph.edge_attrs(source, target, kind)


class _NodeView:
    """graph.nodes: `nodes[n]` is n's attribute dict; `nodes(data=...)` as networkx's."""

    def __init__(self, graph: CompactGraph) -> None:
        self._graph = graph

    def __getitem__(self, node: str) -> dict[str, Any]:
        return self._graph._node[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph.ids)

    def __len__(self) -> int:
        return len(self._graph.ids)

    def __contains__(self, node: object) -> bool:
        return node in self._graph.index

    def __call__(self, data: bool | str = False, default: Any = None) -> Iterable[Any]:
        items = self._graph._node.items()
        if data is True:
            return list(items)
        if data is False:
            return list(self._graph.ids)
        return [(n, attrs.get(data, default)) for n, attrs in items]

    def items(self) -> Iterable[tuple[str, dict[str, Any]]]:
        return self._graph._node.items()


class _Adjacency:
    """graph.succ / graph.pred: `succ[u]` is {v: {kind: attrs}}, built on demand."""

    def __init__(self, graph: CompactGraph, incoming: int) -> None:
        self._graph, self._incoming = graph, incoming

    def __getitem__(self, node: str) -> dict[str, dict[str, Any]]:
        return self._graph.adjacency_of(node, self._incoming)

    def __contains__(self, node: object) -> bool:
        return node in self._graph.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph.ids)

    def __len__(self) -> int:
        return len(self._graph.ids)

    def get(self, node: str, default: Any = None) -> Any:
        return self[node] if node in self._graph.index else default
