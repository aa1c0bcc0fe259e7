"""What both note formats share: section names, list markers and assembling the Note."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from notesgraph.model import (
    Inquiry,
    Note,
    NoteFormat,
    PaperRef,
    ParseWarning,
    RelatedConcept,
    Reference,
)
from notesgraph.parsing.references import find_references

Section = Literal["inquiries", "concepts", "papers", "original_title"]

_SECTION_PATTERNS: tuple[tuple[Section, re.Pattern[str]], ...] = (
    ("inquiries", re.compile(
        r"(?:inquiring lines|inquiry lines|inquiries)(?: that use this note as a source)?", re.I)),
    ("concepts", re.compile(r"(?:related concepts(?: in this collection)?|concept map)", re.I)),
    ("papers", re.compile(r"related papers(?: in this collection)?", re.I)),
    ("original_title", re.compile(r"original note title", re.I)),
)
_COUNT = re.compile(r"\s*[:(\[]?\s*(\d+)\s*[)\]]?\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


def section_header(line: str) -> tuple[Section, int | None] | None:
    """(section, count) when the whole line names a note section, else None.

    Accepts the export's "Related papers in this collection 8", a header with no count, a
    count in brackets, and Markdown heading text like "Related papers".
    """
    text = line.strip().rstrip(":").strip()
    if not text or text[0] not in "IiRrOoCc" or len(text) > 64:
        return None  # every header starts with one of these letters: skip the regexes
    for section, pattern in _SECTION_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        rest = text[match.end():]
        if not rest:
            return section, None
        count = _COUNT.fullmatch(rest)
        if count:
            return section, int(count.group(1))
    return None


@dataclass
class NoteParts:
    """The pieces of a note as a parser collects them, before they are frozen into a Note."""

    source: str
    content_hash: str
    format: NoteFormat
    title: str = ""
    title_line: int = 0
    paragraphs: list[str] = field(default_factory=list)
    inquiries: list[Inquiry] = field(default_factory=list)
    concepts: list[RelatedConcept] = field(default_factory=list)
    papers: list[PaperRef] = field(default_factory=list)
    counts: dict[Section, tuple[int, int]] = field(default_factory=dict)
    warnings: list[ParseWarning] = field(default_factory=list)
    extra_references: list[Reference] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(line, message))


def _unique(items: list, label: str, parts: NoteParts) -> tuple:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.key in seen or not item.key:
            why = "is listed twice" if item.key else "has no text"
            parts.warn(item.line, f"{label} {why}; kept the first")
            continue
        seen.add(item.key)
        kept.append(item)
    return tuple(kept)


def assemble(parts: NoteParts) -> Note:
    """Freeze collected parts into a Note: dedupe lists, check counts, find references."""
    for section, (line, stated) in parts.counts.items():
        listed = {"inquiries": len(parts.inquiries), "concepts": len(parts.concepts),
                  "papers": len(parts.papers)}.get(section)
        if listed is not None and listed != stated:
            parts.warn(line, f"section says {stated} {section} but lists {listed}; kept the {listed} listed")
    inquiries = _unique(parts.inquiries, "inquiry", parts)
    concepts = _unique(parts.concepts, "related concept", parts)
    papers = tuple(
        PaperRef(p.title, rank, p.line)
        for rank, p in enumerate(_unique(parts.papers, "paper", parts), start=1)
    )
    lede, *body = parts.paragraphs or [""]
    if not lede:
        parts.warn(parts.title_line, "note has no lede paragraph after its title")
    references = find_references([lede, *body], papers, [c.title for c in concepts])
    references += tuple(parts.extra_references)
    return Note(
        title=parts.title,
        lede=lede,
        body=tuple(body),
        source=parts.source,
        content_hash=parts.content_hash,
        format=parts.format,
        inquiries=inquiries,
        concepts=concepts,
        papers=papers,
        references=tuple(sorted(references, key=lambda r: (r.paragraph, r.start, r.kind))),
        warnings=tuple(sorted(parts.warnings, key=lambda w: w.line)),
        tags=tuple(dict.fromkeys(parts.tags)),
        metadata=parts.metadata,
    )
