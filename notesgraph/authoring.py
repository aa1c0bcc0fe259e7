"""Write new notes: "Create note" turns an unresolved concept stub into a Markdown note."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f#\[\]^]+')
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                       *(f"LPT{i}" for i in range(1, 10))})
"""Names Windows refuses for a file whatever its extension ("nul.md"); a synced vault would break."""
NAME_BYTES = 200
"""File names are capped in bytes (255 is the usual limit; room is left for " (12)" and ".md"):
a character cap let 120 CJK or emoji characters reach 360-480 bytes, which file systems refuse."""


def clean_title(title: str) -> str:
    """The title as one line with single spaces: a line break would split the note's heading
    (its title would no longer be the stub's, so the stub would never resolve)."""
    return " ".join(title.split())


def note_file_name(title: str, limit: int = NAME_BYTES) -> str:
    """A portable file name for a title: unsafe characters dropped, at most `limit` bytes of
    UTF-8 before `.md` (cut at a character), never a name Windows reserves."""
    stem = re.sub(r"\s+", " ", _UNSAFE.sub(" ", title)).strip(" .")
    stem = stem.encode("utf-8")[:limit].decode("utf-8", "ignore").rstrip(" .") or "Untitled note"
    base, dot, rest = stem.partition(".")
    if base.strip().upper() in _RESERVED:  # reserved before the first dot ("aux.notes" too)
        stem = f"{base.rstrip()} (note){dot}{rest}"
    return f"{stem}.md"


def create_note(folder: Path, title: str, description: str = "",
                linked_from: Sequence[str] = ()) -> Path:
    """Write a Markdown note for `title` into `folder` and return its path.

    The note links back to the notes that listed the concept, so the new note is connected
    at once. Never overwrites: a taken name gets " (2)", " (3)" ... Raises OSError when the
    folder cannot be written.
    """
    title = clean_title(title)
    if not title:
        raise ValueError("a note needs a title")
    name = note_file_name(title)
    path = folder / name
    counter = 2
    while path.exists():
        path = folder / f"{name[:-3]} ({counter}).md"
        counter += 1
    lines = [f"# {title}", "", description.strip() or "(Write the lede here.)", ""]
    if linked_from:
        lines += ["## Related concepts"]
        lines += [f"- [[{clean_title(source)}]] — listed this as a related concept" for source in linked_from]
        lines.append("")
    with path.open("x", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path
