"""Markdown notes (markdown-it-py): front matter, `# Title`, body, `##` sections, Obsidian links.

Body paragraphs keep their Markdown source so the reader can render them later. The shown
title follows Obsidian: front matter `title`, else the first `# Heading`, else the file name.
An empty file, or one with only front matter, is a note titled by its file name; an
Excalidraw drawing (`*.excalidraw.md`) is a note whose body is the drawing's text.

Blocks come from a line scanner (parsing.blocks: the CommonMark block rules, ~5x cheaper than
markdown-it's block pass, which is kept for section lists and for the rare list or quote that
may nest a code block); links and tags from one linear scan of each block (obsidian_links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePath

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from notesgraph.model import Inquiry, Note, PaperRef, RelatedConcept
from notesgraph.parsing.blocks import top_level_blocks
from notesgraph.parsing.errors import NoteParseError
from notesgraph.parsing.front_matter import FrontMatterTooLarge, load_front_matter
from notesgraph.parsing.excalidraw import drawing_title, is_drawing, split_drawing
from notesgraph.parsing.obsidian_links import (
    NO_PARAGRAPH,
    front_matter_links,
    front_matter_tags,
    scan_block,
    shown_text,
)
from notesgraph.parsing.sections import LIST_ITEM, NoteParts, Section, assemble, section_header

_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_WIKI_ONLY = re.compile(r"^!?\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\|[^\]]*)?\]\]")
_MD_LINK = re.compile(r"^\[([^\]]+)\]\([^)]*\)")
_SEPARATOR = re.compile(r"^\s*(?:—|–|--|-|:)\s*")
_CODE_BLOCKS = frozenset({"fence", "code_block"})
_MAY_HOLD_CODE = frozenset({"bullet_list", "ordered_list", "blockquote"})
_MARKDOWN_HINTS = re.compile(r"^(?:#{1,6}\s+\S|---\s*$)|\[\[[^\]\n]+\]\]", re.M)


@dataclass(frozen=True)
class _Block:
    """A top-level Markdown block with its 1-based line span in the file.

    ``scan`` is the source with code blocks nested inside it (a fence in a list item or a
    quote) blanked to spaces, same length: what links and tags are looked for in.
    """

    kind: str
    first: int
    last: int
    source: str
    heading: str = ""
    level: int = 0
    scan: str = ""


def _make_parser() -> MarkdownIt:
    """Block structure only: CommonMark plus tables and HTML blocks (as Obsidian reads them).

    The core "inline" rule is off: nothing reads inline tokens, and it was half the cost.
    Link reference definitions are off too: they make no token, so a footnote such as
    `[^1]: [[Note]]` (a valid definition in CommonMark) would vanish with its link.
    """
    return MarkdownIt("commonmark", {"html": True}).enable("table").disable(["inline", "reference"])


_PARSER = _make_parser()


def _front_matter(text: str, parts: NoteParts) -> tuple[str, int]:
    """Strip leading front matter; return the rest and how many lines it took.

    Front matter is only a `---` first line closed by a `---` or `...` line; unclosed, it is
    body text. Its tags (`tags`/`tag`) and wiki links in its values go into `parts`.
    """
    if not text.startswith("---\n"):
        return text, 0
    end = _FRONT_MATTER_END.search(text, 4)
    if end is None:
        parts.warn(1, "front matter starts with '---' but never closes; read it as body text")
        return text, 0
    raw = text[4:end.start()]
    consumed = text.count("\n", 0, end.end()) + 1
    try:
        data = load_front_matter(raw) if raw.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", error)
        parts.warn(line, f"front matter {problem}; ignored it" if isinstance(error, FrontMatterTooLarge)
                   else f"front matter is not valid YAML ({problem}); ignored it")
        data = {}
    if not isinstance(data, dict):
        parts.warn(1, "front matter is not a set of 'key: value' lines; ignored it")
        data = {}
    for key, value in data.items():
        key = str(key).lower()
        if key in ("tags", "tag"):
            parts.tags.extend(front_matter_tags(value))
        elif key == "papers" and isinstance(value, list):
            parts.metadata["front_matter_papers"] = "\n".join(str(v) for v in value)
        elif value is not None:
            parts.metadata[key] = str(value) if not isinstance(value, list) else ", ".join(map(str, value))
    if "[[" in raw:
        parts.extra_references.extend(front_matter_links(data, raw))
    return text[end.end() + 1:], consumed


def _blank_lines(lines: list[str], spans: list[list[int]], start: int, end: int) -> str:
    """Lines start..end joined, those in `spans` (absolute [first, stop) pairs) blanked."""
    block = lines[start:end]
    for first, stop in spans:
        for i in range(max(first, start) - start, min(stop, end) - start):
            block[i] = " " * len(block[i])
    return "\n".join(block).strip("\n")


_MAY_NEST_CODE = re.compile(r"```|~~~|\n[ \t>]*\n(?: {4}|\t|[ \t]*>(?: {5}|\t))")
"""A list or quote that may hold a code block of its own: a fence, or an indented line after a
blank one. Only those are parsed again to find it (most blocks have neither)."""


def _nested_code(source: str) -> list[list[int]]:
    """[first, stop) line spans (relative to `source`) of code blocks nested in a list or quote."""
    return [token.map for token in _PARSER.parse(source)
            if token.level != 0 and token.type in _CODE_BLOCKS and token.map is not None]


def _blocks(text: str, offset: int) -> list[_Block]:
    """The top-level blocks of `text` (parsing.blocks' line scanner; markdown-it again only
    for a list or quote that may nest code). Costs O(len(text))."""
    lines = text.split("\n")
    blocks: list[_Block] = []
    for span in top_level_blocks(text):
        source = "\n".join(lines[span.start:span.end]).strip("\n")
        scan = source
        if span.kind in _MAY_HOLD_CODE and _MAY_NEST_CODE.search(source):
            raw = "\n".join(lines[span.start:span.end])
            code = [[span.start + a, span.start + b] for a, b in _nested_code(raw)]
            scan = _blank_lines(lines, code, span.start, span.end) if code else source
        blocks.append(_Block(span.kind, span.start + 1 + offset, span.end + offset, source,
                             span.heading, span.level, scan))
    return blocks


def _list_items(text: str, first_line: int) -> list[tuple[int, str, str]]:
    """(line, first line text, continuation text) for each item of a Markdown list block."""
    items: list[tuple[int, str, str]] = []
    tokens: list[Token] = _PARSER.parse(text)
    lines = text.split("\n")
    depth = 0
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open" and depth == 1 and token.map is not None:
            start, end = token.map
            item_lines = [line.strip() for line in lines[start:end] if line.strip()]
            if not item_lines:
                continue
            head = LIST_ITEM.sub("", item_lines[0], count=1).strip()
            items.append((first_line + start, head, " ".join(item_lines[1:])))
    return items


def _strip_link(text: str) -> tuple[str, str]:
    """Split '[[Title]] rest' or '[Title](url) rest' into (title, rest); plain text stays."""
    text = text.strip()
    for pattern in (_WIKI_ONLY, _MD_LINK):
        match = pattern.match(text)
        if match:
            return match.group(1).strip(), text[match.end():]
    return text, ""


def _read_section(section: Section, block: _Block, parts: NoteParts) -> None:
    if block.kind not in ("bullet_list", "ordered_list"):
        if section == "original_title" and block.kind == "paragraph":
            parts.metadata["original_title"] = block.source.strip()
        elif section != "original_title":
            parts.metadata.setdefault(f"{section}_boilerplate", block.source.strip())
        return
    for line, head, rest in _list_items(block.source, block.first):
        if section == "inquiries":
            parts.inquiries.append(Inquiry(" ".join(filter(None, (head, rest))), line))
        elif section == "papers":
            parts.papers.append(PaperRef(_strip_link(head)[0].strip("*_ "), 0, line))
        elif section == "concepts":
            title, after = _strip_link(head)
            if not after and " — " in head:
                title, after = head.split(" — ", 1)
            annotation = _SEPARATOR.sub("", after, count=1).strip()
            parts.concepts.append(RelatedConcept(title.strip("*_ "), rest.strip(), annotation,
                                                 len(parts.concepts) + 1, line))


def _body_extras(block: _Block, index: int, parts: NoteParts) -> None:
    """Links, embeds and #tags of a body block (any kind but code; never inside code or math)."""
    if block.kind in _CODE_BLOCKS:
        return
    references, tags = scan_block(block.scan or block.source, index)
    parts.extra_references.extend(references)
    parts.tags.extend(tags)


