"""The plain-text export format (see the seed note): title, lede, body, then sections.

Exports vary: optional header lines, missing sections, headers with the count on the next
line or none at all, counts that disagree with the items, bullets inside the body. The
parser keeps whatever it can and records a warning for what it had to guess.
"""

from __future__ import annotations

import re

from notesgraph.model import Inquiry, Note, PaperRef, RelatedConcept
from notesgraph.parsing.errors import NoteParseError
from notesgraph.parsing.sections import LIST_ITEM, NoteParts, Section, assemble, section_header

_KIND_LINE = re.compile(r"^[A-Z][A-Z0-9 \-]{2,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SOURCE_LINE = re.compile(r"^Source:\s*(.+)$", re.I)
_COUNT_ONLY = re.compile(r"^\s*\(?(\d+)\)?\s*$")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*\S)\s*$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*\S)\s*$")
_BLOCK_START = re.compile(r"^\s*-\s*(.*?)\s*$")

EXPORT_MARKERS = re.compile(
    r"^(?:Inquiring lines that use this note as a source|Related concepts in this collection"
    r"|Related papers in this collection|Original note title)\b",
    re.M,
)


def _metadata_line(line: str) -> dict[str, str] | None:
    """Parse `Synthesis note · 2026-02-22 · sourced from <topic>`; None if it is not one."""
    parts = [p.strip() for p in line.split("·")]
    if len(parts) < 2 or not any(_DATE.match(p) for p in parts):
        return None
    found: dict[str, str] = {"kind": parts[0]}
    for part in parts[1:]:
        if _DATE.match(part):
            found["date"] = part
        elif part.lower().startswith("sourced from"):
            found["sourced_from"] = part[len("sourced from"):].strip()
        else:
            found.setdefault("extra", part)
    return found


class _Lines:
    """Numbered lines with a cursor; line numbers are 1-based like an editor's."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.lines)

    def peek_nonblank(self) -> tuple[int, str] | None:
        pos = self.pos
        while pos < len(self.lines) and not self.lines[pos].strip():
            pos += 1
        return (pos, self.lines[pos]) if pos < len(self.lines) else None


def _read_header(lines: _Lines, parts: NoteParts) -> None:
    """Consume optional kind / metadata / Source lines before the title."""
    while (found := lines.peek_nonblank()) is not None:
        pos, line = found
        text = line.strip()
        following = pos + 1 < len(lines.lines)
        if _KIND_LINE.match(text) and following and "kind_line" not in parts.metadata:
            parts.metadata["kind_line"] = text
        elif (meta := _metadata_line(text)) is not None:
            parts.metadata.update({f"meta_{k}": v for k, v in meta.items()})
        elif (source := _SOURCE_LINE.match(text)) is not None:
            parts.metadata["source_topic"] = source.group(1).strip()
        else:
            return
        lines.pos = pos + 1


def _read_title_and_body(lines: _Lines, parts: NoteParts) -> None:
    found = lines.peek_nonblank()
    if found is None:
        raise NoteParseError(parts.source, "has header lines but no title line", len(lines.lines),
                             hint="add the note's title on its own line")
    pos, line = found
    if section_header(line) is not None:
        raise NoteParseError(parts.source, f"has no title: the first line is the section header {line.strip()!r}",
                             pos + 1, hint="put the note's title on the first line")
    parts.title, parts.title_line = line.strip(), pos + 1
    lines.pos = pos + 1
    list_block: list[str] = []
    while not lines.done():
        raw = lines.lines[lines.pos]
        if section_header(raw) is not None:
            break
        lines.pos += 1
        if LIST_ITEM.match(raw):
            list_block.append(raw.rstrip())
            continue
        if list_block:
            parts.paragraphs.append("\n".join(list_block))
            list_block = []
        if raw.strip():
            parts.paragraphs.append(raw.strip())
    if list_block:
        parts.paragraphs.append("\n".join(list_block))


def _section_count(lines: _Lines, stated: int | None) -> int | None:
    """The count after a header, or alone on the next non-blank line."""
    if stated is not None:
        return stated
    found = lines.peek_nonblank()
    if found is not None and (count := _COUNT_ONLY.match(found[1])) is not None:
        lines.pos = found[0] + 1
        return int(count.group(1))
    return None


def _section_lines(lines: _Lines, section: Section) -> list[tuple[int, str]]:
    """The non-blank lines up to the next section header, with their 1-based numbers.

    A `Concept map` line inside the concepts section is boilerplate, not a new section.
    """
    out: list[tuple[int, str]] = []
    while not lines.done():
        raw = lines.lines[lines.pos]
        header = section_header(raw)
        if header is not None and not (section == header[0] == "concepts"
                                       and raw.strip().lower() == "concept map"):
            break
        lines.pos += 1
        if raw.strip():
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
        body = _section_lines(lines, section)
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


def parse_export(text: str, source: str, content_hash: str = "") -> Note:
    """Parse decoded export-format text into a Note.

    Raises NoteParseError only when there is no title. Costs O(lines).
    """
    parts = NoteParts(source=source, content_hash=content_hash, format="export")
    lines = _Lines(text)
    _read_header(lines, parts)
    _read_title_and_body(lines, parts)
    _read_sections(lines, parts)
    return assemble(parts)
