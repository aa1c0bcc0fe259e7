"""Bytes to text: the checks every note file passes before a parser sees it."""

from __future__ import annotations

import hashlib

from notesgraph.parsing.errors import NoteParseError

MAX_NOTE_BYTES = 5 * 1024 * 1024
"""Larger files are refused: the seed note is 17 KB, so 5 MB is a log or a dump, not a note."""


def content_hash(data: bytes) -> str:
    """A short stable hash of a file's bytes (what incremental indexing compares)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def check_size(size: int, source: str) -> None:
    """Raise NoteParseError for a file too large to be a note (before reading all of it)."""
    if size > MAX_NOTE_BYTES:
        raise NoteParseError(
            source,
            f"file is {size / 2**20:.1f} MB, larger than the {MAX_NOTE_BYTES // 2**20} MB a note may be",
            hint="split it into smaller notes or move it out of the notes folder",
        )


def decode_note(data: bytes, source: str) -> str:
    """Decode a note's bytes to text with '\\n' line endings and no BOM.

    Raises NoteParseError for a file that is too large, binary or not UTF-8. An empty file
    decodes to '' (it is a note titled by its file name, as in Obsidian). Costs O(len(data)).
    """
    check_size(len(data), source)
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise NoteParseError(
            source, "looks like a binary file (it contains a NUL byte)", line,
            hint="only plain-text and Markdown notes can be indexed; move it out of the notes folder",
        )
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + bom
        line = data.count(b"\n", 0, offset) + 1
        raise NoteParseError(
            source, f"is not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset})", line,
            hint="re-save the file as UTF-8",
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
