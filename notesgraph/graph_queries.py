"""Questions asked of the knowledge graph: neighbourhoods, inquiry traces, explained paths.

All of them walk edges in both directions (a note that lists another is as near to it as
the other way round) and never copy the graph: `nx.ego_graph(undirected=True)` copies the
whole graph per call (2.5 s at 100k nodes); these read each node's ranked neighbours.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from notesgraph.graph import (
    EDGE_KINDS,
    NODE_KINDS,
    ItemNotInGraph,
    code_kind,
    code_outgoing,
    edge_strength,
    ranking,
)
from notesgraph.graph_ranking import ranked_strength
from notesgraph.kinds import describe_edge
from notesgraph.model import ITEM_KINDS

DEFAULT_MAX_NODES = 200
DEFAULT_COUNT_LIMIT = 1000
_FIRST_CHUNK, _CHUNK = 8, 256
"""Ranking entries (x2) read per slice while walking: the first slice small (most pushes use
the first usable entry), then doubling."""
_ALL_KINDS = frozenset(ITEM_KINDS)


@dataclass(frozen=True)
class Hit:
    """One node of a neighbourhood and how it was reached from the centre."""

    node: str
    depth: int
    strength: float
    """Product of the edge strengths along the path from the centre (the centre: 1.0)."""
    parent: str | None
    edge: str | None
    """Kind of the edge from `parent` (None for the centre)."""
    outgoing: bool
    """True when that edge points from the parent to this node."""


@dataclass(frozen=True)
class Neighbourhood:
    """The nodes within `depth` of `centre`, nearest and strongest first.

    When `max_nodes` cut the walk short, `left_out` says how many more were within reach:
    exact unless `left_out_exact` is False, when counting stopped at the count limit.
    """

    centre: str
    depth: int
    hits: tuple[Hit, ...]
    left_out: int = 0
    left_out_exact: bool = True
    kinds: tuple[str, ...] = NODE_KINDS
    edge_kinds: tuple[str, ...] = EDGE_KINDS
    _index: dict[str, Hit] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update((hit.node, hit) for hit in self.hits)

    @property
    def nodes(self) -> list[str]:
        return [hit.node for hit in self.hits]

    def __contains__(self, node: object) -> bool:
        return node in self._index

    def hit(self, node: str) -> Hit:
        return self._index[node]

    def subgraph(self, graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
        """A read-only view of the graph on these nodes with the allowed edge kinds. O(1)
        to make; iterating it costs the degrees of its nodes."""
        allowed = set(self.edge_kinds)
        return nx.subgraph_view(graph, filter_node=self._index.__contains__,
                                filter_edge=lambda u, v, k: k in allowed)

    def describe_left_out(self) -> str:
        """'' when nothing was left out, else e.g. '1,204 more within depth 2 not shown'."""
        if not self.left_out:
            return ""
        more = f"{self.left_out:,}" + ("" if self.left_out_exact else "+")
        return f"{more} more within depth {self.depth} not shown"


def _check_kinds(kinds: Iterable[str] | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if kinds is None:
        return allowed
    chosen = tuple(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return chosen


def neighbourhood(graph: nx.MultiDiGraph, node: str, depth: int = 1, *,
                  kinds: Iterable[str] | None = None, edge_kinds: Iterable[str] | None = None,
                  max_nodes: int | None = DEFAULT_MAX_NODES,
                  count_limit: int = DEFAULT_COUNT_LIMIT) -> Neighbourhood:
    """The nodes within `depth` (1-3 in the app; any >= 0 works) of `node`, both directions.

    Only nodes of `kinds` are kept and walked through (the centre always counts), only edges
    of `edge_kinds` are followed. With `max_nodes` (the centre included) the walk is
    best-first: nearest first, then by path strength (the product of `edge_strength` along
    the path), so the cap keeps the nearest and strongest. Then up to `count_limit` of the
    nodes left out are counted (`left_out`, `left_out_exact`).

    Raises ItemNotInGraph for an unknown node, ValueError for an unknown kind or depth < 0.
    Cost: O(k log k) for k kept nodes plus the ranked entries skipped on the way (neighbours
    already kept or of other kinds), plus O(count_limit) when the cap bites; each node's
    ranking is read from its strongest end, so a hub inquiry with 10,000 sources costs no
    more than a note with ten.
    """
    if depth < 0:
        raise ValueError(f"depth must be 0 or more, got {depth}")
    if node not in graph:
        raise ItemNotInGraph(node)
    kinds_t = _check_kinds(kinds, ITEM_KINDS, "node kind")
    edge_kinds_t = _check_kinds(edge_kinds, EDGE_KINDS, "edge kind")
    kind_ok, edge_ok = frozenset(kinds_t), frozenset(edge_kinds_t)
    node_attrs = graph._node  # the attribute dicts themselves: NodeView lookups cost 3x more here
    cap = max_nodes if max_nodes is not None else float("inf")
    if cap < 1:
        raise ValueError(f"max_nodes must be 1 or more, got {max_nodes}")

    hits: dict[str, Hit] = {node: Hit(node, 0, 1.0, None, None, False)}
    # Heap entries stand for "the next usable edge in `parent`'s ranking from position j":
    # (depth, -score, seq, parent, j). A ranking is strongest first, so the first usable entry
    # is the parent's best candidate and the heap pops candidates nearest and strongest first.
    heap: list[tuple[int, float, int, str, int]] = []
    seq = 0
    edge_codes = frozenset(code for code in range(2 * len(EDGE_KINDS)) if code_kind(code) in edge_ok)
    any_kind, any_edge = kind_ok >= _ALL_KINDS, edge_ok >= frozenset(EDGE_KINDS)

    def push(parent: str, start: int, at_depth: int, score: float) -> None:
        nonlocal seq
        flat = ranking(graph, parent)
        first, size = start, _FIRST_CHUNK
        while first < len(flat):  # in growing slices: a compact graph's ranking converts lazily
            part = flat[first:first + size]
            base, first, size = first, first + size, min(2 * size, _CHUNK)
            for k in range(0, len(part), 2):
                other = part[k]
                if other in hits or not (any_edge or part[k + 1] in edge_codes) \
                        or not (any_kind or node_attrs[other].get("kind") in kind_ok):
                    continue
                at = base + k
                seq += 1
                strength = ranked_strength(graph, parent, flat, at)
                heapq.heappush(heap, (at_depth, -score * strength, seq, parent, at))
                return

    if depth >= 1:
        push(node, 0, 1, 1.0)
    while heap and len(hits) < cap:
        at_depth, negative, _, parent, j = heapq.heappop(heap)
        flat = ranking(graph, parent)
        other, code = flat[j], flat[j + 1]
        if other not in hits:
            hits[other] = Hit(other, at_depth, -negative, parent, code_kind(code), code_outgoing(code))
            if at_depth < depth:
                push(other, 0, at_depth + 1, -negative)
        push(parent, j + 2, at_depth, hits[parent].strength)

    left_out, exact = 0, True
    if heap:
        left_out, exact = _count_rest(graph, hits, depth, None if any_kind else kind_ok,
                                      None if any_edge else edge_codes, count_limit)
    return Neighbourhood(node, depth, tuple(hits.values()), left_out, exact, kinds_t, edge_kinds_t)


def _count_rest(graph: nx.MultiDiGraph, hits: dict[str, Hit], depth: int, kind_ok: Collection[str] | None,
                edge_codes: Collection[int] | None, limit: int) -> tuple[int, bool]:
    """How many nodes within `depth` are not in `hits`: a BFS continuing from the kept nodes
    (in their order, so depths only grow along the queue) that stops after `limit` new nodes
    or 20 x `limit` entries read, returning (count, False). None for `kind_ok` or
    `edge_codes`: everything allowed. O(limit)."""
    node_attrs = graph._node
    depth_of = {hit.node: hit.depth for hit in hits.values()}
    queue = [hit.node for hit in hits.values() if hit.depth < depth]
    found, budget = 0, 20 * max(limit, 1)
    for parent in queue:  # the list grows while we walk it: a FIFO queue
        flat = ranking(graph, parent)
        next_depth = depth_of[parent] + 1
        for first in range(0, len(flat), _CHUNK):
            part = flat[first:first + _CHUNK]
            for k in range(0, len(part), 2):
                budget -= 1
                if budget < 0:
                    return found, False
                other = part[k]
                if other in depth_of or (edge_codes is not None and part[k + 1] not in edge_codes) \
                        or (kind_ok is not None and node_attrs[other].get("kind") not in kind_ok):
                    continue
                depth_of[other] = next_depth
                found += 1
                if found >= limit:
                    return found, False
                if next_depth < depth:
                    queue.append(other)
    return found, True


# -- trace ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CitedPaper:
    node: str
    title: str
    rank: int


@dataclass(frozen=True)
class Source:
    """A note that is a source for the inquiry, with the papers it cites (by rank)."""

    node: str
    title: str
    position: int
    """Where the inquiry sits in the note's list of inquiring lines (1-based)."""
    papers: tuple[CitedPaper, ...]


