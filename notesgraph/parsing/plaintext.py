"""The plain-text note format: the seed's layout and the site's page layouts.

A note copied as plain text is a title line, a lede, body paragraphs (one a line), then
optional sections (inquiring lines, related concepts, related papers, original note title).
Pages copied from the seed's site add lines around the title; `page_layout` recognises them
and this module decides where they are:

- **plain** (the seed): the title is the first line (after any kind / metadata / `Source:`
  header lines, an older export habit);
- **page copy / synthesis / paper / inquiring line**: the anchor is the metadata line
  (`Note · 2026-02-22 · sourced from …`, `Synthesis note · …`, `Paper · arXiv … · Published …`)
  that follows the title and the lede. Of the non-blank lines before it, the last is the lede,
  the one before it the title, and the ones before that are kind lines (`SYNTHESIS NOTE`,
  `INQUIRING LINE`) and category lines. A missing lede is seen when the line before the
  metadata line is a question and the one before it a category line. After the metadata
  line: a paper's tag line, then a line of related questions run together, then the body;
- **topic hub** (`← All notes` or a `Topic Hub · N linked notes · M sections` line): after
  the metadata line come `View as`, then sections: a heading (a line followed by a count line
  `4 notes`) and the titles listed under it, each kept as a RelatedConcept whose annotation
  is the section name, so the graph links the hub to every listed note; then
  `Explore related Read →` and what it lists;
- without a metadata line, a first line that is a category line followed by a question line
  is the category line, and the question is the title;
- a `Source: …` line after two blank lines (or the file's last line) is metadata.

Exports vary: missing sections, headers with the count on the next line or none at all,
counts that disagree with the items, bullets inside the body, lists that lost their bullets
(`Key findings:` followed directly by the next paragraph: each line stays a paragraph). The
parser keeps whatever it can and records a warning for what it had to guess.

What the layout lines say is kept in `Note.metadata` (strings; lists newline-joined):
page_kind (note, synthesis, hub, inquiry, paper), kind (the metadata line's first field, else
the kind line), date, sourced_from, categories, related_questions, related_question_tags,
tags (a paper's), arxiv, published (ISO date), linked_notes / sections / sources and other
stated counts, metadata_extra (fields not recognised), source_topic (`Source:`),
explore_related, view_options, kind_line. Categories,
question tags and paper tags are also `Note.tags`; related questions are also
`Note.inquiries` (after the listed inquiring lines, without repeats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from notesgraph.model import Inquiry, Note, PaperRef, RelatedConcept, normalise_title
from notesgraph.parsing.errors import NoteParseError
from notesgraph.parsing.page_layout import (
    PageKind,
    count_line,
    is_category_line,
    is_label_line,
    is_single_question,
    is_tag_line,
    kind_line,
    metadata_line,
    page_kind_of,
    source_line,
    split_categories,
    split_questions,
    split_tags,
)
from notesgraph.parsing.references import find_references
from notesgraph.parsing.sections import LIST_ITEM, NoteParts, Section, assemble, section_header

_KIND_LINE = re.compile(r"^[A-Z][A-Z0-9 \-]{2,40}$")
_COUNT_ONLY = re.compile(r"^\s*\(?(\d+)\)?\s*$")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*\S)\s*$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*\S)\s*$")
_BLOCK_START = re.compile(r"^\s*-\s*(.*?)\s*$")
_READ_MORE = re.compile(r"\s*(?:Read|Open|View)\s*(?:→|->|»)\s*$")
_EXPLORE = re.compile(r"Explore related(?:\s+[^\s.!?:;]+){0,3}?(?:\s*(?:Read|Open|View)\s*(?:→|->|»))?\s*",
                      re.I)
_PROSE = re.compile(r"[.!?:;]['\"”’)\]]*$")
_TITLE_WINDOW = 8
"""How many non-blank lines may precede a page's metadata line (kind, categories, title, lede)."""

EXPORT_MARKERS = re.compile(
    r"^(?:Inquiring lines that use this note as a source|Related concepts in this collection"
    r"|Related papers in this collection|Original note title)\b",
    re.M,
)

_METADATA_KEYS = {"kind", "date", "sourced_from", "arxiv", "published", "linked_notes", "sections",
                  "sources", "note_count", "paper_count", "inquiry_count"}


