"""Text -> model. Pure functions; the only I/O is reading the one file asked for.

`parse_file` picks the parser from the content (export markers, Markdown structure) and
falls back to the extension, so a `.md` export or a `.txt` Markdown note parse correctly.
"""

from __future__ import annotations

from pathlib import Path

from notesgraph.model import Note, NoteFormat
from notesgraph.parsing.decode import MAX_NOTE_BYTES, content_hash, decode_note
from notesgraph.parsing.errors import NoteParseError
from notesgraph.parsing.plaintext import EXPORT_MARKERS, parse_export
from notesgraph.parsing.markdown import looks_like_markdown, parse_markdown

NOTE_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

__all__ = [
    "MAX_NOTE_BYTES", "NOTE_SUFFIXES", "NoteParseError", "content_hash", "detect_format",
    "parse_bytes", "parse_file", "parse_text",
]


def detect_format(text: str, suffix: str = "") -> NoteFormat:
    """'export' or 'markdown', from the text first and the file extension second."""
    head = text.lstrip()
    if head.startswith("---\n") or head.startswith("# "):
        return "markdown"
    if EXPORT_MARKERS.search(text):
        return "export"
    if looks_like_markdown(text) or suffix.lower() in MARKDOWN_SUFFIXES:
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
