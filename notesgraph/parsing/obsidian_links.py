"""Obsidian link syntax in Markdown source: wiki links, embeds, attachments, Markdown links, #tags.

What counts follows the Obsidian app (and the independent counter in the vault oracle):
links are found in every kind of block, never inside code spans or ``$…$`` / ``$$…$$`` math
(fenced and indented code blocks are masked by the caller, who knows the block structure),
and a ``[[`` whose ``]]`` is on another line is not a link. One linear scan per block.

Reference kinds and their ``target``:

- ``wiki_link``: ``[[a]]``, ``[[a|shown]]``, ``[[a#Heading]]``, ``[[a#^block]]`` -> ``a``
  (the path as written, without alias, subpath or a ``.md`` suffix; ``folder/a`` stays).
- ``embed``: ``![[a]]``, ``![[a#Heading]]`` -> ``a`` (a transclusion of another note).
- ``attachment``: ``[[file.pdf]]``, ``![[image.png|300]]``, ``![alt](pic.png)`` -> the file path
  with its extension (not a note: never an unresolved stub). ``[[Drawing.excalidraw]]`` is a
  link to the note ``Drawing.excalidraw.md``, so it stays a ``wiki_link``.
- ``heading_link``: ``[[#Heading]]``, ``[[#^block]]`` -> ``""`` (a place in the same note).
- ``md_link``: ``[text](Other%20Note.md)``, ``[text](<Other Note.md>)``,
  ``[text](folder/Note.md#heading)`` -> the URL-decoded path without ``.md``; ``![x](Note.md)``
  is an ``embed``. External URLs (any ``scheme:``) and ``#anchors`` are not links.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from notesgraph.model import Reference, ReferenceKind

ATTACHMENT_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp", ".avif",
    ".mp3", ".webm", ".wav", ".m4a", ".ogg", ".3gp", ".flac",
    ".mp4", ".ogv", ".mov", ".mkv", ".pdf", ".canvas",
    ".csv", ".json", ".html", ".txt", ".py", ".zip", ".pptx", ".docx",
    ".xlsx", ".drawio", ".tex", ".bib", ".ipynb",
})
"""File types a link points at as a file, not a note (the vault oracle's list). ``.excalidraw``
is left out on purpose: ``[[Drawing.excalidraw]]`` opens the note ``Drawing.excalidraw.md``."""

NO_PARAGRAPH = -1
"""The ``Reference.paragraph`` of a link in no body paragraph: in a front-matter value, the
``# Title`` line, or a drawing's link lists (see Reference)."""

_MASK = "\x00"
"""What code, math and wiki links are blanked with before looking for Markdown links and tags:
not a space, so `` `x`#tag `` stays no tag, and never part of a tag or a link."""

_WIKI = re.compile(r"(!?)\[\[([^\]\n]+)\]\]")
_LINK_STOP = re.compile(r"[\]\n]")
_SPECIAL = re.compile(r"\\[`$]|!?\[\[|`+|\$\$?")
_MATH_CLOSE = re.compile(r"(?<=[^\s\\])\$(?!\d)")
_ATTACHMENT_SIZE = re.compile(r"\d+(?:x\d+)?")
_URL_CHAR = r"[^\x00-\x20()<>]"  # CommonMark: no ASCII space or control (U+202F is fine)
_MD_LINK = re.compile(  # the lookahead lets the regex engine skip other characters fast
    rf"(?=[!\[])(!?)\[([^\[\]\n]*)\]\(\s*(?:<([^<>\n]+)>|({_URL_CHAR}+(?:\({_URL_CHAR}*\){_URL_CHAR}*)*))"
    r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)""")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_TAG = re.compile(r"(?<!\S)#([^\s\x00#!\"$%&'()*+,.:;<=>?@\[\\\]^`{|}~]+)")
_NOT_A_TAG = re.compile(r"[\d/_-]+")


@lru_cache(maxsize=16)
def _closing_backticks(count: int) -> re.Pattern[str]:
    """A run of exactly `count` backticks (what closes a code span opened by as many)."""
    return re.compile(rf"(?<!`)`{{{count}}}(?!`)")


def _kind_of_path(path: str, embed: bool) -> ReferenceKind:
    extension = posixpath.splitext(path)[1].lower()
    if extension in ATTACHMENT_EXTENSIONS:
        return "attachment"
    return "embed" if embed else "wiki_link"


def wiki_reference(match: re.Match[str], paragraph: int, shift: int = 0) -> Reference | None:
    """The Reference a `_WIKI` match makes, or None for an empty link (``[[]]``, ``[[|x]]``).

    ``\\|`` is an alias pipe (it is how a link is written inside a table).
    """
    embed = match.group(1) == "!"
    inner = match.group(2).replace("\\|", "|")
    link, _, alias = inner.partition("|")
    path, _, subpath = link.partition("#")
    path, alias, subpath = path.strip(), alias.strip(), subpath.strip()
    if path[-3:].lower() == ".md":
        path = path[:-3]
    start, end = match.start() + shift, match.end() + shift
    if not path:
        if not subpath:
            return None
        return Reference("heading_link", alias or subpath.lstrip("^"), paragraph, start, end, "")
    kind = _kind_of_path(path, embed)
    if kind == "attachment" and _ATTACHMENT_SIZE.fullmatch(alias):
        alias = ""  # ![[image.png|300]]: a display size, not a caption
    return Reference(kind, alias or path, paragraph, start, end, path)


def _markdown_reference(match: re.Match[str], text: str, paragraph: int) -> Reference | None:
    """The Reference a `_MD_LINK` match (found in masked text) makes, read from `text`."""
    url_group = 3 if match.group(3) is not None else 4
    url = text[match.start(url_group):match.end(url_group)]
    if _SCHEME.match(url) or url.startswith(("#", "//")):
        return None
    path = unquote(url.partition("#")[0]).strip()
    if not path:
        return None
    embed = match.group(1) == "!"
    if path[-3:].lower() == ".md":
        kind: ReferenceKind = "embed" if embed else "md_link"
        path = path[:-3]
    else:
        kind = _kind_of_path(path, embed)
        if kind == "wiki_link":
            kind = "md_link"
        elif kind == "embed" and posixpath.splitext(path)[1]:
            kind = "attachment"  # ![alt](diagram.xyz): an image of some kind, not a note
    shown = text[match.start(2):match.end(2)].strip()
    return Reference(kind, shown or path, paragraph, match.start(), match.end(), path)


def _mask(pieces: list[str], text: str, copied: int, start: int, end: int) -> int:
    pieces.append(text[copied:start])
    pieces.append(_MASK * (end - start))
    return end


def scan_block(text: str, paragraph: int) -> tuple[list[Reference], list[str]]:
    """(references, tags) in one Markdown block, in text order.

    Code spans and math are skipped; a wiki link that starts before a backtick wins (so
    ``[[`x` y]]`` is a link, as in Obsidian). Offsets are character positions in `text`.
    Costs O(len(text)): each kind of failed search remembers how far it looked.
    """
    if "[" not in text and "#" not in text:
        return [], []
    refs: list[Reference] = []
    pieces: list[str] = []
    copied = position = 0
    no_close: set[int] = set()  # backtick run lengths with no closing run after this point
    no_math_before = -1  # a single `$` before this offset has no closing `$` on its line
    no_link_before = -1  # a `[[` before this offset has no `]]` on its line
    if "[[" not in text and "`" not in text and "$" not in text:
        position = len(text)  # no wiki link, code or math to mask: straight to links and tags
    while (special := _SPECIAL.search(text, position)) is not None:
        start, token = special.start(), special.group()
        first = token[0]
        position = special.end()
        if first == "\\":
            continue
        if first in "![":
            if start < no_link_before:
                continue
            link = _WIKI.match(text, start)
            if link is None:
                # Every `[[` before the first `]` or line end after this one fails the same way.
                stop = _LINK_STOP.search(text, position)
                no_link_before = len(text) if stop is None else stop.start()
                continue
            ref = wiki_reference(link, paragraph)
            if ref is not None:
                refs.append(ref)
            copied = position = _mask(pieces, text, copied, start, link.end())
            continue
        if first == "`":
            count = len(token)
            if count in no_close:
                continue
            close = _closing_backticks(count).search(text, position)
            if close is None:
                no_close.add(count)
            elif text.find("\n\n", position, close.start()) == -1:
                copied = position = _mask(pieces, text, copied, start, close.end())
            continue
        if token == "$$":
            close_at = text.find("$$", position)
            if close_at != -1:
                copied = position = _mask(pieces, text, copied, start, close_at + 2)
            continue
        if position < no_math_before or position >= len(text) or text[position].isspace():
            continue
        line_end = text.find("\n", position)
        line_end = len(text) if line_end == -1 else line_end
        close_math = _MATH_CLOSE.search(text, position + 1, line_end)
        if close_math is None:
            no_math_before = line_end
        else:
            copied = position = _mask(pieces, text, copied, start, close_math.end())
    if copied:
        pieces.append(text[copied:])
        masked = "".join(pieces)
    else:
        masked = text
    if "](" in masked:
        for match in _MD_LINK.finditer(masked):
            ref = _markdown_reference(match, text, paragraph)
            if ref is not None:
                refs.append(ref)
        refs.sort(key=lambda r: r.start)
    tags = body_tags(masked) if "#" in masked else []
    return refs, tags


def shown_text(text: str) -> str:
    """The text with each wiki link replaced by what the reader sees (``[[a|b]]`` -> ``b``):
    for a title line such as ``# About [[Deep Learning]]``. Costs O(len(text))."""
    if "[[" not in text:
        return text

    def shown(match: re.Match[str]) -> str:
        ref = wiki_reference(match, 0)
        return ref.text if ref is not None else match.group(0)
    return _WIKI.sub(shown, text)


def body_tags(text: str) -> list[str]:
    """Obsidian #tags in text whose code is already masked: ``#a/b``, ``#with-hyphen``,
    ``#1a``; not ``#123``, not ``# Heading``, not ``x.com/#frag`` (a tag follows a space or a
    line start)."""
    found = []
    for match in _TAG.finditer(text):
        tag = match.group(1).rstrip("/")
        if tag and not _NOT_A_TAG.fullmatch(tag):
            found.append(tag)
    return found


def front_matter_tags(value: Any) -> list[str]:
    """Tags from a front-matter ``tags``/``tag`` value: a list, or a string split at commas
    and spaces; a leading ``#`` is dropped."""
    if value is None:
        return []
    items: Iterable[Any] = re.split(r"[,\s]+", value) if isinstance(value, str) else (
        value if isinstance(value, (list, tuple)) else [value])
    tags = []
    for item in items:
        if item is None:
            continue
        tag = str(item).strip().lstrip("#").strip()
        if tag:
            tags.append(tag)
    return tags


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def front_matter_links(data: dict[str, Any], raw: str) -> list[Reference]:
    """Wiki links in front-matter string values (``up: "[[X]]"``, lists of links).

    Their paragraph is NO_PARAGRAPH; start/end locate the link in the raw front
    matter text (0, 0 when YAML escapes changed its spelling). An unquoted ``up: [[X]]`` is a
    YAML list of lists, not a link, as in Obsidian.
    """
    refs: list[Reference] = []
    cursor = 0
    for value in _strings(data):
        if "[[" not in value:
            continue
        for match in _WIKI.finditer(value):
            ref = wiki_reference(match, NO_PARAGRAPH)
            if ref is None:
                continue
            at = raw.find(match.group(0), cursor)
            start, end = (at, at + len(match.group(0))) if at != -1 else (0, 0)
            cursor = max(cursor, end)
            refs.append(Reference(ref.kind, ref.text, ref.paragraph, start, end, ref.target))
    return refs
