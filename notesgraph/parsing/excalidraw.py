"""Excalidraw drawings saved as Markdown (``*.excalidraw.md``, the Obsidian Excalidraw plugin).

Such a file is a drawing, not a text note: front matter with ``excalidraw-plugin: parsed``, a
banner line (``==⚠ Switch to EXCALIDRAW VIEW …``), then ``# Excalidraw Data`` with
``## Text Elements`` (the drawing's text, one element per paragraph, each ending in a
``^blockid``), and, usually inside ``%%`` comment markers, ``## Element Links`` and
``## Embedded Files`` (``id: [[link]]`` lines) and ``## Drawing`` with the scene as a ```json or
```compressed-json block. Older versions use ``# Text Elements`` / ``# Drawing`` headings.

Search should find the drawing's text and the graph its links; nobody wants the JSON.
"""

from __future__ import annotations

import re
from pathlib import PurePath

_SECTION = re.compile(
    r"#{1,6}[ \t]+(excalidraw data|text elements|element links|embedded files|drawing)[ \t]*", re.I)
_BLOCK_ID_AT_END = re.compile(r"[ \t]+\^[A-Za-z0-9-]+[ \t]*$")
_SUFFIX = ".excalidraw.md"


def is_drawing(source: str, front_matter: dict[str, str]) -> bool:
    """Whether a Markdown file is an Excalidraw drawing: by its name or its front matter."""
    return source.lower().endswith(_SUFFIX) or "excalidraw-plugin" in front_matter


def drawing_title(source: str) -> str:
    """The file name without ``.excalidraw.md`` (or ``.md``): what Obsidian shows."""
    name = PurePath(source).name
    if name.lower().endswith(_SUFFIX):
        return name[: -len(_SUFFIX)]
    return PurePath(source).stem


def split_drawing(body: str) -> tuple[str, str]:
    """(text, link lines) of a drawing's body (after its front matter).

    ``text`` keeps the user's Markdown above the drawing data and the text elements (block
    ids dropped), every other line blanked so line numbers still hold, and stops where the
    ``Drawing`` section starts. ``link lines`` are the Element Links and Embedded Files lines.
    Costs O(len(body)) and never reads the JSON.
    """
    kept: list[str] = []
    links: list[str] = []
    section = ""
    for line in body.split("\n"):
        heading = _SECTION.fullmatch(line)
        if heading is not None:
            section = heading.group(1).lower()
            if section == "drawing":
                break
            kept.append("")
            continue
        stripped = line.strip()
        if section in ("element links", "embedded files"):
            if stripped:
                links.append(line)
            kept.append("")
        elif section == "text elements" and stripped != "%%":
            kept.append(_BLOCK_ID_AT_END.sub("", line))
        elif section == "" and not stripped.startswith("==⚠"):
            kept.append(line)
        else:
            if section == "text elements":
                section = "comment"  # `%%` ends the text: the plugin's data follows
            kept.append("")
    return "\n".join(kept).rstrip("\n"), "\n".join(links)