@dataclass
class _Page:
    """What the layout lines of a copied page say, collected while reading."""

    kind_line: PageKind | None = None
    meta_kind: PageKind | None = None
    categories: list[str] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)
    questions_line: int = 0
    tags: list[str] = field(default_factory=list)
    exploring: bool = False
    explore: list[str] = field(default_factory=list)

    @property
    def kind(self) -> PageKind:
        """The kind line's kind when it names one, else the metadata line's, else "note"."""
        if self.kind_line not in (None, "note"):
            return self.kind_line  # type: ignore[return-value]
        return self.meta_kind or self.kind_line or "note"


class _Lines:
    """Numbered lines with a cursor; line numbers are 1-based like an editor's."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.lines)

    def peek_nonblank(self, pos: int | None = None) -> tuple[int, str] | None:
        pos = self.pos if pos is None else pos
        while pos < len(self.lines) and not self.lines[pos].strip():
            pos += 1
        return (pos, self.lines[pos]) if pos < len(self.lines) else None

    def blank_before(self, index: int) -> int:
        """How many blank lines (up to 2) come right before line `index` (0-based)."""
        count = 0
        while count < 2 and index - count - 1 >= 0 and not self.lines[index - count - 1].strip():
            count += 1
        return count


def _keep_metadata(parts: NoteParts, page: _Page, fields: dict[str, str]) -> None:
    """Record a metadata line's fields under their own keys; its kind names the page kind."""
    for key, value in fields.items():
        parts.metadata["metadata_extra" if key not in _METADATA_KEYS else key] = value
    page.meta_kind = page_kind_of(fields["kind"])


def _keep_kind_line(parts: NoteParts, page: _Page, text: str) -> None:
    parts.metadata["kind_line"] = text
    page.kind_line = kind_line(text)


def _read_header(lines: _Lines, parts: NoteParts, page: _Page) -> None:
    """Consume optional kind / metadata / Source lines before the title."""
    while (found := lines.peek_nonblank()) is not None:
        pos, line = found
        text = line.strip()
        following = pos + 1 < len(lines.lines)
        if ((kind_line(text) is not None or _KIND_LINE.match(text)) and following
                and "kind_line" not in parts.metadata):
            _keep_kind_line(parts, page, text)
        elif (meta := metadata_line(text)) is not None:
            parts.metadata.update({f"meta_{k}": v for k, v in meta.items()})
            _keep_metadata(parts, page, meta)
        elif (source := source_line(text)) is not None:
            parts.metadata["source_topic"] = source
        else:
            return
        lines.pos = pos + 1


def _anchored_title(window: list[tuple[int, str]]
                    ) -> tuple[list[tuple[int, str]], tuple[int, str], tuple[int, str] | None] | None:
    """(lines before the title, title, lede or None) from the lines before a metadata line.

    None when the lines before the title are not kind or category lines: then the metadata
    line is not the page's (the note reads as plain, title first).
    """
    if len(window) == 1:
        return [], window[0], None
    heads, title, lede = window[:-2], window[-2], window[-1]
    if ((is_category_line(title[1]) or kind_line(title[1])) and not is_single_question(title[1])
            and is_single_question(lede[1])):
        heads, title, lede = window[:-1], window[-1], None
    if all(kind_line(text) or is_label_line(text) for _, text in heads):
        return heads, title, lede
    return None


def _read_title(lines: _Lines, parts: NoteParts, page: _Page) -> None:
    """Find the title (and the lede, category and metadata lines around it); see the docstring."""
    window: list[tuple[int, str]] = []
    meta: tuple[int, dict[str, str]] | None = None
    pos = lines.pos
    while pos < len(lines.lines) and len(window) < _TITLE_WINDOW:
        text = lines.lines[pos].strip()
        if text:
            if section_header(text) is not None:
                break
            if (fields := metadata_line(text)) is not None:
                meta = (pos, fields)
                break
            window.append((pos, text))
        pos += 1
    anchored = _anchored_title(window) if meta is not None and window else None
    if meta is not None and anchored is not None:
        heads, title, lede = anchored
        for _, text in heads:
            if kind_line(text) is not None:
                _keep_kind_line(parts, page, text)
            else:
                page.categories.extend(split_categories(text))
        parts.title, parts.title_line = title[1], title[0] + 1
        if lede is not None:
            parts.paragraphs.append(lede[1])
        else:
            parts.warn(meta[0] + 1, "page has no lede between its title and its metadata line")
        _keep_metadata(parts, page, meta[1])
        lines.pos = meta[0] + 1
        _read_after_metadata(lines, parts, page)
        return
    found = lines.peek_nonblank()
    if found is None:
        raise NoteParseError(parts.source, "has header lines but no title line", len(lines.lines),
                             hint="add the note's title on its own line")
    pos, line = found
    if section_header(line) is not None:
        raise NoteParseError(parts.source, f"has no title: the first line is the section header {line.strip()!r}",
                             pos + 1, hint="put the note's title on the first line")
    following = lines.peek_nonblank(pos + 1)
    if (following is not None and is_category_line(line) and not is_single_question(line)
            and is_single_question(following[1].strip())):
        page.categories.extend(split_categories(line))
        pos, line = following
    parts.title, parts.title_line = line.strip(), pos + 1
    lines.pos = pos + 1


