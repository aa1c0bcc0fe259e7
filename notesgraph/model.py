"""The parsed note model: frozen dataclasses shared by every layer.

Nothing here does I/O or knows about SQL, embeddings or Qt; the parsers (and
notesgraph.claims, for a note's claims: Claim, Quantity, ClaimSource) produce these objects
and the store persists them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Literal

NoteFormat = Literal["export", "markdown"]
ItemKind = Literal["note", "concept", "inquiry", "paper", "claim", "run"]
ITEM_KINDS: tuple[ItemKind, ...] = ("note", "concept", "inquiry", "paper", "claim", "run")
ReferenceKind = Literal[
    "quoted_title", "arxiv", "author_year", "doi", "wiki_link", "mention",
    "embed", "attachment", "md_link", "heading_link",
]
"""What a reference is. Obsidian link kinds (see parsing.obsidian_links): ``wiki_link``
``[[a|shown]]`` / ``[[a#Heading]]`` / ``[[a#^block]]`` (target ``a``); ``embed`` ``![[a]]``, a
transclusion; ``attachment`` a link to a file that is not a note (``![[x.png|300]]``,
``[[f.pdf]]``); ``md_link`` ``[text](Other%20Note.md)`` (target ``Other Note``);
``heading_link`` ``[[#Heading]]``, a place in the same note (empty target)."""
Unit = Literal["percent", "multiplier", "count", "parameters", "p_value", "points", "number"]
Relation = Literal["", "versus", "range"]
LinkKind = Literal["quoted_title", "arxiv", "author_year", "doi", "short_name", "note", "none"]

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def normalise_title(title: str) -> str:
    """The identity key of a note, concept, inquiry or paper title.

    Case, whitespace, punctuation (including a trailing ``?``) and Unicode width forms are
    ignored, so "Does X shape Y?" and "does x  shape y" are the same item.

    >>> normalise_title("  Does Training-Data FORMAT shape  reasoning? ")
    'does trainingdata format shape reasoning'
    """
    text = title if title.isascii() else unicodedata.normalize("NFKC", title)
    text = text.casefold()
    text = _PUNCTUATION.sub("", text.replace("_", " "))
    return _SPACES.sub(" ", text).strip()


def item_id(kind: ItemKind, ident: int | str) -> str:
    """The one identifier of an item across store, embeddings, graph and UI: "kind:ident".

    Notes, inquiries and papers use their store id; a concept uses its normalised title
    (a stub has no row of its own).

    >>> item_id("note", 12), item_id("concept", "does format matter")
    ('note:12', 'concept:does format matter')
    """
    return f"{kind}:{ident}"


def split_item_id(item: str) -> tuple[ItemKind, str]:
    """The kind and identifier of an item id; raises ValueError for anything else."""
    kind, sep, ident = item.partition(":")
    if not sep or kind not in ITEM_KINDS or not ident:
        raise ValueError(f"not an item id: {item!r} (expected kind:id, kind one of {', '.join(ITEM_KINDS)})")
    return kind, ident  # type: ignore[return-value]


@dataclass(frozen=True)
class Inquiry:
    """An inquiry line: a synthesized question that uses the note as a source."""

    text: str
    line: int = 0

    @property
    def key(self) -> str:
        return normalise_title(self.text)


@dataclass(frozen=True)
class RelatedConcept:
    """Another note (or a stub until such a note exists) with how it relates."""

    title: str
    description: str = ""
    annotation: str = ""
    order: int = 0
    line: int = 0

    @property
    def key(self) -> str:
        return normalise_title(self.title)


@dataclass(frozen=True)
class PaperRef:
    """A related paper as listed by the note, with its 1-based rank."""

    title: str
    rank: int
    line: int = 0

    @property
    def key(self) -> str:
        return normalise_title(self.title)


@dataclass(frozen=True)
class Reference:
    """Something a body paragraph points at: a paper title, arXiv id, citation or note.

    ``paragraph`` indexes ``(lede, *body)``: 0 is the lede, 1 the first body paragraph; -1 is a
    link in no paragraph (a front-matter value such as ``up: "[[X]]"``, the ``# Title`` line,
    a drawing's link lists), its start/end then locate it in that text (the raw front matter).
    ``target`` is what the reference resolves to when the parser can tell (a listed paper's
    title for a quoted short title; for a link, the linked path as written without alias,
    ``#subpath`` or ``.md``, e.g. ``folder/Note``); empty otherwise.
    """

    kind: ReferenceKind
    text: str
    paragraph: int
    start: int
    end: int
    target: str = ""


@dataclass(frozen=True)
class ParseWarning:
    """Something odd in a note that did not stop it from parsing."""

    line: int
    message: str


@dataclass(frozen=True)
class Note:
    """One parsed note file.

    ``body`` holds the paragraphs after the lede, in order, as they appear in the file
    (Markdown source for Markdown notes). ``metadata`` carries header lines, front matter
    and the original note title.
    """

    title: str
    lede: str
    body: tuple[str, ...]
    source: str
    content_hash: str
    format: NoteFormat
    inquiries: tuple[Inquiry, ...] = ()
    concepts: tuple[RelatedConcept, ...] = ()
    papers: tuple[PaperRef, ...] = ()
    references: tuple[Reference, ...] = ()
    warnings: tuple[ParseWarning, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        return normalise_title(self.title)

    @property
    def text(self) -> str:
        """Title, lede and body as one plain text (what full-text search sees)."""
        return "\n\n".join((self.title, self.lede, *self.body))


# -- claims ---------------------------------------------------------------------------------
# What notesgraph.claims extracts from a note and notesgraph.store persists with it.


@dataclass(frozen=True)
class ClaimSource:
    """Where a claim comes from: a paper (listed or cited) or a note, or why nothing was found.

    ``paper`` is the note's listed paper when the reference resolves to one, else the title as
    quoted; ``citation`` and ``arxiv`` are filled when written next to it. ``score`` is 1.0 for
    an exact or prefix title match and the fuzzy score for a short name. ``scope`` is
    "sentence" or "paragraph" (where the reference was found).
    """

    kind: LinkKind
    text: str = ""
    paper: str = ""
    listed: bool = False
    citation: str = ""
    arxiv: str = ""
    note: str = ""
    score: float = 0.0
    scope: str = ""
    unresolved: str = ""

    @property
    def label(self) -> str:
        """What a reader should see: the paper title, else citation or arXiv id, else the note."""
        return self.paper or self.citation or (f"arXiv:{self.arxiv}" if self.arxiv else "") or self.note


NO_SOURCE = ClaimSource("none", unresolved="no paper or note is named in the sentence or before it in the paragraph")


@dataclass(frozen=True)
class Quantity:
    """One number in a claim, as a structured value.

    ``value`` is in plain units (235M -> 235e6); ``text`` is as written; ``start``/``end`` are
    offsets in the paragraph. ``compared_to`` is the other side of a "versus" or the other end
    of a "from X to Y" range (``relation`` says which); ``at_least`` marks "30+".
    """

    value: float
    unit: Unit
    text: str
    start: int
    end: int
    measure: str = ""
    compared_to: float | None = None
    relation: Relation = ""
    at_least: bool = False


@dataclass(frozen=True)
class Claim:
    """A sentence of a note that states a measured result or a comparison.

    ``key`` identifies the claim across re-indexing while its note title and sentence text stay
    the same (what a replication run records); ``paragraph`` indexes ``(lede, *body)``.
    """

    key: str
    text: str
    paragraph: int
    start: int
    end: int
    quantities: tuple[Quantity, ...]
    markers: tuple[str, ...]
    source: ClaimSource = NO_SOURCE


# -- experiment runs ----------------------------------------------------------------------------
# Written and read by notesgraph.experiments.runner, the one owner of runs: the CLI and the app
# get these from its functions (start_run, run_details, list_runs, watch_runs ...), never rows.

RunStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]


@dataclass(frozen=True)
class Run:
    """One experiment run as the store holds it (its fields in the order of the runs table).

    ``progress_done``/``progress_total`` count thousandths of conditions; ``pid`` is the worker
    process while one has the run; ``folder`` holds its artefacts (results.csv, run.json, plots).
    """

    id: int
    experiment: str
    version: str
    parameters: dict[str, Any]
    seeds: tuple[int, ...]
    quick: bool
    status: RunStatus
    pid: int | None
    cancel_requested: bool
    progress_done: int
    progress_total: int
    progress_message: str
    environment: dict[str, Any]
    folder: str
    error: str
    created_at: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class RunDetails:
    """What a run's page (the app) and `notesgraph runs show` show: the run and what it wrote."""

    run: Run
    finished_conditions: tuple[str, ...] = ()
    """conditions whose results are stored, in run order (what a resume skips)"""
    results: tuple[tuple[str, str, float, float, float, int], ...] = ()
    """(condition, metric, value, ci_low, ci_high, n), in the order written"""
    verdicts: tuple[tuple[str, str, str, str, bool], ...] = ()
    """(claim test, condition, verdict, reason, primary)"""
    claims: tuple[tuple[str, str, str], ...] = ()
    """(claim key, claim test, note hash) of the stored claims it tests"""
    log: tuple[tuple[str, str], ...] = ()
    """(time, message), oldest first"""
    plot: str | None = None
    """results.png in its folder, when the experiment drew one"""
    report: str | None = None
    """the text of report.md in its folder, when the experiment wrote one"""

    @property
    def primary_verdicts(self) -> list[str]:
        """The verdicts that decide the claims' statuses."""
        return [verdict for _, _, verdict, _, primary in self.verdicts if primary]
