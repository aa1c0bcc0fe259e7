"""Between the core graph and the Qt views: build the graph, lay out a neighbourhood as
view data, export the full graph and show it (QWebEngineView, else the system browser).

networkx and the graph modules are imported on first use (in the indexing worker), so the
window appears before they load."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from notesgraph.kinds import describe_edge, kind_style
from notesgraph.model import normalise_title
from notesgraph.paper_map import node_scale
from notesgraph.store import Store
from notesgraph.ui.neighbourhood_view import ViewEdge, ViewNode

SIMILAR_EDGES_UP_TO = 2000
"""Notes up to which similar edges are computed at start-up (all-pairs cost grows as n^2)."""
FULL_EXPORT_UP_TO = 3000
"""Nodes up to which "Open in graph" shows the whole graph; beyond, the neighbourhood."""


def build(store: Store) -> Any:
    """The knowledge graph of the store, with `similar` edges when vectors exist: a
    `CompactGraph` (arrays; the 100k-note store in ~1/5 of the networkx graph's memory)."""
    from notesgraph.graph_compact_build import build_compact

    return build_compact(store, similar(store))


def _compact(graph: Any) -> bool:
    return hasattr(graph, "ranked_entries")


def similar(store: Store) -> list[tuple[str, str, float]] | None:
    """`similar` note pairs from the stored vectors; None when the store is too large for
    the all-pairs computation at start-up."""
    if store.note_count() > SIMILAR_EDGES_UP_TO:
        return None
    from notesgraph.similarity import similar_pairs

    return similar_pairs(store, kinds=("note",), k=5)


def set_similar(graph: Any, pairs: list[tuple[str, str, float]]) -> None:
    if _compact(graph):
        from notesgraph.graph_compact_build import set_similar as set_compact

        set_compact(graph, pairs)
        return
    from notesgraph.graph import set_similar_edges

    set_similar_edges(graph, pairs)


def refresh_runs(graph: Any, store: Store) -> None:
    """Re-read the run nodes (a run started or finished); runs are few, so this is cheap
    enough for the Qt thread."""
    if _compact(graph):
        from notesgraph.graph_compact_build import refresh_compact_runs

        refresh_compact_runs(graph, store)
        return
    from notesgraph.graph import refresh_runs as refresh

    refresh(graph, store)


def has_item(graph: Any, item: str | None) -> bool:
    return bool(item) and graph is not None and item in graph


def shown_item(graph: Any, item: str) -> str:
    """The node that shows `item`: a note that is an inquiry's or a paper's page is shown as
    that inquiry or paper, an inquiry whose text is a note's title as that note (see
    notesgraph.graph.node_of_item)."""
    if graph is None or not item.startswith(("note:", "inquiry:")):
        return item
    from notesgraph.graph import node_of_item  # networkx is loaded with the graph, not before

    return node_of_item(graph, item)


def hub(graph: Any) -> str | None:
    """The best-connected note: where the app opens when it has no history."""
    if _compact(graph):
        return graph.hub_note()
    notes = [n for n, attrs in graph.nodes(data=True) if attrs.get("kind") == "note"]
    if not notes:
        return None
    return max(notes, key=lambda n: (graph.degree(n), -int(n.split(":")[1])))


def concept_key(title: str) -> str:
    return normalise_title(title)


def neighbourhood(graph: Any, item: str, depth: int, kinds: set[str], similar: bool,
                  cap: int, expanded: Collection[str] = ()) -> tuple[list[ViewNode], list[ViewEdge], int]:
    """View data for `item`'s neighbourhood: nodes at their layout positions, the edges among
    them, and how many nodes the cap left out. Each ring's inquiries beyond the strongest
    few collapse into one cluster node (`notesgraph.clusters`) unless its id is in
    `expanded`; the cap counts a cluster as one node, so the walk reads up to 2 x `cap`."""
    from notesgraph.clusters import collapse
    from notesgraph.graph import EDGE_KINDS
    from notesgraph.graph_queries import neighbourhood as graph_neighbourhood
    from notesgraph.layout import Placed, radial_layout

    edge_kinds = [k for k in EDGE_KINDS if similar or k != "similar"]
    centre_kind = graph.nodes[item]["kind"]
    if centre_kind == "inquiry":
        # An inquiry traces back to all of its sources and the papers they cite.
        kinds, edge_kinds, depth = {"note", "paper"} & (kinds | {"note"}), ["source_of", "cites"], max(depth, 2)
    else:
        kinds = kinds | {centre_kind}
    hood = graph_neighbourhood(graph, item, depth, kinds=sorted(kinds), edge_kinds=edge_kinds, max_nodes=2 * cap)
    attrs = graph.nodes
    collapsed, dropped = collapse(hood.hits, lambda n: attrs[n]["kind"], expanded).truncated(cap)
    placed = [Placed(h.node, attrs[h.node]["kind"], h.depth, attrs[h.node].get("label", h.node), h.parent)
              for h in collapsed.hits]
    placed += [Placed(c.id, c.kind, c.depth, f"\uffff{c.id}", c.parent) for c in collapsed.clusters]
    positions = radial_layout(placed)
    hits = {h.node: h for h in collapsed.hits}
    nodes = [ViewNode(h.node, attrs[h.node]["kind"], attrs[h.node].get("label", h.node), *positions[h.node],
                      centre=h.depth == 0, tooltip=_node_tooltip(attrs[h.node]), depth=h.depth,
                      scale=node_scale(graph, h.node))
             for h in collapsed.hits]
    nodes += [ViewNode(c.id, c.kind, f"{len(c.members)} {kind_style(c.kind).plural.lower()}", *positions[c.id],
                       tooltip=_cluster_tooltip(graph, c.kind, c.members), depth=c.depth, count=len(c.members))
              for c in collapsed.clusters]
    shown, allowed = set(hits), set(edge_kinds)
    if _compact(graph):
        index = graph.index
        edges = [ViewEdge(u, v, kind, describe_edge(kind, graph.edge_attrs(index[u], index[v], kind), "app"))
                 for u, v, kind in graph.edges_among(hits, allowed)]
    else:
        edges = [ViewEdge(u, v, kind, describe_edge(kind, data, "app"))
                 for u in hits for v, keyed in graph.succ[u].items() if v in shown
                 for kind, data in keyed.items() if kind in allowed]
    for cluster in collapsed.clusters:
        linked = _links_into(graph, cluster.members, shown | {cluster.parent})
        edges += [ViewEdge(other, cluster.id, "source_of", f"source of {count} of these {len(cluster.members)}")
                  for other, count in linked.items()]
    return nodes, edges, hood.left_out + dropped


def _links_into(graph: Any, members: Collection[str], targets: set[str]) -> dict[str, int]:
    """How many of `members` each of `targets` has an edge with (each direction once)."""
    if _compact(graph):
        return graph.links_into(members, targets)
    linked: dict[str, int] = {}
    for member in members:
        for other in (*graph.succ[member], *graph.pred[member]):
            if other in targets:
                linked[other] = linked.get(other, 0) + 1
    return linked


def _cluster_tooltip(graph: Any, kind: str, members: Collection[str], listed: int = 12) -> str:
    titles = [graph.nodes[m].get("label", m) for m in members]
    head = f"{len(titles)} {kind_style(kind).plural.lower()} (click to show them all)"
    more = f"\n… and {len(titles) - listed} more" if len(titles) > listed else ""
    return head + "\n\n" + "\n".join(f"• {t}" for t in titles[:listed]) + more


def _node_tooltip(attrs: dict[str, Any]) -> str:
    extra = attrs.get("lede") or attrs.get("description") or ""
    head = f"{kind_style(attrs.get('kind', '')).label}: {attrs.get('label', '')}"
    return head + (f"\n\n{extra}" if extra else "")


def export_html(graph: Any, centre: str | None, directory: Path) -> Path:
    """Write the offline graph page (whole graph, or the centre's depth-3 neighbourhood when
    the graph is large) and return its path."""
    from notesgraph.export import select_all, select_around, write_export_file
    from notesgraph.graph_queries import neighbourhood as graph_neighbourhood

    if centre is not None and graph.number_of_nodes() > FULL_EXPORT_UP_TO:
        selection = select_around(graph, graph_neighbourhood(graph, centre, 3, max_nodes=FULL_EXPORT_UP_TO))
    else:
        selection = select_all(graph)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "notesgraph-graph.html"
    write_export_file(graph, selection, "html", path)  # whole, or the previous page stays
    return path


def show_html_window(parent: Any, path: Path) -> bool:
    """Show the page in a QWebEngineView window; False when WebEngine is not available."""
    if os.geteuid() == 0:  # Chromium refuses to run its sandbox as root
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    try:
        from PySide6.QtCore import QUrl
        from PySide6.QtWebEngineWidgets import QWebEngineView
    except ImportError:
        return False
    view = QWebEngineView()
    view.setWindowTitle(f"notesgraph — {path.name}")
    view.resize(1200, 850)
    view.load(QUrl.fromLocalFile(str(path)))
    view.show()
    parent._graph_window = view  # keep it alive
    return True
