"""Which note a `[[link]]` names, resolved as Obsidian resolves it.

A note is its file. `[[Name]]` names the file called Name (case-insensitive, any note
extension); several such files: the one in the linking note's folder, else the shortest path.
`[[folder/Name]]` (or a Markdown link's relative path) names the file at that path relative to
the linking note's folder, else a file whose path ends with it. When no file has that name,
a note whose title is Name (notesgraph's plain-text notes are named by title); else nothing,
and the caller makes a stub.

Pure: built from (node, path, title key) triples, no store. Building costs O(notes); a lookup
costs O(candidates with that file name).
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterable
from pathlib import PurePath

from notesgraph.model import normalise_title

_NOTE_EXTENSIONS = (".md", ".markdown", ".txt")


def name_key(name: str) -> str:
    """How Obsidian compares file names: case-insensitively, Unicode-normalised.

    >>> name_key("Data  Lake") == name_key("data  lake"), name_key("Data Lake") == name_key("Data-Lake")
    (True, False)
    """
    return unicodedata.normalize("NFC", name).casefold()


def _without_extension(path: str) -> str:
    for extension in _NOTE_EXTENSIONS:
        if path.lower().endswith(extension):
            return path[: -len(extension)]
    return path


def _posix(path: str) -> str:
    """`PurePath(path).as_posix()`, without building a path object when that would return
    `path` unchanged (a stored path is: 1.7 s saved for 100k notes)."""
    if not path or path == "." or "//" in path or "/." in path or path.startswith("./") \
            or path.endswith("/") or "\\" in path:
        return PurePath(path).as_posix()
    return path


class LinkResolver:
    """Resolves link targets written in notes to note nodes."""

    def __init__(self, notes: Iterable[tuple[str, str, str]]) -> None:
        """`notes`: (node, file path, normalised title) of every note."""
        self._by_name: dict[str, list[tuple[str, str, str]]] = {}
        by_title: dict[str, tuple[int, str, str]] = {}
        for node, path, title_key in notes:
            posix = _posix(path)
            stem = _without_extension(posix)
            entry = (node, name_key(stem), posixpath.dirname(posix))
            self._by_name.setdefault(name_key(posixpath.basename(stem)), []).append(entry)
            known = by_title.get(title_key)
            if title_key and (known is None or (len(posix), posix) < known[:2]):
                by_title[title_key] = (len(posix), posix, node)
        self._by_title = {key: node for key, (_, _, node) in by_title.items()}

    def by_title(self, title_key: str) -> str | None:
        """The note with this normalised title (the shortest path when titles repeat)."""
        return self._by_title.get(title_key)

    def resolve(self, target: str, source_path: str) -> str | None:
        """The node `target` (a link path without alias or #heading) names when written in the
        note at `source_path`, or None."""
        target = _without_extension(target.strip().replace("\\", "/")).strip("/")
        if not target:
            return None
        source_dir = posixpath.dirname(_posix(source_path))
        candidates = self._by_name.get(name_key(posixpath.basename(target)), ())
        if "/" in target and candidates:
            wanted = name_key(target)
            relative = name_key(posixpath.normpath(posixpath.join(source_dir, target)))
            candidates = [c for c in candidates if c[1] == relative] or \
                         [c for c in candidates if c[1].endswith("/" + wanted) or c[1] == wanted]
        if candidates:
            best = min(candidates, key=lambda c: (c[2] != source_dir, len(c[1]), c[1]))
            return best[0]
        return self._by_title.get(normalise_title(target))
