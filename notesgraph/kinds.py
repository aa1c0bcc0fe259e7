"""One colour and one shape per item kind, shared by every view (Qt, HTML export, legend).

Colours are from the Tableau 10 palette: distinct for common colour blindness and readable
on light and dark backgrounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from notesgraph.model import ItemKind


@dataclass(frozen=True)
class KindStyle:
    label: str
    plural: str
    colour: str
    shape: str  # vis-network shape name; the Qt view draws the same figure


KIND_STYLES: dict[ItemKind, KindStyle] = {
    "note": KindStyle("Note", "Notes", "#4e79a7", "dot"),
    "concept": KindStyle("Concept stub", "Concepts", "#9c755f", "diamond"),
    "inquiry": KindStyle("Inquiry", "Inquiries", "#f28e2b", "triangle"),
    "paper": KindStyle("Paper", "Papers", "#59a14f", "square"),
    "claim": KindStyle("Claim", "Claims", "#e15759", "star"),
    "run": KindStyle("Run", "Runs", "#b07aa1", "hexagon"),
}


def kind_style(kind: str) -> KindStyle:
    """The style of a kind; an unknown kind gets a neutral grey circle."""
    return KIND_STYLES.get(kind, KindStyle(kind.title(), kind.title() + "s", "#8c8c8c", "dot"))  # type: ignore[arg-type]


EDGE_KINDS: tuple[str, ...] = ("related", "mentions", "replicated_by", "cites", "claims", "source_of", "similar")
"""The graph's edge kinds, strongest tier first (see notesgraph.graph.edge_strength)."""


@dataclass(frozen=True)
class EdgeStyle:
    label: str
    colour: str
    dashed: bool = False


EDGE_STYLES: dict[str, EdgeStyle] = {
    "related": EdgeStyle("lists as a related concept", "#4e79a7"),
    "mentions": EdgeStyle("mentions in its text", "#9c755f"),
    "cites": EdgeStyle("lists the paper", "#59a14f"),
    "claims": EdgeStyle("makes the claim / the claim reports the paper", "#e15759"),
    "replicated_by": EdgeStyle("is tested by the replication run", "#b07aa1"),
    "source_of": EdgeStyle("is a source for the inquiry", "#f28e2b"),
    "similar": EdgeStyle("similar in meaning (cosine)", "#bab0ac", dashed=True),
}


def edge_style(kind: str) -> EdgeStyle:
    """The style of an edge kind; an unknown kind gets a neutral grey line."""
    return EDGE_STYLES.get(kind, EdgeStyle(kind.replace("_", " "), "#8c8c8c"))
