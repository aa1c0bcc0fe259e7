"""Export the knowledge graph (or a neighbourhood of it): a standalone HTML page, GEXF, GraphML
and node-link JSON.

The HTML page works with the network off: pyvis's template with vis-network inlined, the CDN
tags the template still adds removed, a Content-Security-Policy that forbids every load, and
physics off with positions from `notesgraph.layout`. Notes are data, never markup: labels are
drawn on a canvas, tooltips set as text by vis-network, the data sits in a script as JSON
with <, > and & escaped, and everything this module writes as HTML is escaped.

pyvis's `Network.add_node` / `from_nx` are quadratic (59 s for 10,000 nodes here), so the
template is fed the node and edge lists directly.
"""

from __future__ import annotations

import heapq
import html
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TextIO

import networkx as nx

from notesgraph.config import asset_text
from notesgraph.graph import (
    EDGE_KINDS,
    edge_order_key,
    code_kind,
    code_outgoing,
    edge_strength,
    node_sort_key,
    ranking,
)
from notesgraph.graph_queries import DEFAULT_MAX_NODES as AROUND_MAX_NODES
from notesgraph.graph_queries import Neighbourhood, neighbourhood
from notesgraph.kinds import describe_edge, edge_style, kind_style
from notesgraph.layout import Placed, radial_layout
from notesgraph.paper_map import node_scale

FORMATS: dict[str, str] = {"html": "html", "gexf": "gexf", "graphml": "graphml", "json": "json"}
"""format -> file extension"""
DEFAULT_MAX_NODES = 10_000
DEFAULT_MAX_EDGES = 30_000
"""An html page's caps when none is given (what a browser still draws smoothly); the other
formats export everything."""
KIND_PRIORITY: tuple[str, ...] = ("note", "concept", "paper", "inquiry", "claim", "run")
"""Which nodes a capped full-graph export keeps first (then by degree)."""

@dataclass
class Selection:
    """What an export shows: nodes, edges (u, v, kind) and what was left out."""

    nodes: list[str]
    edges: list[tuple[str, str, str]]
    depths: dict[str, int] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)
    left_out_nodes: int = 0
    left_out_nodes_exact: bool = True
    left_out_edges: int = 0
    title: str = "notesgraph"

    def left_out_text(self) -> str:
        """'' when complete, else e.g. '3,120 nodes and 12,004 edges left out'."""
        parts = []
        if self.left_out_nodes:
            plus = "" if self.left_out_nodes_exact else "+"
            parts.append(f"{self.left_out_nodes:,}{plus} nodes")
        if self.left_out_edges:
            parts.append(f"{self.left_out_edges:,} edges")
        return " and ".join(parts) + " left out" if parts else ""


def _edges_among(graph: nx.MultiDiGraph, nodes: Sequence[str], edge_kinds: Iterable[str] | None,
                 max_edges: int | None) -> tuple[list[tuple[str, str, str]], int]:
    """Edges between `nodes` of the allowed kinds, strongest first when capped; returns (edges,
    how many were left out). Reads each node's outgoing edges: O(sum of out-degrees)."""
    chosen = set(nodes)
    allowed = set(edge_kinds) if edge_kinds is not None else set(EDGE_KINDS)
    succ = graph._succ
    found = [(u, v, kind) for u in nodes for v in _chosen_targets(succ[u], chosen)
             for kind in succ[u][v] if kind in allowed]
    if max_edges is None or len(found) <= max_edges:
        return found, 0
    found.sort(key=lambda e: (-edge_strength(e[2], graph._succ[e[0]][e[1]][e[2]]),
                              node_sort_key(e[0]), node_sort_key(e[1])))
    return found[:max_edges], len(found) - max_edges


