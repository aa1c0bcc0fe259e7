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
    O(old + new paper edges + papers): each edge is inserted in its ends' rankings in place
    (paper edges are few)."""
    from notesgraph.graph_ranking import _add_edges, _remove_edge

    for ident, key, title in store.library_paper_rows():
        node = f"paper:{ident}"
        if node not in graph._node:
            graph._node[node] = {"kind": "paper", "label": title, "key": key}
            graph._succ[node], graph._pred[node] = {}, {}
    old = [(u, v, kind) for u, nbrs in graph._succ.items() if u.startswith("paper:")
           for v, keydict in nbrs.items() for kind in PAPER_EDGE_KINDS if kind in keydict]
    for u, v, kind in old:
        _remove_edge(graph, u, v, kind)
    rows = store.paper_edge_rows()
    added = 0
    for kind in PAPER_EDGE_KINDS:
        edges = [(f"paper:{a}", f"paper:{b}", {"count": count}) for a, b, k, count in rows
                 if k == kind and f"paper:{a}" in graph._node and f"paper:{b}" in graph._node]
        _add_edges(graph, kind, edges, append=False)
        added += len(edges)
    return added


def citing_notes(graph: nx.MultiDiGraph, node: str) -> int:
    """How many notes list this paper (its incoming `cites` edges); 0 for other kinds. O(in-degree)."""
    if not node.startswith("paper:") or node not in graph:
        return 0
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