def _read_after_metadata(lines: _Lines, parts: NoteParts, page: _Page) -> None:
    """A paper's tag line and the related-questions line that may follow the metadata line."""
    if page.kind == "hub":
        return
    for _ in range(2):
        found = lines.peek_nonblank()
        if found is None or section_header(found[1]) is not None:
            return
        pos, line = found
        text = line.strip()
        pairs = split_questions(text)
        if page.kind == "paper" and not page.tags and pairs is None and is_tag_line(text):
            page.tags = split_tags(text)
            parts.metadata["tags"] = "\n".join(page.tags)
        elif not page.questions and pairs is not None:
            page.questions, page.questions_line = pairs, pos + 1
        else:
            return
        lines.pos = pos + 1


def _closing_source(lines: _Lines, parts: NoteParts, text: str) -> bool:
    """Keep a `Source: …` line after two blank lines (or ending the file) as metadata.

    Call with `lines.pos` just past the line. True when the line was taken.
    """
    source = source_line(text)
    if source is None:
        return False
    index = lines.pos - 1
    blanks = lines.blank_before(index)
    if blanks < 2 and not (blanks and lines.peek_nonblank(index + 1) is None):
        return False
    parts.metadata["source_topic"] = source
    return True


def _layout_line(lines: _Lines, parts: NoteParts, page: _Page, text: str) -> bool:
    """Take a line that belongs to the page, not to its text: a closing `Source:` line, a
    metadata line, an `Explore related` line (a label, not a sentence) and the titles it
    lists, up to the next prose line. True when the line was taken."""
    if _closing_source(lines, parts, text):
        return True
    if (fields := metadata_line(text)) is not None:
        _keep_metadata(parts, page, fields)
        return True
    if _EXPLORE.fullmatch(text):
        page.exploring = True
        text = text[len("explore related"):]
    elif not page.exploring:
        return False
    elif _PROSE.search(_READ_MORE.sub("", text)) and not text.rstrip().endswith(("?", "→")):
        page.exploring = False  # prose after the list: the page's text goes on
        return False
    item = _READ_MORE.sub("", text).strip()
    if item:
        page.explore.append(item)
    return True


def _read_body(lines: _Lines, parts: NoteParts, page: _Page) -> None:
    """Body paragraphs (one a line; list items grouped) up to the first section header."""
    list_block: list[str] = []
    while not lines.done():
        raw = lines.lines[lines.pos]
        if section_header(raw) is not None:
            break
        lines.pos += 1
        if LIST_ITEM.match(raw) and not page.exploring:
            list_block.append(raw.rstrip())
            continue
        if list_block:
            parts.paragraphs.append("\n".join(list_block))
            list_block = []
        text = raw.strip()
        if text and not _layout_line(lines, parts, page, text):
            parts.paragraphs.append(text)
    if list_block:
        parts.paragraphs.append("\n".join(list_block))


def _list_on_hub(parts: NoteParts, listed: dict[str, int], title: str, section: str, line: int) -> None:
    """Add a hub's listed note as a related concept; a note under two sections is kept once,
    annotated with both."""
    key = normalise_title(title)
    if not key:
        return
    if key in listed:
        first = parts.concepts[listed[key]]
        if section and section not in first.annotation.split("; "):
            annotation = f"{first.annotation}; {section}" if first.annotation else section
            parts.concepts[listed[key]] = replace(first, annotation=annotation)
        return
    listed[key] = len(parts.concepts)
    parts.concepts.append(RelatedConcept(title, "", section, len(parts.concepts) + 1, line))