def select_around(graph: nx.MultiDiGraph, hood: Neighbourhood, max_edges: int | None = DEFAULT_MAX_EDGES) -> Selection:
    """A neighbourhood as an export selection (its nodes, edges among them, depths, parents)."""
    edges, dropped = _edges_among(graph, hood.nodes, hood.edge_kinds, max_edges)
    label = graph.nodes[hood.centre].get("label", hood.centre)
    return Selection(hood.nodes, edges, {h.node: h.depth for h in hood.hits},
                     {h.node: h.parent for h in hood.hits}, hood.left_out, hood.left_out_exact,
                     dropped, title=f"{label} — depth {hood.depth}")


def select_all(graph: nx.MultiDiGraph, max_nodes: int | None = None, max_edges: int | None = None,
               edge_kinds: Iterable[str] | None = None) -> Selection:
    """The whole graph, or its `max_nodes` most important nodes (notes first, then concept
    stubs, papers and inquiries, each by degree) and their `max_edges` strongest edges.

    Depths for the layout come from a BFS over the chosen edges from the best-connected note.
    O(n log n) plus the chosen nodes' outgoing edges; with `max_edges` the strongest are found
    by merging the nodes' rankings, so only the start of each is read.
    """
    nodes = list(graph.nodes)
    left_out = 0
    if max_nodes is not None and len(nodes) > max_nodes:
        def priority(node: str) -> tuple[int, int, tuple[str, int, str]]:
            kind = graph._node[node].get("kind", "")
            order = KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)
            return (order, -(len(graph._succ[node]) + len(graph._pred[node])), node_sort_key(node))
        nodes.sort(key=priority)
        left_out = len(nodes) - max_nodes
        nodes = nodes[:max_nodes]
    if max_edges is not None:
        edges, dropped = _strongest_edges(graph, nodes, edge_kinds, max_edges)
    else:
        edges, dropped = _edges_among(graph, nodes, edge_kinds, None)
    depths, parents = _bfs_depths(graph, nodes, edges)
    return Selection(nodes, edges, depths, parents, left_out, True, dropped,
                     title=graph.graph.get("name") or "notesgraph")


def select_export(graph: nx.MultiDiGraph, fmt: str, around: str | None = None, depth: int = 2,
                  edge_kinds: Iterable[str] | None = None, max_nodes: int | None = None,
                  max_edges: int | None = None) -> Selection:
    """What `notesgraph export` writes in format `fmt`: the neighbourhood of item `around` within
    `depth` steps (at most `max_nodes` nodes, default 200), else the whole graph. A cap left at
    None is DEFAULT_MAX_NODES / DEFAULT_MAX_EDGES for html and no cap for the other formats."""
    html_page = fmt == "html"
    if max_edges is None and html_page:
        max_edges = DEFAULT_MAX_EDGES
    if around:
        hood = neighbourhood(graph, around, depth, edge_kinds=edge_kinds, max_nodes=max_nodes or AROUND_MAX_NODES)
        return select_around(graph, hood, max_edges)
    if max_nodes is None and html_page:
        max_nodes = DEFAULT_MAX_NODES
    return select_all(graph, max_nodes, max_edges, edge_kinds)


def _strongest_edges(graph: nx.MultiDiGraph, nodes: Sequence[str], edge_kinds: Iterable[str] | None,
                     max_edges: int) -> tuple[list[tuple[str, str, str]], int]:
    """The `max_edges` strongest edges among `nodes` (ties broken by item id) and how many
    others there are. Each node's ranking is already strongest first, so a lazy k-way merge of
    the rankings yields the edges in global order and stops after `max_edges`.
    O(max_edges log n + entries skipped) plus a count over the nodes' outgoing edges."""
    chosen = set(nodes)
    allowed = set(edge_kinds) if edge_kinds is not None else set(EDGE_KINDS)
    heap: list[tuple[tuple[Any, ...], str, int]] = []

    def advance(node: str, start: int) -> None:
        flat = ranking(graph, node)
        for j in range(start, len(flat), 2):
            other, code = flat[j], flat[j + 1]
            if other in chosen and code_kind(code) in allowed:
                heapq.heappush(heap, (edge_order_key(graph, node, other, code), node, j))
                return

    for node in nodes:
        advance(node, 0)
    edges: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    while heap and len(edges) < max_edges:
        _, node, j = heapq.heappop(heap)
        flat = ranking(graph, node)
        other, code = flat[j], flat[j + 1]
        kind = code_kind(code)
        edge = (node, other, kind) if code_outgoing(code) else (other, node, kind)
        if edge not in seen:  # each edge sits in the rankings of both its ends
            seen.add(edge)
            edges.append(edge)
        advance(node, j + 2)
    succ = graph._succ
    total = sum(1 for u in nodes for v in _chosen_targets(succ[u], chosen) for kind in succ[u][v]
                if kind in allowed)
    return edges, total - len(edges)


