"""The line scanner's top-level blocks against markdown-it's, on real notes and edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from notesgraph.parsing.blocks import top_level_blocks

ROOT = Path(__file__).resolve().parent.parent
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:")
"""A link reference or footnote definition: markdown-it drops it, the scanner keeps it as a
paragraph (Obsidian shows footnotes, and links in them count)."""


def _reference(text: str) -> list[tuple[str, int, int, str]]:
    md = MarkdownIt("commonmark", {"html": False})
    tokens = md.parse(text)
    found = []
    for i, token in enumerate(tokens):
        if token.level == 0 and token.map is not None and token.nesting != -1:
            heading = tokens[i + 1].content.strip() if token.type == "heading_open" else ""
            found.append((token.type.removesuffix("_open"), *token.map, heading))
    return found


def _trimmed(text: str, spans: list[tuple[str, int, int, str]]) -> list[tuple[str, int, int, str]]:
    """Spans without trailing blank lines (where the two may differ harmlessly)."""
    lines = text.split("\n")
    out = []
    for kind, start, end, heading in spans:
        while end > start and not lines[end - 1].strip():
            end -= 1
        out.append((kind, start, end, heading))
    return out


def _scanned(text: str) -> list[tuple[str, int, int, str]]:
    return [(b.kind, b.start, b.end, b.heading) for b in top_level_blocks(text)]


def _agree(text: str) -> None:
    lines = text.split("\n")
    reference = _trimmed(text, _reference(text))
    mine = [s for s in _trimmed(text, _scanned(text))
            if s in reference or not (s[0] == "paragraph" and _DEFINITION.match(lines[s[1]]))]
    assert mine == reference


EDGE_CASES = [
    "Title\n=====\n\nA paragraph\n---\n\n---\n\ntext",  # setext h1, setext h2, then a rule
    "para\n# heading\npara\n```\ncode [[x]]\n```\nafter",
    "- a\n- b\n+ c\n\n1. x\n2) y\n\ntext",  # a new bullet character or delimiter: a new list
    "- a\n  continued\nlazy line\n\n  indented after blank\n\nout",
    "> quote\nlazy\n> more\n\n> second quote",
    "> [!note] A callout\n> with [[Link]]\n\nafter",
    "    indented code\n\n    more code\npara\n    not code (inside a paragraph)",
    "para\n2. does not interrupt\n1. does interrupt",
    "* * *\n- - -\n___",
    "~~~\nunclosed fence\n[[x]]",
    "```js\nlet x = 1\n```\n````\n```\nnested\n````",
    "| a | b |\n|---|---|\n| [[x\\|y]] | 2 |",
    "- item\n\n  ```\n  code in item\n\n  still code\n  ```\n- next",
    "## Heading ##\n#NoSpaceIsTag\n#\n####### seven",
    "1. one\n\n\n\n not in the list",
    "text with $$math [[x]]$$ inline\n\n$$\na [[b]]\n$$",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_match_markdown_it(text: str) -> None:
    _agree(text)


def test_every_markdown_note_the_tests_have_matches_markdown_it() -> None:
    files = sorted((ROOT / "tests" / "data").rglob("*.md")) + sorted((ROOT / "notes").glob("*.md"))
    assert len(files) > 500
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace").lstrip("\ufeff").replace("\r\n", "\n")
        if text.startswith("---\n") and (end := _FRONT_MATTER_END.search(text, 4)):
            text = "\n" * text.count("\n", 0, end.end()) + text[end.end():]  # as the parser strips it
        try:
            _agree(text)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from None