@dataclass(frozen=True)
class SharedPaper:
    node: str
    title: str
    cited_by: int
    best_rank: int


@dataclass(frozen=True)
class Trace:
    """An inquiry traced back to all of its sources, and the papers behind them."""

    inquiry: str
    text: str
    sources: tuple[Source, ...]
    papers: tuple[SharedPaper, ...]
    """Every paper a source cites: most-cited first, then by best rank and title."""


def trace(graph: nx.MultiDiGraph, inquiry: str) -> Trace:
    """Every note that is a source for `inquiry` (ordered by title), with the papers each
    cites, and those papers pooled. Raises ItemNotInGraph, or ValueError when the node is
    not an inquiry. O(sources x their degree)."""
    if inquiry not in graph:
        raise ItemNotInGraph(inquiry)
    if graph.nodes[inquiry].get("kind") != "inquiry" and not any(
            "source_of" in keydict for keydict in graph.pred[inquiry].values()):  # a note that is one too
        raise ValueError(f"{inquiry} is a {graph.nodes[inquiry].get('kind')}, not an inquiry")
    sources = []
    pooled: dict[str, list[Any]] = {}
    for note, keydict in graph.pred[inquiry].items():
        if "source_of" not in keydict:
            continue
        papers = sorted(
            (CitedPaper(paper, graph.nodes[paper]["label"], kd["cites"]["rank"])
             for paper, kd in graph.succ[note].items() if "cites" in kd),
            key=lambda p: (p.rank, p.title))
        for paper in papers:
            entry = pooled.setdefault(paper.node, [paper.title, 0, paper.rank])
            entry[1] += 1
            entry[2] = min(entry[2], paper.rank)
        sources.append(Source(note, graph.nodes[note]["label"], keydict["source_of"]["position"],
                              tuple(papers)))
    sources.sort(key=lambda s: (s.title.casefold(), s.node))
    shared = sorted((SharedPaper(node, title, count, rank) for node, (title, count, rank) in pooled.items()),
                    key=lambda p: (-p.cited_by, p.best_rank, p.title.casefold()))
    return Trace(inquiry, graph.nodes[inquiry]["label"], tuple(sources), tuple(shared))