def _chosen_targets(targets: dict[str, Any], chosen: set[str]) -> Iterable[str]:
    """The keys of `targets` in `chosen`, intersected in C (a note has ~150 targets, mostly
    inquiries that a capped export leaves out), in the adjacency's order."""
    common = targets.keys() & chosen
    return [v for v in targets if v in common] if len(common) > 1 else common


def _bfs_depths(graph: nx.MultiDiGraph, nodes: Sequence[str],
                edges: Sequence[tuple[str, str, str]]) -> tuple[dict[str, int], dict[str, str | None]]:
    """Depths from the node with most chosen edges (a note if any) by BFS over `edges`; nodes
    it cannot reach go one ring further out, in components in turn. O(n + edges)."""
    adjacency: dict[str, list[str]] = {node: [] for node in nodes}
    for u, v, _ in edges:
        adjacency[u].append(v)
        adjacency[v].append(u)
    depths: dict[str, int] = {}
    parents: dict[str, str | None] = {}
    order = sorted(nodes, key=lambda n: (graph._node[n].get("kind") != "note", -len(adjacency[n]),
                                         node_sort_key(n)))
    if not order:
        return depths, parents
    centre = order[0]
    depths[centre], parents[centre] = 0, None
    queue = [centre]
    for node in queue:
        for other in adjacency[node]:
            if other not in depths:
                depths[other], parents[other] = depths[node] + 1, node
                queue.append(other)
    outer = max(depths.values()) + 1
    for node in order:
        if node not in depths:
            depths[node], parents[node] = outer, None
    return depths, parents


# -- HTML -------------------------------------------------------------------------------------

_REMOTE_TAG = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>|"
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")
_DEAD_COMMENT = re.compile(r"<!--(?:(?!-->).)*node_modules(?:(?!-->).)*-->", re.DOTALL)
_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:")


