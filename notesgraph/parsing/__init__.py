"""Text -> model. Pure functions; the only I/O is reading the one file asked for.

`parse_file` picks the parser from the content (export markers, the site's page-layout lines,
Markdown structure) and falls back to the extension, so a `.md` export or page copy and a
`.txt` Markdown note parse correctly.
"""

from __future__ import annotations

from pathlib import Path

from notesgraph.model import Note, NoteFormat
from notesgraph.parsing.decode import MAX_NOTE_BYTES, content_hash, decode_note
from notesgraph.parsing.errors import NoteParseError
from notesgraph.parsing.page_layout import LAYOUT_MARKERS
from notesgraph.parsing.plaintext import EXPORT_MARKERS, parse_export
from notesgraph.parsing.markdown import looks_like_markdown, parse_markdown

NOTE_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

__all__ = [
    "MAX_NOTE_BYTES", "NOTE_SUFFIXES", "NoteParseError", "content_hash", "detect_format",
    "parse_bytes", "parse_file", "parse_text",
]


def detect_format(text: str, suffix: str = "") -> NoteFormat:
    """'export' or 'markdown', from the text first and the file extension second.

    Front matter or a leading `# Title` means Markdown; export section headers mean export; a
    page copied from the seed's site (a kind line such as `SYNTHESIS NOTE` or `← All notes`, or
    a metadata line such as `Note · 2026-02-22 · sourced from …`) is plain text even as `.md`,
    unless the text also has Markdown structure (headings, rules, `[[links]]`).
    """
    head = text.lstrip()
    if head.startswith("---\n") or head.startswith("# "):
        return "markdown"
    if EXPORT_MARKERS.search(text):
        return "export"
    markdown = looks_like_markdown(text)
    if not markdown and LAYOUT_MARKERS.search(text):
        return "export"
    if markdown or suffix.lower() in MARKDOWN_SUFFIXES:
        return "markdown"
    return "export"


def parse_text(text: str, source: str = "<text>", digest: str = "") -> Note:
    """Parse already-decoded text; raises NoteParseError for text that is not a note.

    Blank text of any file type is an empty note titled by its file name."""
    if not text.strip():
        return parse_markdown(text, source, digest)
    parser = parse_markdown if detect_format(text, Path(source).suffix) == "markdown" else parse_export
    return parser(text, source, digest)


def parse_bytes(data: bytes, source: str) -> Note:
    """Decode and parse a file's bytes; raises NoteParseError (never anything else)."""
    return parse_text(decode_note(data, source), source, content_hash(data))


def parse_file(path: Path) -> Note:
    """Read and parse one note file; raises NoteParseError, naming the file, on bad input."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NoteParseError(str(path), f"cannot be read ({error.strerror})",
                             hint="check that the file exists and is readable") from None
    return parse_bytes(data, str(path))