@dataclass(frozen=True)
class SharedInquiry:
    """Another inquiry line that some of an inquiry's sources also feed."""

    node: str
    text: str
    shared_sources: int


def shared_inquiries(graph: nx.MultiDiGraph, inquiry: str) -> list[SharedInquiry]:
    """The other inquiries the sources of `inquiry` are also sources of, most shared sources
    first (then by text). Raises ItemNotInGraph. O(sources x their degree)."""
    if inquiry not in graph:
        raise ItemNotInGraph(inquiry)
    counts: dict[str, int] = {}
    for note, keydict in graph.pred[inquiry].items():
        if "source_of" not in keydict:
            continue
        for other, kd in graph.succ[note].items():
            if other != inquiry and "source_of" in kd:
                counts[other] = counts.get(other, 0) + 1
    found = [SharedInquiry(node, graph.nodes[node]["label"], count) for node, count in counts.items()]
    return sorted(found, key=lambda s: (-s.shared_sources, s.text.casefold()))


# -- path -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One hop of a path: the edge `kind` between `source` and `target`, in its direction."""

    source: str
    target: str
    kind: str
    attrs: dict[str, Any]
    forward: bool
    """True when the walk goes along the edge (from its source to its target)."""


class NoPath(LookupError):
    """The two items are not connected by the allowed edge kinds."""


