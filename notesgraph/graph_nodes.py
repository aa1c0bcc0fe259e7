"""Which node shows a note or an inquiry: a note is `note:<id>` unless it is an inquiry's or a
paper's own page (then that item's node), and an inquiry is `inquiry:<id>` unless its text is a
note's title (then that note's node: one node, both roles). Pure lookups over the rows and the
graph's `_pages` and `_inquiries` maps; networkx only for types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    import networkx as nx

    from notesgraph.store import GraphRows

_PAGE_KINDS = {"inquiry": "inquiry", "paper": "paper"}
"""Page kinds whose note is shown as the item it is the page of (see `_note_nodes`)."""


def _note_nodes(rows: GraphRows) -> dict[int, str]:
    """note id -> its node: `note:<id>`, or for the page of an inquiry or a paper (a file
    copied from such a page) that inquiry's or paper's node, so the page and the item the
    other notes list are one node."""
    by_key = {"inquiry": {key: f"inquiry:{ident}" for ident, _, key in rows.inquiries},
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


def _inquiry_nodes(graph: Any, rows: GraphRows, notes: dict[int, str]) -> dict[int, str]:
    """inquiry id -> its node: `inquiry:<id>`, or the note whose title is the inquiry's text
    (one node, both roles: the notes that list the inquiry are its sources). Recorded in
    `graph._inquiries` for `node_of_item`. O(notes in the graph) when refreshing."""
    by_key = {attrs["key"]: node for node, attrs in graph._node.items()
              if node.startswith("note:") and "key" in attrs and int(node[5:]) not in notes}
    by_key.update((row[1], notes[row[0]]) for row in rows.notes if notes[row[0]].startswith("note:"))
    nodes = {}
    for ident, _, key in rows.inquiries:
        node = nodes[ident] = by_key.get(key) or f"inquiry:{ident}"
        if node.startswith("note:"):
            graph._inquiries[ident] = node
        else:
            graph._inquiries.pop(ident, None)
    return nodes


def node_of_item(graph: nx.MultiDiGraph, item: str) -> str:
    """The node that shows `item`: a note that is an inquiry's or a paper's page is that item's
    node, and an inquiry whose text is a note's title is that note's node; else the item."""
    kind, _, ident = item.partition(":")
    if not ident.isdigit():
        return item
    if kind == "note":
        return node_of_note(graph, int(ident))
    if kind == "inquiry":
        return getattr(graph, "_inquiries", {}).get(int(ident), item)
    return item
