"""Write new notes: "Create note" turns an unresolved concept stub into a Markdown note."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f#\[\]^]+')


def note_file_name(title: str, limit: int = 120) -> str:
    """A portable file name for a title: unsafe characters dropped, length capped, `.md`."""
    stem = _UNSAFE.sub(" ", title).strip(" .")
    stem = re.sub(r"\s+", " ", stem)[:limit].rstrip(" .") or "Untitled note"
    return f"{stem}.md"


def create_note(folder: Path, title: str, description: str = "",
                linked_from: Sequence[str] = ()) -> Path:
    """Write a Markdown note for `title` into `folder` and return its path.

    The note links back to the notes that listed the concept, so the new note is connected
    at once. Never overwrites: a taken name gets " (2)", " (3)" ... Raises OSError when the
    folder cannot be written.
    """
    if not title.strip():
        raise ValueError("a note needs a title")
    name = note_file_name(title)
    path = folder / name
    counter = 2
    while path.exists():
        path = folder / f"{name[:-3]} ({counter}).md"
        counter += 1
    lines = [f"# {title.strip()}", "", description.strip() or "(Write the lede here.)", ""]
    if linked_from:
        lines += ["## Related concepts"]
        lines += [f"- [[{source}]] — listed this as a related concept" for source in linked_from]
        lines.append("")
    with path.open("x", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path
