"""A paper map inside your notes: `cocited` edges between papers the same notes list and
`shares_author` edges between papers whose library entries share authors (strength: the
count), and a paper's size in the views by the number of notes citing it.

Kept apart from graph building on purpose: `set_paper_edges` replaces these two edge kinds on
a built graph from the store, so it is one call after building or refreshing,
whatever the graph's internals look like. Co-citation is what Connected Papers and Litmaps draw
from whole citation databases; here it comes from the user's own notes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the app sizes nodes before it needs networkx: that comes with the graph
    import networkx as nx

    from notesgraph.store import Store

PAPER_EDGE_KINDS = ("cocited", "shares_author")


def set_paper_edges(graph: nx.MultiDiGraph, store: Store) -> int:
    """Replace every `cocited` and `shares_author` edge with the store's
    (`Store.paper_edge_rows`), adding the library's papers a refresh has not brought in yet
    (no note lists them, so no changed note did). Returns how many edges were added.
    O(old + new paper edges + papers)."""
    from notesgraph.graph_ranking import _add_edges, _remove_edge

    for ident, key, title in store.library_paper_rows():
        node = f"paper:{ident}"
        if node not in graph._node:
            graph._node[node] = {"kind": "paper", "label": title, "key": key}
            graph._succ[node], graph._pred[node] = {}, {}
    old = [(u, v, kind) for u, nbrs in graph._succ.items() if u.startswith("paper:")
           for v, keydict in nbrs.items() for kind in PAPER_EDGE_KINDS if kind in keydict]
    new = {kind: [(f"paper:{a}", f"paper:{b}", {"count": count}) for a, b, k, count in store.paper_edge_rows()
                  if k == kind and f"paper:{a}" in graph._node and f"paper:{b}" in graph._node]
           for kind in PAPER_EDGE_KINDS}
    # The touched papers' rankings are set aside and spliced once at the end: inserting every
    # edge in place cost ~0.25 ms an edge (5 s for the 9k paper edges of 3,000 generated notes).
    ranked = getattr(graph, "_ranked", {})
    touched = {node for u, v, _ in old + [e for edges in new.values() for e in edges] for node in (u, v)}
    had = {node: flat for node in touched if (flat := ranked.pop(node, None)) is not None}
    for u, v, kind in old:
        _remove_edge(graph, u, v, kind)
    for kind, edges in new.items():
        _add_edges(graph, kind, edges, append=False)
    for node, flat in had.items():
        ranked[node] = _spliced(graph, node, flat)
    return sum(len(edges) for edges in new.values())


def _spliced(graph: nx.MultiDiGraph, node: str, flat: list) -> list:
    """A node's ranking with its paper-map entries replaced by its current paper-map edges.

    Edge kinds are tiers whose strengths never overlap, so the entries of the kinds before
    `cocited` stay first and those after `shares_author` (similar) stay last, each in the
    order they had; only the paper-map entries in between are sorted. O(d + p log p).
    """
    from notesgraph.graph_ranking import _tier, edge_order_key

    first, last = _tier(PAPER_EDGE_KINDS[0]), _tier(PAPER_EDGE_KINDS[-1])
    before: list = []
    after: list = []
    for i in range(0, len(flat), 2):
        tier = flat[i + 1] >> 1
        if tier < first:
            before += flat[i:i + 2]
        elif tier > last:
            after += flat[i:i + 2]
    mine = [(other, 2 * _tier(kind) + incoming) for adjacency, incoming in ((graph._succ, 0), (graph._pred, 1))
            for other, keydict in adjacency[node].items() for kind in PAPER_EDGE_KINDS if kind in keydict]
    mine.sort(key=lambda entry: edge_order_key(graph, node, *entry))
    return before + [x for entry in mine for x in entry] + after


def citing_notes(graph: nx.MultiDiGraph, node: str) -> int:
    """How many notes list this paper (its incoming `cites` edges); 0 for other kinds. O(in-degree)."""
    if not node.startswith("paper:") or node not in graph:
        return 0
    if hasattr(graph, "kind_in_degree"):  # the compact graph: O(1) after one bincount
        return graph.kind_in_degree(node, "cites")
    return sum(1 for keydict in graph._pred[node].values() if "cites" in keydict)


def paper_scale(notes: int) -> float:
    """How much larger a paper is drawn for the notes citing it: 1 for one note, growing with
    the square root (area with the count), at most 2x.

    >>> paper_scale(1), paper_scale(4)
    (1.0, 2.0)
    """
    return min(2.0, math.sqrt(max(notes, 1)))


def node_scale(graph: nx.MultiDiGraph, node: str) -> float:
    """The size factor a view applies to a node: a paper's by its citing notes, else 1."""
    return paper_scale(citing_notes(graph, node)) if node.startswith("paper:") else 1.0