def _tooltip(graph: nx.MultiDiGraph, node: str) -> str:
    """Plain text (vis-network shows a string tooltip as text, never as HTML)."""
    attrs = graph.nodes[node]
    kind = attrs.get("kind", "")
    lines = [attrs.get("label", node), f"{kind_style(kind).label} · {node}"]
    extra = attrs.get("lede") or attrs.get("description") or ""
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def _vis_data(graph: nx.MultiDiGraph, selection: Selection,
              positions: dict[str, tuple[float, float]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """vis-network's node and edge lists. A node carries its whole one-line title (`text`,
    which the page's script elides and draws), its radius (`r`) and its label priority
    (`rank`: 0 first: the centre, then ring by ring, notes before other kinds, the best
    connected first)."""
    degree: dict[str, int] = {}
    for u, v, _ in selection.edges:
        degree[u] = degree.get(u, 0) + 1
        degree[v] = degree.get(v, 0) + 1
    kind_of = {node: graph.nodes[node].get("kind", "") for node in selection.nodes}
    ranked = sorted(selection.nodes, key=lambda n: (selection.depths.get(n, 1), _kind_rank(kind_of[n]),
                                                    -degree.get(n, 0), node_sort_key(n)))
    rank = {node: i for i, node in enumerate(ranked)}
    nodes = []
    for node in selection.nodes:
        attrs = graph.nodes[node]
        kind = kind_of[node]
        x, y = positions[node]
        entry = {"id": node, "text": " ".join(str(attrs.get("label", node)).split()), "title": _tooltip(graph, node),
                 "group": kind, "x": x, "y": y, "r": 16 if kind == "note" else round(11 * node_scale(graph, node), 1),
                 "rank": rank[node]}
        if selection.depths.get(node) == 0:
            entry["size"] = entry["r"] = 24
        nodes.append(entry)
    edges = []
    for u, v, kind in selection.edges:
        style = edge_style(kind)
        title = describe_edge(kind, graph._succ[u][v][kind], "export")
        edge = {"from": u, "to": v, "color": style.colour, "title": title}
        if style.dashed:
            edge["dashes"] = True
            edge["arrows"] = {"to": {"enabled": False}}
        edges.append(edge)
    return nodes, edges


def _vis_options(kinds: Iterable[str], big: bool) -> dict[str, Any]:
    groups = {}
    for kind in kinds:
        style = kind_style(kind)
        groups[kind] = {"color": {"background": style.colour, "border": style.colour},
                        "shape": style.shape, "size": 16 if kind == "note" else 11}
        if kind == "concept":
            groups[kind]["shapeProperties"] = {"borderDashes": [4, 3]}
            groups[kind]["color"] = {"background": "#ffffff", "border": style.colour}
            groups[kind]["borderWidth"] = 2
    return {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": big,
                        "hideEdgesOnZoom": big},
        "nodes": {"borderWidth": 1},
        "edges": {"smooth": False, "width": 1, "arrows": {"to": {"enabled": True, "scaleFactor": 0.45}},
                  "color": {"opacity": 0.7}},
        "groups": groups,
    }


def _legend(kinds: Iterable[str], edge_kinds: Iterable[str]) -> str:
    """The kinds (each a checkbox that shows or hides its nodes) and the edge styles."""
    marks = {"dot": "●", "diamond": "◆", "triangle": "▲", "square": "■", "star": "★", "hexagon": "⬢"}
    items = []
    for kind in kinds:
        style = kind_style(kind)
        items.append(f'<label class="ng-item ng-filter"><input type="checkbox" checked data-kind="{html.escape(kind)}">'
                     f'<span class="ng-mark" style="color:{html.escape(style.colour)}">'
                     f'{marks.get(style.shape, "●")}</span>{html.escape(style.plural)}</label>')
    for kind in edge_kinds:
        style = edge_style(kind)
        line = "dashed" if style.dashed else "solid"
        items.append(f'<span class="ng-item"><span class="ng-line" style="border-top:2px {line} '
                     f'{html.escape(style.colour)}"></span>{html.escape(kind)}: {html.escape(style.label)}</span>')
    return "".join(items)


_SEARCH = ('<div id="ng-tools"><input id="ng-search" type="search" autocomplete="off" '
           'placeholder="Find a node by its title (Enter: next match)" aria-label="Find a node">'
           '<span id="ng-found" aria-live="polite"></span></div>')





def _page_asset(name: str, tag: str) -> str:
    """An assets/ file to inline in a <`tag`> element (the page stays one offline file); it
    must not close that element itself."""
    text = asset_text(name)
    if f"</{tag}" in text.lower():
        raise ValueError(f"assets/{name} contains </{tag}: it cannot be inlined")
    return text


def _summary(graph: nx.MultiDiGraph, selection: Selection) -> str:
    counts: dict[str, int] = {}
    for node in selection.nodes:
        kind = graph.nodes[node].get("kind", "")
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{count:,} {kind_style(kind).plural.lower() if count != 1 else kind_style(kind).label.lower()}"
             for kind, count in sorted(counts.items(), key=lambda kv: _kind_rank(kv[0]))]
    return ", ".join(parts) + f"; {len(selection.edges):,} edges"


def _kind_rank(kind: str) -> int:
    return KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)