def _best_edge(graph: nx.MultiDiGraph, u: str, v: str, edge_ok: Collection[str]) -> Step | None:
    best: Step | None = None
    best_strength = -1.0
    for source, target, forward in ((u, v, True), (v, u, False)):
        for kind, attrs in graph.succ[source].get(target, {}).items():
            strength = edge_strength(kind, attrs)
            if kind in edge_ok and strength > best_strength:
                best, best_strength = Step(source, target, kind, attrs, forward), strength
    return best


def path(graph: nx.MultiDiGraph, a: str, b: str, edge_kinds: Iterable[str] | None = None) -> list[Step]:
    """The shortest path from `a` to `b` in either direction along edges, as explained steps.

    Fewest hops first; among equally short paths the one with the strongest edges (each edge
    costs 1 + (1 - strength) / 1000). Raises ItemNotInGraph, or NoPath when they are not
    connected. Bidirectional Dijkstra: O(E log V) at worst, usually far less. On a
    `CompactGraph` it runs on the subgraph of the nodes on fewest-hops paths (found by two
    breadth-first searches in C), as the cheapest path never takes an extra hop.
    """
    for node in (a, b):
        if node not in graph:
            raise ItemNotInGraph(node)
    edge_ok = frozenset(_check_kinds(edge_kinds, EDGE_KINDS, "edge kind"))
    if a == b:
        return []
    if hasattr(graph, "shortest_path_nodes"):  # a CompactGraph: networkx on the extracted subgraph
        graph = graph.subgraph(graph.shortest_path_nodes(a, b, edge_ok), kinds=edge_ok)
        if a not in graph:
            raise NoPath(f"no path between {a} and {b} along {', '.join(sorted(edge_ok))} edges")

    def cost(u: str, v: str, _: Any) -> float | None:
        step = _best_edge(graph, u, v, edge_ok)
        return None if step is None else 1 + (1 - edge_strength(step.kind, step.attrs)) / 1000

    try:
        _, nodes = nx.bidirectional_dijkstra(graph.to_undirected(as_view=True), a, b, weight=cost)
    except nx.NetworkXNoPath:
        raise NoPath(f"no path between {a} and {b} along {', '.join(sorted(edge_ok))} edges") from None
    steps = []
    for u, v in zip(nodes, nodes[1:]):
        step = _best_edge(graph, u, v, edge_ok)
        assert step is not None
        steps.append(step)
    return steps


def explain_step(graph: nx.MultiDiGraph, step: Step) -> str:
    """One sentence for a step, naming both ends by label, e.g.
    '"A" lists "B" as related concept #2 (annotation)'."""
    nodes = graph.nodes
    return describe_edge(step.kind, step.attrs, "sentence", source=nodes[step.source]["label"],
                         target=nodes[step.target]["label"], target_kind=nodes[step.target]["kind"])