def _read_hub(lines: _Lines, parts: NoteParts, page: _Page) -> None:
    """A topic hub's sections: heading, count line, listed note titles (see the docstring).

    Checks the stated counts (per section, linked notes, sections) and warns on a mismatch.
    """
    sections: list[list] = []  # [name, line, stated count, listed count]
    listed: dict[str, int] = {}
    total = 0
    while not lines.done():
        raw = lines.lines[lines.pos]
        if section_header(raw) is not None:
            break
        number = lines.pos + 1
        lines.pos += 1
        text = raw.strip()
        if not text or _layout_line(lines, parts, page, text):
            continue
        if text.casefold().startswith("view as"):
            if text[len("view as"):].strip():
                parts.metadata["view_options"] = text[len("view as"):].strip()
            continue
        following = lines.peek_nonblank()
        if count_line(text) is None and following is not None and (stated := count_line(following[1])) is not None:
            lines.pos = following[0] + 1
            sections.append([text, number, stated, 0])
            continue
        if count_line(text) is not None:
            parts.warn(number, f"count line {text!r} follows no section heading; skipped")
        elif sections or text.endswith("?"):
            total += 1
            if sections:
                sections[-1][3] += 1
            _list_on_hub(parts, listed, text, sections[-1][0] if sections else "", number)
        elif _PROSE.search(text) and len(text.split()) > 3:
            parts.paragraphs.append(text)
        else:
            options = parts.metadata.get("view_options")
            parts.metadata["view_options"] = f"{options}\n{text}" if options else text
    for name, line, stated, count in sections:
        if stated != count:
            parts.warn(line, f"hub section {name!r} says {stated} notes but lists {count}; kept the {count} listed")
    stated_total = parts.metadata.get("linked_notes", "")
    if stated_total.isdigit() and int(stated_total) not in (total, len(parts.concepts)):
        parts.warn(parts.title_line, f"hub says {stated_total} linked notes but lists {len(parts.concepts)}")
    stated_sections = parts.metadata.get("sections", "")
    if stated_sections.isdigit() and int(stated_sections) != len(sections):
        parts.warn(parts.title_line, f"hub says {stated_sections} sections but has {len(sections)}")


def _section_count(lines: _Lines, stated: int | None) -> int | None:
    """The count after a header, or alone on the next non-blank line."""
    if stated is not None:
        return stated
    found = lines.peek_nonblank()
    if found is not None and (count := _COUNT_ONLY.match(found[1])) is not None:
        lines.pos = found[0] + 1
        return int(count.group(1))
    return None


def _section_lines(lines: _Lines, section: Section, parts: NoteParts) -> list[tuple[int, str]]:
    """The non-blank lines up to the next section header, with their 1-based numbers.

    A `Concept map` line inside the concepts section is boilerplate, not a new section; a
    closing `Source: …` line (see `_closing_source`) is metadata.
    """
    out: list[tuple[int, str]] = []
    while not lines.done():
        raw = lines.lines[lines.pos]
        header = section_header(raw)
        if header is not None and not (section == header[0] == "concepts"
                                       and raw.strip().lower() == "concept map"):
            break
        lines.pos += 1
        if raw.strip() and not _closing_source(lines, parts, raw.strip()):
            out.append((lines.pos, raw.strip()))
    return out


def _read_bullets(body: list[tuple[int, str]], parts: NoteParts, what: str) -> list[tuple[int, str]]:
    """Bullet items of a section; lines before the first bullet are its boilerplate."""
    items: list[tuple[int, str]] = []
    for number, line in body:
        match = _BULLET.match(line) or _NUMBERED.match(line)
        if match:
            items.append((number, match.group(1)))
        elif items:
            parts.warn(number, f"line in {what} is not a '- ' item; skipped: {line[:80]!r}")
        else:
            parts.metadata.setdefault(f"{what}_boilerplate", line)
    return items