_NO_LEDE = "note has no lede paragraph"


def parse_markdown(text: str, source: str, content_hash: str = "") -> Note:
    """Parse decoded Markdown text into a Note.

    An empty file (or one with only front matter) is a note titled by its front matter's
    `title` or its file name, with no lede. Raises NoteParseError only when no title can be
    found at all. Costs O(text).
    """
    parts = NoteParts(source=source, content_hash=content_hash, format="markdown")
    body_text, offset = _front_matter(text, parts)
    drawing = is_drawing(source, parts.metadata)
    if drawing:
        body_text, link_lines = split_drawing(body_text)
        parts.metadata["page_kind"] = "drawing"
        parts.extra_references.extend(scan_block(link_lines, NO_PARAGRAPH)[0])
    blocks = _blocks(body_text, offset)
    front_title = parts.metadata.pop("title", "").strip()
    heading_index = None if drawing else next(
        (i for i, b in enumerate(blocks) if b.kind == "heading" and b.level == 1), None)
    if heading_index is not None and not any(b.kind != "heading" for b in blocks[:heading_index]):
        heading = blocks.pop(heading_index)
        parts.title, parts.title_line = shown_text(heading.heading), heading.first
        _body_extras(heading, NO_PARAGRAPH, parts)
    if front_title:
        parts.title, parts.title_line = front_title, parts.title_line or 1
    if not parts.title:
        parts.title = drawing_title(source) if drawing else PurePath(source).stem
        parts.title_line = 1
    if not parts.title.strip():
        raise NoteParseError(source, "has no title", 1, hint="add a '# Title' line or a title in front matter")
    section: Section | None = None
    for block in blocks:
        header = section_header(block.heading) if block.kind == "heading" and block.level >= 2 else None
        if header is not None:
            section = header[0]
            if header[1] is not None:
                parts.counts[section] = (block.first, header[1])
            continue
        if block.kind == "heading" and block.level <= 2:
            section = None
        if section is not None:
            _read_section(section, block, parts)
            continue
        _body_extras(block, len(parts.paragraphs), parts)
        parts.paragraphs.append(block.source)
    if not parts.papers and "front_matter_papers" in parts.metadata:
        titles = parts.metadata.pop("front_matter_papers").split("\n")
        parts.papers.extend(PaperRef(t.strip(), 0, 1) for t in titles if t.strip())
    note = assemble(parts)
    if not blocks:  # an empty note is a note (Obsidian makes them for unresolved links): no warning
        note = replace(note, warnings=tuple(w for w in note.warnings if not w.message.startswith(_NO_LEDE)))
    return note


def looks_like_markdown(text: str) -> bool:
    """Whether the text uses Markdown structure: front matter, # headings or [[links]]."""
    return _MARKDOWN_HINTS.search(text) is not None
