"""What gets a vector: the passages of every item, as the exact texts the model embeds.

A note gives one passage for its title + lede ("head") and one per body paragraph ("p1",
"p2", ...); an inquiry its text; a paper its title; an unresolved concept (a stub) its title
with its description. A concept whose title is a note's title *is* that note, so it has no
passage of its own. Each passage carries the hash of its text: the embedding cache key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from notesgraph.model import item_id, split_item_id
from notesgraph.store import Store

MAX_PASSAGE_CHARS = 4000
"""Longer texts are cut here before embedding. The model reads at most 256 word pieces
(about 1,000-1,500 characters of English), so nothing it would see is lost, and a 1 MB
paragraph cannot make the tokenizer crawl."""

PASSAGE_RECIPE = "1"
"""Bump when the way texts are built changes: every note's passages are then re-checked."""

EMBEDDED_KINDS = ("note", "inquiry", "paper", "concept")
"""Kinds that have passages today (claims join once they exist)."""


class Passage(NamedTuple):
    """One text to embed: `part` of `item`, with the hash of exactly that text. (A named
    tuple: planning builds one per inquiry and paper on every run, 6x cheaper than a
    frozen dataclass.)"""

    item: str
    part: str
    text: str
    content_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.item, self.part)


def text_hash(text: str) -> str:
    """The cache key of a text (128-bit BLAKE2b, hex)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def part_label(part: str) -> str:
    """What a part is called in output: "title + lede", "paragraph 3", "title", "text"."""
    if part == "head":
        return "title + lede"
    if part.startswith("p") and part[1:].isdigit():
        return f"paragraph {part[1:]}"
    return part


def _passage(item: str, part: str, text: str, warnings: list[str] | None) -> Passage | None:
    text = text.strip()
    if not text:
        return None  # nothing to embed: an empty or whitespace-only text gets no vector
    if len(text) > MAX_PASSAGE_CHARS:
        if warnings is not None:
            warnings.append(f"{item} {part_label(part)}: {len(text):,} characters, embedded only the "
                            f"first {MAX_PASSAGE_CHARS:,} (the model reads about 256 word pieces)")
        text = text[:MAX_PASSAGE_CHARS]
    return Passage(item, part, text, text_hash(text))


def kind_passages(store: Store, kind: str, idents: Iterable[str] | None = None,
                  warnings: list[str] | None = None) -> list[Passage]:
    """The passages of the items of one `kind` (all of them, or those with `idents`), in
    store order. Truncations are appended to `warnings` when given. Costs a read and a hash
    of every text: notes are the bulk (about 0.4 s per 10k notes of the benchmark corpus)."""
    numbers = None if idents is None or kind == "concept" else [int(i) for i in idents]
    found: list[Passage | None] = []
    if kind == "note":
        for note_id, title, position, text in store.paragraph_rows(numbers):
            item = item_id("note", note_id)
            if position == 0:
                found.append(_passage(item, "head", f"{title}\n{text}", warnings))
            else:
                found.append(_passage(item, f"p{position}", text, warnings))
    elif kind == "inquiry":
        found = [_passage(item_id(kind, i), "text", text, warnings) for i, text in store.inquiry_rows(numbers)]
    elif kind == "paper":
        found = [_passage(item_id(kind, i), "title", title, warnings) for i, title in store.paper_rows(numbers)]
    elif kind == "concept":
        found = [_passage(item_id(kind, key), "head", f"{title}\n{description}", warnings)
                 for key, title, description in store.stub_concept_rows(idents)]
    return [p for p in found if p is not None]


def collect_passages(store: Store, items: Iterable[str] | None = None,
                     warnings: list[str] | None = None) -> list[Passage]:
    """The passages of `items` (default: of everything in the store), grouped by kind."""
    if items is None:
        return [p for kind in EMBEDDED_KINDS for p in kind_passages(store, kind, None, warnings)]
    by_kind: dict[str, list[str]] = {kind: [] for kind in EMBEDDED_KINDS}
    for item in items:
        kind, ident = split_item_id(item)
        if kind in by_kind:
            by_kind[kind].append(ident)
    return [p for kind, idents in by_kind.items() if idents
            for p in kind_passages(store, kind, idents, warnings)]