def html_page(graph: nx.MultiDiGraph, selection: Selection) -> str:
    """A standalone page for `selection`: inlined vis-network, precomputed positions, physics
    off, a legend and what was left out. O(nodes + edges); ~1 s for 10k nodes / 30k edges."""
    from pyvis.network import Network  # the template and its inlined vis-network

    items = [Placed(node, graph.nodes[node].get("kind", ""), selection.depths.get(node, 1),
                    graph.nodes[node].get("label", ""), selection.parents.get(node))
             for node in selection.nodes]
    positions = radial_layout(items)
    nodes, edges = _vis_data(graph, selection, positions)
    kinds = sorted({graph.nodes[n].get("kind", "") for n in selection.nodes}, key=_kind_rank)
    edge_kinds = [k for k in EDGE_KINDS if any(e[2] == k for e in selection.edges)]
    options = json.dumps(_vis_options(kinds, len(nodes) > 2000))
    network = Network(cdn_resources="in_line")
    template = network.templateEnv.get_template(network.path)
    page = template.render(
        height="calc(100vh - 150px)", width="100%", nodes=nodes, edges=edges, heading="",
        options=options.replace("<", "\\u003c"), physics_enabled=False, use_DOT=False, dot_lang="",
        widget=False, bgcolor="transparent", conf=False, tooltip_link=False,
        neighborhood_highlight=False, select_menu=False, filter_menu=False, notebook=False,
        cdn_resources="in_line")
    page = _REMOTE_TAG.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    page = _DEAD_COMMENT.sub("", page)
    left_out = selection.left_out_text()
    header = (
        '<div id="ng-header">'
        f"<h1>{html.escape(selection.title)}</h1>"
        f'<span id="ng-summary">{html.escape(_summary(graph, selection))}</span>'
        + (f'<span id="ng-left-out">{html.escape(left_out)}</span>' if left_out else "")
        + f'{_SEARCH}<div id="ng-legend">{_legend(kinds, edge_kinds)}</div></div>')
    head = (f'<head>\n<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            f"<title>{html.escape(selection.title)}</title>\n<style>{_page_asset('export/export.css', 'style')}</style>")
    page = page.replace("<head>", head, 1)
    page = page.replace("<body>", "<body>\n" + header, 1)
    page = page.replace("</body>", f"<script>\n{_page_asset('export/export.js', 'script')}</script>\n</body>", 1)
    remote = _remote_reference(page)
    if remote:
        raise RuntimeError(f"the pyvis template gained a remote resource ({remote}); export.py must strip it")
    return page


_LOADS = frozenset({"src", "href", "srcset", "data", "poster", "action", "formaction", "background",
                    "xlink:href", "manifest", "ping"})
"""Attributes through which a tag loads or sends to a URL."""
_REMOTE = ("http:", "https:", "//")


class _RemoteTags(HTMLParser):
    """Finds the first tag of a page with an attribute that points off the machine. Reads the
    page's markup only: a script's body (vis-network, and the notes as JSON data with <, >
    and & escaped) is opaque text to the parser, so a note that says `src=https://...` is
    not a tag and is not found."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not self.found and name in _LOADS and (value or "").strip().lower().startswith(_REMOTE):
                self.found = f"<{tag} {name}={value!r}>"

    handle_startendtag = handle_starttag


def _remote_reference(page: str) -> str:
    """The first tag whose src=, href= (or another loading attribute) points off the machine
    (http:, https: or //), else ''. O(page); the scripts' bodies are skipped whole."""
    finder = _RemoteTags()
    finder.feed(page)
    finder.close()
    return finder.found


# -- GEXF, GraphML, JSON ----------------------------------------------------------------------


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold, not even as a character reference: the C0 controls but tab,
newline and carriage return (ESC, FF, VT ... come from terminal logs and PDF text), lone
surrogates, U+FFFE and U+FFFF."""


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class _XmlText:
    """Makes a value XML 1.0 can hold: each character it cannot becomes visible text (ESC is
    written as \\x1b), so nothing vanishes silently and two ids that differ only there stay
    two ids. Remembers which texts it changed, for one warning. One regex search per string."""

    def __init__(self) -> None:
        self.changed: set[str] = set()

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or _NOT_XML.search(value) is None:
            return value
        self.changed.add(value)
        return _NOT_XML.sub(_escape_char, value)

    def warnings(self, fmt: str) -> list[str]:
        if not self.changed:
            return []
        count = len(self.changed)
        return [f"{count:,} text{'s' if count != 1 else ''} (titles, ids, descriptions) held characters "
                f"XML 1.0 cannot hold (control characters such as ESC, form feed, vertical tab); the "
                f"{fmt.upper()} file has them as \\xNN escapes (the json format keeps them as they are)"]


def _same(value: Any) -> Any:
    return value


def export_graph(graph: nx.MultiDiGraph, selection: Selection, viz: bool = False,
                 text: Callable[[Any], Any] = _same) -> nx.MultiDiGraph:
    """A copy of the selection with every attribute, `kind` on each edge and plain values only
    (what GEXF/GraphML writers accept), each id and value passed through `text` (an _XmlText
    for the XML formats). With `viz`, GEXF colours and sizes by kind."""
    out = nx.MultiDiGraph(name=text(selection.title), left_out=selection.left_out_text())
    for node in selection.nodes:
        attrs = {k: text(v) for k, v in graph.nodes[node].items() if isinstance(v, (str, int, float, bool))}
        if viz:
            colour = kind_style(attrs.get("kind", "")).colour.lstrip("#")
            r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
            attrs["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0},
                            "size": 10.0 if attrs.get("kind") == "note" else 6.0}
        out.add_node(text(node), **attrs)
    for number, (u, v, kind) in enumerate(selection.edges):
        attrs = {k: text(val) for k, val in graph._succ[u][v][kind].items()
                 if isinstance(val, (str, int, float, bool))}
        attrs["kind"] = kind
        attrs["strength"] = round(edge_strength(kind, graph._succ[u][v][kind]), 4)
        attrs["eid"] = f"e{number}"
        out.add_edge(text(u), text(v), key=kind, **attrs)
    return out


def write_export(graph: nx.MultiDiGraph, selection: Selection, fmt: str, stream: TextIO | Any) -> list[str]:
    """Write the selection as `fmt` (html, gexf, graphml or json) to a text stream; returns
    warnings for the user (each said once). Raises ValueError for an unknown format."""
    if fmt == "html":
        stream.write(html_page(graph, selection))
    elif fmt == "json":
        data = nx.node_link_data(export_graph(graph, selection), edges="edges")
        json.dump(data, stream, ensure_ascii=False, indent=1)
        stream.write("\n")
    elif fmt in ("gexf", "graphml"):
        xml_text = _XmlText()
        out = export_graph(graph, selection, viz=fmt == "gexf", text=xml_text)
        if fmt == "gexf":
            lines = nx.generate_gexf(out)
        else:
            lines = nx.generate_graphml(out, edge_id_from_attribute="eid")
        for line in lines:
            stream.write(line + "\n")
        return xml_text.warnings(fmt)
    else:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    return []


def write_export_file(graph: nx.MultiDiGraph, selection: Selection, fmt: str, target: Path | str) -> list[str]:
    """`write_export` to the file `target`, whole or not at all: into a temporary file in the
    same folder, renamed over `target` only once complete, so a failed export (an error, a
    full disk, Ctrl+C) leaves the file that was there as it was. Through a symlink, the file it
    names is replaced. Returns the warnings. Costs one rename."""
    final = Path(os.path.realpath(target))
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666: the umask applies, as it does for open(); mkstemp would give 0o600.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            warnings = write_export(graph, selection, fmt, stream)
        if final.exists():
            shutil.copymode(final, temporary)  # a re-export keeps the file's permissions
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return warnings
