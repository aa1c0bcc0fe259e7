"""Top-level Markdown blocks by a line scanner: what the note parser needs, ~20x cheaper than
markdown-it's full parse.

The parser only needs the top-level block structure (paragraphs, headings, lists, quotes,
code, rules) with line spans; it never needs inline tokens. markdown-it builds both and
cost ~6 ms a vault note here, most of a note's indexing time. This scanner follows the
CommonMark block rules that decide top-level boundaries: ATX and setext headings (a `---`
under a paragraph is a heading, not a rule), thematic breaks, fenced code (``` and ~~~, closed
by a fence of the same character at least as long), indented code (not inside a paragraph),
block quotes with lazy continuation, bullet and ordered lists (a different bullet character or
delimiter starts a new list; an ordered list interrupts a paragraph only from 1), items
continued by indentation or laziness. Tables, math and raw HTML are paragraphs, as with
markdown-it's commonmark preset with html off. Link reference definitions are kept as
paragraphs (markdown-it drops them). tests/test_blocks.py checks the spans against
markdown-it over every note the tests have.

Costs O(lines), a few regex matches a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_HR = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_QUOTE = re.compile(r" {0,3}>")
_ITEM_STARTS = frozenset("-+*0123456789")
_BLOCK_STARTS = frozenset("#-*_`~>+0123456789")
"""The first characters (after up to 3 spaces) of a list item, and of any block that can end a
paragraph: a line starting otherwise needs no regex."""
_ITEM = re.compile(r"( {0,3})(?:([-+*])|(\d{1,9})([.)]))([ \t]+|$)")


@dataclass(frozen=True)
class BlockSpan:
    """A top-level block: markdown-it's token name, lines [start, end) (0-based), and for a
    heading its text and level."""

    kind: str
    start: int
    end: int
    heading: str = ""
    level: int = 0


def _indent(line: str) -> int:
    if not line.startswith((" ", "\t")):
        return 0
    if "\t" not in line[: len(line) - len(line.lstrip())]:
        return len(line) - len(line.lstrip(" "))
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def _fence_end(lines: list[str], start: int, fence: str, strip: int = 0) -> int:
    """The line after the fence opened at `start` closes (or the end of the text)."""
    char, length = fence[0], len(fence)
    for i in range(start + 1, len(lines)):
        close = _FENCE.match(lines[i][strip:] if strip else lines[i])
        if close and close.group(2)[0] == char and len(close.group(2)) >= length \
                and not close.group(3).strip():
            return i + 1
    return len(lines)


def _opens_fence(line: str) -> re.Match[str] | None:
    if not line.lstrip(" ").startswith(("```", "~~~")):
        return None
    match = _FENCE.match(line)
    if match and match.group(2)[0] == "`" and "`" in match.group(3):
        return None  # a backtick fence's info string may not hold a backtick
    return match


def _list_item(line: str) -> tuple[str, int] | None:
    """(list type, content indent) when `line` starts a list item, else None. The type is the
    bullet character or the ordered delimiter: a change of type starts a new list."""
    if line.lstrip(" ")[:1] not in _ITEM_STARTS:
        return None
    match = _ITEM.match(line)
    if match is None or _HR.match(line):
        return None
    marker_end = match.end(4) if match.group(3) else match.end(2)
    spaces = _indent(line[marker_end:]) if match.group(5) else 0
    content = marker_end + (1 if not line[marker_end:].strip() or spaces > 4 else spaces)
    kind = match.group(2) or match.group(4)
    return kind, content


def _interrupts_paragraph(line: str) -> bool:
    """Whether a line starts a block that ends a paragraph without a blank line."""
    if line.lstrip(" ")[:1] not in _BLOCK_STARTS:
        return False
    if _ATX.match(line) or _HR.match(line) or _opens_fence(line) or _QUOTE.match(line):
        return True
    match = _ITEM.match(line)
    if match is None or not line[match.end():].strip():
        return False
    return match.group(3) is None or match.group(3) == "1"


def _paragraph(lines: list[str], start: int) -> BlockSpan:
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if line[:1].isalpha():  # a line starting with a letter starts no block: it continues
            i += 1
            continue
        if not line.strip():
            break
        setext = _SETEXT.match(line)
        if setext:
            text = "\n".join(lines[start:i]).strip()
            return BlockSpan("heading", start, i + 1, text, 1 if setext.group(1)[0] == "=" else 2)
        if _indent(line) < 4 and _interrupts_paragraph(line):
            break
        i += 1
    return BlockSpan("paragraph", start, i)


def _continues_lazily(line: str) -> bool:
    return bool(line.strip()) and not _interrupts_paragraph(line) and not _SETEXT.match(line)


def _quote(lines: list[str], start: int) -> BlockSpan:
    i, fence = start + 1, None
    while i < len(lines):
        line = lines[i]
        if _QUOTE.match(line):
            inner = line.lstrip(" ")[1:]
            inner = inner[1:] if inner.startswith(" ") else inner
            if fence is None:
                opened = _opens_fence(inner)
                fence = opened.group(2) if opened else None
            elif (close := _FENCE.match(inner)) and close.group(2)[0] == fence[0] \
                    and len(close.group(2)) >= len(fence) and not close.group(3).strip():
                fence = None
            i += 1
        elif fence is None and _continues_lazily(line) and lines[i - 1].strip(" >\t"):
            i += 1
        else:
            break
    return BlockSpan("blockquote", start, i)


def _list(lines: list[str], start: int, kind: str, content: int) -> BlockSpan:
    i, last, blank_before = start + 1, start + 1, False
    fence: str | None = None
    opened = _opens_fence(lines[start][content:]) if len(lines[start]) > content else None
    fence = opened.group(2) if opened else None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank_before = True
            i += 1
            continue
        indent = _indent(line)
        if fence is not None:  # inside a fenced block of the item: only its close or dedent ends it
            close = _FENCE.match(line[content:] if indent >= content else line)
            if indent >= content or (close and close.group(2)[0] == fence[0]):
                if close and close.group(2)[0] == fence[0] and len(close.group(2)) >= len(fence) \
                        and not close.group(3).strip():
                    fence = None
                i, last, blank_before = i + 1, i + 1, False
                continue
            fence = None
        if indent >= content:
            opened = _opens_fence(line[content:]) if indent < content + 4 else None
            fence = opened.group(2) if opened else None
            i, last, blank_before = i + 1, i + 1, False
            continue
        item = _list_item(line)
        if item is not None and item[0] == kind:
            content = item[1]
            opened = _opens_fence(line[content:]) if len(line) > content else None
            fence = opened.group(2) if opened else None
            i, last, blank_before = i + 1, i + 1, False
            continue
        if item is None and not blank_before and _continues_lazily(line):
            i, last = i + 1, i + 1
            continue
        break
    return BlockSpan("bullet_list" if kind in "-+*" else "ordered_list", start, last)


def top_level_blocks(text: str) -> list[BlockSpan]:
    """The top-level blocks of Markdown `text`, in order, with 0-based line spans."""
    lines = text.split("\n")
    blocks: list[BlockSpan] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line[:1].isalpha():  # no block but a paragraph starts with a letter
            block = _paragraph(lines, i)
            blocks.append(block)
            i = block.end
            continue
        if not line.strip():
            i += 1
            continue
        if _indent(line) >= 4:
            end = i + 1
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) >= 4):
                if lines[j].strip():
                    end = j + 1
                j += 1
            blocks.append(BlockSpan("code_block", i, end))
            i = end
            continue
        if (fence := _opens_fence(line)) is not None:
            end = _fence_end(lines, i, fence.group(2))
            blocks.append(BlockSpan("fence", i, end))
            i = end
            continue
        if (atx := _ATX.match(line)) is not None:
            heading = _ATX_CLOSE.sub("", (atx.group(2) or "").strip()).strip()
            blocks.append(BlockSpan("heading", i, i + 1, heading, len(atx.group(1))))
            i += 1
            continue
        if _HR.match(line):
            blocks.append(BlockSpan("hr", i, i + 1))
            i += 1
            continue
        if _QUOTE.match(line):
            block = _quote(lines, i)
        elif (item := _list_item(line)) is not None:
            block = _list(lines, i, *item)
        else:
            block = _paragraph(lines, i)
        blocks.append(block)
        i = block.end
    return blocks
