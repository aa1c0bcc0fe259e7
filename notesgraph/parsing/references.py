"""In-body references: quoted paper titles, arXiv ids, author-year citations, note mentions.

Pure functions over paragraph strings; offsets are character positions in the paragraph so a
reader can highlight them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from notesgraph.model import PaperRef, Reference, normalise_title
from notesgraph.parsing.obsidian_links import scan_block

_QUOTED = re.compile(r'"([^"\n]{3,240})"|“([^”\n]{3,240})”')
_ARXIV = re.compile(r"(?<![\w.])(?:arXiv:\s*)?(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?(?!\d)")
_ARXIV_HINT = re.compile(r"\d{4}\.\d{4}")
_DOI = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^\s\"“”<>]*[^\s\"“”<>.,;:)\]])")
"""A DOI as written in text ("10.18653/v1/2022.naacl-main.167", or after doi: / doi.org/)."""
_YEARISH = re.compile(r"\d{4}")
"""Four digits in a row: every arXiv id (2309.01809) and citation year (2021) has them."""
_NAME = r"[^\W\d_][\w'’\-]*"
_AUTHORS = rf"{_NAME}(?:(?:,\s+|,?\s+(?:&|and)\s+){_NAME})*(?:\s+et\s+al\.?)?"
_YEAR = r"(?:19|20)\d{2}[a-z]?"
_YEAR_IN_PARENS = re.compile(rf"\((?P<year>{_YEAR})\)")
_YEAR_CLOSING = re.compile(rf"(?P<year>{_YEAR})\)")
_AUTHORS_BEFORE = re.compile(rf"(?:^|(?<=[\s\[\"“]))(?P<authors>{_AUTHORS})\s+$")
_AUTHORS_INSIDE = re.compile(rf"(?P<authors>{_AUTHORS}),?\s+")
_CITATION_REACH = 160
"""How far before a year the author list may start; keeps the search linear in the text."""
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into is of on or the to via vs with just".split()
)


def looks_like_title(text: str) -> bool:
    """Whether quoted text reads like a paper title rather than a quoted phrase.

    Titles are short and mostly capitalised ("Do Models Really Learn to Follow
    Instructions?"); quoted phrases ("too robust", "implicit in-context learning") are not.
    """
    words = text.split()
    if not 2 <= len(words) <= 25:
        return False
    content = [w for w in words if w.lower().strip("?:,.!") not in _SMALL_WORDS] or words
    capitalised = sum(1 for w in content if w[:1].isupper() or w[:1].isdigit())
    return capitalised / len(content) >= 0.6 and words[0][:1].isupper()


def match_paper(text: str, papers: Sequence[PaperRef]) -> str:
    """The listed paper a short or full title most likely names, or '' when none does.

    A quoted title matches when it is a prefix of a listed title (titles are often quoted
    without their subtitle) or when at least 3/4 of its words appear in the listed title.
    """
    key = normalise_title(text)
    words = set(key.split())
    if not words:
        return ""
    best, best_score = "", 0.0
    for paper in papers:
        paper_key = paper.key
        if paper_key == key or paper_key.startswith(key + " ") or key.startswith(paper_key + " "):
            return paper.title
        overlap = len(words & set(paper_key.split())) / len(words)
        if overlap > best_score:
            best, best_score = paper.title, overlap
    return best if best_score >= 0.75 and len(words) >= 3 else ""


def _quoted_titles(text: str, index: int, papers: Sequence[PaperRef]) -> Iterator[Reference]:
    for match in _QUOTED.finditer(text):
        group = 1 if match.group(1) is not None else 2
        quoted = match.group(group).strip()
        target = match_paper(quoted, papers)
        if target or looks_like_title(quoted):
            yield Reference("quoted_title", quoted, index, match.start(group), match.end(group), target)


def _arxiv_ids(text: str, index: int) -> Iterator[Reference]:
    if _ARXIV_HINT.search(text) is None:  # one cheap scan; the full pattern tries every position
        return
    for match in _ARXIV.finditer(text):
        yield Reference("arxiv", match.group(1), index, match.start(1), match.end(1))


def _dois(text: str, index: int) -> Iterator[Reference]:
    if "10." not in text:
        return
    for match in _DOI.finditer(text):
        yield Reference("doi", match.group(1).lower(), index, match.start(1), match.end(1))


def _citations(text: str, index: int) -> Iterator[Reference]:
    """Author-year citations, found from their years outward so the cost stays linear.

    Narrative `Webson & Pavlick (2021)` and parenthetical `(Min et al., 2022)` forms.
    """
    found: list[tuple[int, int, str, str]] = []
    for match in _YEAR_CLOSING.finditer(text):
        opening = text.rfind("(", max(0, match.start() - _CITATION_REACH), match.start())
        if opening == -1 or "\n" in text[opening:match.start()]:
            continue
        inner = _AUTHORS_INSIDE.fullmatch(text, opening + 1, match.start())
        if inner is not None:
            found.append((opening, match.end(), inner.group("authors"), match.group("year")))
    for match in _YEAR_IN_PARENS.finditer(text):
        if any(s <= match.start() < e for s, e, _, _ in found):
            continue
        window_start = max(0, match.start() - _CITATION_REACH)
        before = _AUTHORS_BEFORE.search(text, window_start, match.start())
        if before is not None:
            found.append((before.start(), match.end(), before.group("authors"), match.group("year")))
    for start, end, authors, year in sorted(found):
        if authors[:1].isupper():
            yield Reference("author_year", f"{authors} ({year})", index, start, end)


def _mentions(text: str, index: int, titles: Iterable[str]) -> Iterator[Reference]:
    folded = text.casefold()
    for title in titles:
        needle = title.casefold().strip()
        if len(needle) < 8:
            continue
        start = folded.find(needle)
        while start != -1:
            yield Reference("mention", text[start : start + len(needle)], index, start,
                            start + len(needle), title)
            start = folded.find(needle, start + len(needle))


def wiki_links(text: str, index: int) -> Iterator[Reference]:
    """Obsidian links in one Markdown block: wiki links, embeds, attachments, same-note heading
    links and Markdown links to notes, never inside code or math (see obsidian_links for the
    kinds and targets). The text is what the reader sees. Costs O(len(text))."""
    yield from scan_block(text, index)[0]


def find_references(
    paragraphs: Sequence[str],
    papers: Sequence[PaperRef] = (),
    note_titles: Iterable[str] = (),
) -> tuple[Reference, ...]:
    """Every reference in the given paragraphs, in paragraph then position order.

    ``note_titles`` are titles whose plain-text mentions count (the note's related concepts).
    Costs O(total text x (papers + titles)).
    """
    titles = tuple(note_titles)
    found: list[Reference] = []
    for index, text in enumerate(paragraphs):
        if '"' in text or "“" in text:
            found.extend(_quoted_titles(text, index, papers))
        if _YEARISH.search(text) is not None:  # arXiv ids and citation years: four digits
            found.extend(_arxiv_ids(text, index))
            found.extend(_citations(text, index))
            found.extend(_dois(text, index))
        found.extend(_mentions(text, index, titles))
    found.sort(key=lambda r: (r.paragraph, r.start, r.kind))
    return tuple(found)
