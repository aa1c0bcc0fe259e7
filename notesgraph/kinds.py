"""How items and edges look in every view (Qt, HTML export, legend, CLI): one colour and one
shape per item kind, one colour and one description per edge kind, and elided labels.

Colours are from the Tableau 10 palette: distinct for common colour blindness and readable
on light and dark backgrounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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


EDGE_KINDS: tuple[str, ...] = ("related", "mentions", "embeds", "replicated_by", "cites", "claims", "source_of",
                               "cocited", "shares_author", "similar")
"""The graph's edge kinds, strongest tier first (see notesgraph.graph_ranking.edge_strength)."""


@dataclass(frozen=True)
class EdgeStyle:
    label: str
    colour: str
    dashed: bool = False


EDGE_STYLES: dict[str, EdgeStyle] = {
    "related": EdgeStyle("lists as a related concept", "#4e79a7"),
    "mentions": EdgeStyle("mentions in its text", "#9c755f"),
    "embeds": EdgeStyle("embeds (shows the note inside it)", "#76b7b2"),
    "cites": EdgeStyle("lists the paper", "#59a14f"),
    "claims": EdgeStyle("makes the claim / the claim reports the paper", "#e15759"),
    "replicated_by": EdgeStyle("is tested by the replication run", "#b07aa1"),
    "source_of": EdgeStyle("is a source for the inquiry", "#f28e2b"),
    "cocited": EdgeStyle("listed together by the same notes (co-citation)", "#8cd17d"),
    "shares_author": EdgeStyle("shares authors (from your library)", "#499894"),
    "similar": EdgeStyle("similar in meaning (cosine)", "#bab0ac", dashed=True),
}


def edge_style(kind: str) -> EdgeStyle:
    """The style of an edge kind; an unknown kind gets a neutral grey line."""
    return EDGE_STYLES.get(kind, EdgeStyle(kind.replace("_", " "), "#8c8c8c"))


EdgeWording = Literal["export", "app", "sentence"]

_EDGE_WORDING: dict[str, dict[EdgeWording, str]] = {
    "related": {"export": "related #{order}{colon_annotation}", "app": "related{colon_annotation}",
                "sentence": '"{source}" lists "{target}"{stub} as related concept #{order}{annotation}'},
    "cites": {"export": "cites (rank {rank})", "app": "cites (listed rank {rank})",
              "sentence": '"{source}" lists the paper "{target}" (rank {rank})'},
    "source_of": {"export": "source of (inquiry #{position})", "app": "source of this inquiry line",
                  "sentence": '"{source}" is a source for the inquiry "{target}"'},
    "mentions": {"export": "mentions ×{count} ({via})", "app": "mentions in the text ({via})",
                 "sentence": '"{source}" mentions {the_kind}"{target}" in its text{times}'},
    "embeds": {"export": "embeds ×{count}", "app": "embeds it (![[…]]: shows it inside)",
               "sentence": '"{source}" embeds {the_kind}"{target}" (shows it inside itself){times}'},
    "similar": {"export": "similar (cosine {weight:.2f})", "app": "similar (cosine {weight:.2f})",
                "sentence": '"{source}" and "{target}" are similar (cosine {weight:.2f})'},
    "replicated_by": {"export": "tested by this replication run", "app": "tested by this replication run"},
    "cocited": {"export": "co-cited by {count} notes", "app": "co-cited: {count} notes list both",
                "sentence": '"{source}" and "{target}" are listed together by {count} notes'},
    "shares_author": {"export": "{count} shared authors", "app": "shares {count} author(s)",
                      "sentence": '"{source}" and "{target}" share {count} author(s)'},
}


def describe_edge(kind: str, attrs: Mapping[str, Any], wording: EdgeWording,
                  source: str = "", target: str = "", target_kind: str = "") -> str:
    """What an edge of `kind` with the graph's edge attributes `attrs` says, in one of three
    wordings: "export" is the HTML export's compact hover text ("related #2: annotation"),
    "app" the app's edge tooltip ("cites (listed rank 3)"), "sentence" one sentence naming
    both ends by their labels `source` and `target` (`target_kind` is the target's item kind),
    as `notesgraph trace` prints it. An edge kind without a wording is named as it is.
    """
    template = _EDGE_WORDING.get(kind, {}).get(wording)
    if template is None:
        return f'"{source}" -{kind}-> "{target}"' if wording == "sentence" else kind
    annotation, count = attrs.get("annotation"), attrs.get("count", 1)
    return template.format(
        source=source, target=target, order=attrs.get("order"), rank=attrs.get("rank"),
        position=attrs.get("position"), via=attrs.get("via", ""), weight=attrs.get("weight", 0), count=count,
        colon_annotation=f": {annotation}" if annotation else "", annotation=f" ({annotation})" if annotation else "",
        stub=" (a stub: no note yet)" if target_kind == "concept" else "",
        the_kind={"paper": "the paper ", "concept": "the concept "}.get(target_kind, ""),
        times=f" ({count} times)" if count > 1 else "")


def elide(text: str, limit: int, one_line: bool = True) -> str:
    """`text` shortened to at most `limit` characters with an ellipsis; `one_line` first turns
    runs of white space (line breaks too) into one space. Labels are elided where they are
    drawn; the whole text goes in the tooltip."""
    if one_line:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