def _read_concepts(body: list[tuple[int, str]], parts: NoteParts) -> None:
    """Blocks of '-', title, description, annotation (a title may share the '-' line)."""
    blocks: list[list[tuple[int, str]]] = []
    for number, line in body:
        start = _BLOCK_START.match(line)
        if start is not None:
            blocks.append([(number, start.group(1))] if start.group(1) else [(number, "")])
        elif blocks:
            blocks[-1].append((number, line))
        elif line.lower() != "concept map":
            parts.metadata.setdefault("concepts_boilerplate", line)
    for block in blocks:
        start_line = block[0][0]
        texts = [text for _, text in block if text]
        if not texts:
            parts.warn(start_line, "related concept block is empty; skipped")
            continue
        title, rest = texts[0], texts[1:]
        description, annotation = "", ""
        if len(rest) == 1:
            if rest[0][:1].islower():
                annotation = rest[0]
            else:
                description = rest[0]
                parts.warn(start_line, f"related concept {title!r} has no relation annotation")
        elif rest:
            description, annotation = rest[0], " ".join(rest[1:])
            if len(rest) > 2:
                parts.warn(start_line, f"related concept {title!r} has {len(rest)} lines after its "
                                       "title; joined the extra lines into the annotation")
        else:
            parts.warn(start_line, f"related concept {title!r} has no description or annotation")
        parts.concepts.append(RelatedConcept(title, description, annotation, len(parts.concepts) + 1,
                                             start_line))


def _read_sections(lines: _Lines, parts: NoteParts) -> None:
    seen: set[Section] = set()
    while not lines.done():
        raw = lines.lines[lines.pos]
        header = section_header(raw)
        if header is None:
            lines.pos += 1
            continue
        section, stated = header
        header_line = lines.pos + 1
        lines.pos += 1
        count = _section_count(lines, stated)
        if section in seen:
            parts.warn(header_line, f"second {raw.strip()!r} section; its items were added to the first")
        seen.add(section)
        body = _section_lines(lines, section, parts)
        if count is not None:
            parts.counts[section] = (header_line, count)
        if section == "inquiries":
            parts.inquiries.extend(Inquiry(text, n) for n, text in _read_bullets(body, parts, section))
        elif section == "papers":
            parts.papers.extend(PaperRef(text, 0, n) for n, text in _read_bullets(body, parts, section))
        elif section == "concepts":
            _read_concepts(body, parts)
        elif body:
            parts.metadata["original_title"] = body[0][1]
            for number, line in body[1:]:
                parts.warn(number, f"unexpected line after the original note title; skipped: {line[:80]!r}")


def _keep_page(parts: NoteParts, page: _Page) -> None:
    """Record what the layout lines said: page kind, categories, related questions, tags."""
    parts.metadata["page_kind"] = page.kind
    if "kind" not in parts.metadata and "kind_line" in parts.metadata:
        parts.metadata["kind"] = parts.metadata["kind_line"]
    if page.categories:
        categories = list(dict.fromkeys(page.categories))
        parts.metadata["categories"] = "\n".join(categories)
        parts.tags.extend(categories)
    parts.tags.extend(page.tags)
    if page.explore:
        parts.metadata["explore_related"] = "\n".join(page.explore)
    if not page.questions:
        return
    questions = [question for _, question in page.questions]
    parts.metadata["related_questions"] = "\n".join(questions)
    question_tags = list(dict.fromkeys(tag for tag, _ in page.questions if tag))
    if question_tags:
        parts.metadata["related_question_tags"] = "\n".join(question_tags)
        parts.tags.extend(question_tags)
    concept_keys = {concept.key for concept in parts.concepts}
    others = [q for q in questions if normalise_title(q) not in concept_keys]
    parts.extra_references.extend(ref for ref in find_references(parts.paragraphs, (), others)
                                  if ref.kind == "mention")


def parse_export(text: str, source: str, content_hash: str = "") -> Note:
    """Parse decoded plain-text (export-format or copied-page) text into a Note.

    Raises NoteParseError only when there is no title. Costs O(lines).
    """
    parts = NoteParts(source=source, content_hash=content_hash, format="export")
    page = _Page()
    lines = _Lines(text)
    _read_header(lines, parts, page)
    _read_title(lines, parts, page)
    if page.kind == "hub":
        _read_hub(lines, parts, page)
    _read_body(lines, parts, page)
    _read_sections(lines, parts)
    _keep_page(parts, page)
    note = assemble(parts)
    return _with_related_questions(note, page) if page.questions else note


def _with_related_questions(note: Note, page: _Page) -> Note:
    """The note with its related questions appended to its inquiries, skipping repeats.

    Done after `assemble` so an inquiries section's stated count is checked against the
    inquiries it lists, not against the related questions too.
    """
    seen = {inquiry.key for inquiry in note.inquiries}
    added: list[Inquiry] = []
    for _, question in page.questions:
        inquiry = Inquiry(question, page.questions_line)
        if inquiry.key and inquiry.key not in seen:
            seen.add(inquiry.key)
            added.append(inquiry)
    return replace(note, inquiries=note.inquiries + tuple(added))
