"""Markdown notes (markdown-it-py): front matter, `# Title`, body, `##` sections, wiki links.

Body paragraphs keep their Markdown source so the reader can render them later. The shown
title follows Obsidian: front matter `title`, else the first `# Heading`, else the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from notesgraph.model import Inquiry, Note, PaperRef, RelatedConcept
from notesgraph.parsing.errors import NoteParseError
from notesgraph.parsing.references import wiki_links, without_inline_code
from notesgraph.parsing.sections import LIST_ITEM, NoteParts, Section, assemble, section_header

_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)\s*$", re.M)
_TAG = re.compile(r"(?<![\w#&/\[])#([^\W\d][\w/-]*)")
_WIKI_ONLY = re.compile(r"^!?\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\|[^\]]*)?\]\]")
_MD_LINK = re.compile(r"^\[([^\]]+)\]\([^)]*\)")
_SEPARATOR = re.compile(r"^\s*(?:—|–|--|-|:)\s*")
_CODE_BLOCKS = frozenset({"fence", "code_block"})
_MARKDOWN_HINTS = re.compile(r"^(?:#{1,6}\s+\S|---\s*$)|\[\[[^\]\n]+\]\]", re.M)


@dataclass(frozen=True)
class _Block:
    """A top-level Markdown block with its 1-based line span in the file."""

    kind: str
    first: int
    last: int
    source: str
    heading: str = ""
    level: int = 0


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _front_matter(text: str, parts: NoteParts) -> tuple[str, int]:
    """Strip leading front matter; return the rest and how many lines it took."""
    if not text.startswith("---\n"):
        return text, 0
    end = _FRONT_MATTER_END.search(text, 4)
    if end is None:
        parts.warn(1, "front matter starts with '---' but never closes; read it as body text")
        return text, 0
    raw = text[4:end.start()]
    consumed = text.count("\n", 0, end.end()) + 1
    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        parts.warn(line, f"front matter is not valid YAML ({getattr(error, 'problem', error)}); ignored it")
        data = {}
    if not isinstance(data, dict):
        parts.warn(1, "front matter is not a set of 'key: value' lines; ignored it")
        data = {}
    for key, value in data.items():
        key = str(key).lower()
        if key == "tags":
            values = value if isinstance(value, list) else re.split(r"[,\s]+", str(value or ""))
            parts.tags.extend(str(v).lstrip("#") for v in values if str(v).strip())
        elif key == "papers" and isinstance(value, list):
            parts.metadata["front_matter_papers"] = "\n".join(str(v) for v in value)
        elif value is not None:
            parts.metadata[key] = str(value) if not isinstance(value, list) else ", ".join(map(str, value))
    return text[end.end() + 1:], consumed


def _blocks(text: str, offset: int) -> list[_Block]:
    lines = text.split("\n")
    blocks: list[_Block] = []
    tokens = _parser().parse(text)
    for i, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.nesting == -1:
            continue
        start, end = token.map
        source = "\n".join(lines[start:end]).strip("\n")
        heading, level = "", 0
        if token.type == "heading_open":
            heading = tokens[i + 1].content.strip()
            level = int(token.tag[1])
        kind = token.type.removesuffix("_open")
        blocks.append(_Block(kind, start + 1 + offset, end + offset, source, heading, level))
    return blocks


def _list_items(text: str, first_line: int) -> list[tuple[int, str, str]]:
    """(line, first line text, continuation text) for each item of a Markdown list block."""
    items: list[tuple[int, str, str]] = []
    tokens: list[Token] = _parser().parse(text)
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
    """Wiki links and #tags of a body block (never inside code)."""
    if block.kind in _CODE_BLOCKS or block.kind == "heading":
        return
    parts.extra_references.extend(wiki_links(block.source, index))
    parts.tags.extend(_TAG.findall(without_inline_code(block.source)))


def parse_markdown(text: str, source: str, content_hash: str = "") -> Note:
    """Parse decoded Markdown text into a Note.

    Raises NoteParseError when the note has no text after its front matter. Costs O(text).
    """
    parts = NoteParts(source=source, content_hash=content_hash, format="markdown")
    body_text, offset = _front_matter(text, parts)
    blocks = _blocks(body_text, offset)
    if not blocks:
        raise NoteParseError(source, "has no text after its front matter", offset or 1,
                             hint="write a '# Title' line and a first paragraph")
    front_title = parts.metadata.pop("title", "").strip()
    heading_index = next((i for i, b in enumerate(blocks) if b.kind == "heading" and b.level == 1), None)
    if heading_index is not None and not any(b.kind != "heading" for b in blocks[:heading_index]):
        heading = blocks.pop(heading_index)
        parts.title, parts.title_line = heading.heading, heading.first
    if front_title:
        parts.title, parts.title_line = front_title, parts.title_line or 1
    if not parts.title:
        parts.title = PurePath(source).stem
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
    return assemble(parts)


def looks_like_markdown(text: str) -> bool:
    """Whether the text uses Markdown structure: front matter, # headings or [[links]]."""
    return _MARKDOWN_HINTS.search(text) is not None
