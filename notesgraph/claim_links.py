"""Link a claim to its source: the paper it reports (or the note it cites), with a score.

In order: a paper cited in the claim's sentence (the one cited last before its first number),
a short name in the sentence resolved against the note's related papers ("the IT Survey",
"the False Promise finding"), a note mentioned or linked in the sentence; else the nearest of
those before the sentence in its paragraph. References written next to each other
(`Wei et al. (2022), "Title" (2201.11903)`) are one paper. A claim with no source, or only an
unresolved short name, says why instead of guessing.

Embedding similarity for short names is not used yet: resolution is by words (acronyms
expanded), so it needs no model. Pure functions; O(paragraph x listed papers).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from notesgraph.model import NO_SOURCE, ClaimSource, PaperRef, Reference, normalise_title
from notesgraph.parsing.references import match_paper

_PAPER_KINDS = frozenset({"quoted_title", "arxiv", "author_year", "doi"})
NOTE_KINDS = frozenset({"mention", "wiki_link"})
_GROUP_GAP = re.compile(r"[\s,;:()\"“”'’]{0,6}|[\"”]?\s*\([^()]{0,60}[;,]\s*|,\s+the\s+[^,;.()]{1,40}\(")
"""What may separate references to one paper: punctuation, a parenthetical citation before the
arXiv id ('"Tina" (Wang et al., 2025; 2504.15777)') or an apposition (', the Automate-CoT paper (')."""
_SHORT_NAME = re.compile(
    r"\b[Tt]he\s+((?:[A-Z0-9][\w’'.-]*\s+){0,4}?[A-Z0-9][\w’'.-]*)\s+"
    r"([Ss]urvey|[Ff]indings?|[Pp]aper|[Ss]tudy|[Rr]esults?|[Ww]ork|[Aa]nalysis|[Bb]enchmark|[Ee]xperiments?)\b")
ACRONYMS = {
    "it": "instruction tuning", "icl": "in context learning", "llm": "large language model",
    "llms": "large language models", "lm": "language model", "lms": "language models",
    "cot": "chain of thought", "sft": "supervised fine tuning", "rl": "reinforcement learning",
    "rlhf": "reinforcement learning from human feedback", "nli": "natural language inference",
}
"""Acronyms expanded before a short name is matched to titles ("the IT Survey")."""
SHORT_NAME_MIN_SCORE = 0.75
SHORT_NAME_MIN_MARGIN = 0.25
"""A short name resolves when at least 3/4 of its words are in one listed title and that title
beats the runner-up by a quarter of the words; otherwise it is reported, not guessed."""


@dataclass(frozen=True)
class ShortName:
    """A paper named by a short name in the text, and what it resolves to (or why not)."""

    text: str
    start: int
    end: int
    paper: str
    score: float
    unresolved: str = ""


def _name_words(text: str) -> list[str]:
    words: list[str] = []
    for word in normalise_title(text.replace("-", " ")).split():
        words.extend(ACRONYMS.get(word, word).split())
    return words


def _word_in(word: str, title_words: set[str]) -> bool:
    return word in title_words or (len(word) >= 5 and any(t.startswith(word[:5]) for t in title_words))


def resolve_short_name(name: str, papers: Sequence[PaperRef]) -> tuple[str, float, str]:
    """(listed title, score, '') for a short name like "IT Survey", or ('', best score, why)
    when no listed paper matches well enough or two match about as well. O(papers x words).

    >>> papers = [PaperRef("The False Promise of Imitating Proprietary LLMs", 1)]
    >>> resolve_short_name("False Promise finding", papers)[:2]
    ('The False Promise of Imitating Proprietary LLMs', 1.0)
    """
    words = [w for w in _name_words(name) if w not in {"finding", "findings", "paper", "study", "result",
                                                        "results", "work", "analysis", "experiment",
                                                        "experiments"}]
    if not words or not papers:
        return "", 0.0, f"{name!r}: the note lists no papers to match it against"
    scored = sorted(((sum(_word_in(w, set(_name_words(p.title))) for w in words) / len(words), p.title)
                     for p in papers), reverse=True)
    best, title = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best < SHORT_NAME_MIN_SCORE:
        return "", best, (f"{name!r} matches no listed paper well enough (closest: {title!r} at {best:.2f}, "
                          f"needs {SHORT_NAME_MIN_SCORE:.2f})")
    if best - runner_up < SHORT_NAME_MIN_MARGIN:
        return "", best, f"{name!r} matches several listed papers about equally ({best:.2f} and {runner_up:.2f})"
    return title, best, ""


def short_names(text: str, papers: Sequence[PaperRef]) -> Iterator[ShortName]:
    """Short names of papers in a paragraph ("the IT Survey", "the False Promise finding"),
    each resolved against the note's related papers or carrying why it is not."""
    for match in _SHORT_NAME.finditer(text):
        name = f"{match.group(1)} {match.group(2)}"
        title, score, why = resolve_short_name(name, papers)
        yield ShortName(match.group(0), match.start(), match.end(), title, score, why)


def _paper_groups(refs: Sequence[Reference], text: str) -> list[list[Reference]]:
    """References to one paper written next to each other: `Wei et al. (2022), "Title" (2201.11903)`."""
    groups: list[list[Reference]] = []
    for ref in sorted((r for r in refs if r.kind in _PAPER_KINDS), key=lambda r: r.start):
        if groups and _GROUP_GAP.fullmatch(text[groups[-1][-1].end:ref.start]) and \
                ref.kind not in {r.kind for r in groups[-1]}:
            groups[-1].append(ref)
        else:
            groups.append([ref])
    return groups


def _source_of_group(group: Sequence[Reference], papers: Sequence[PaperRef], scope: str) -> ClaimSource:
    by_kind = {r.kind: r for r in group}
    quoted = by_kind.get("quoted_title")
    listed = (quoted.target or match_paper(quoted.text, papers)) if quoted else ""
    first = group[0]
    return ClaimSource(
        kind=first.kind, text=first.text, paper=listed or (quoted.text if quoted else ""),
        listed=bool(listed), citation=by_kind["author_year"].text if "author_year" in by_kind else (
            f"doi:{by_kind['doi'].text}" if "doi" in by_kind else ""),
        arxiv=by_kind["arxiv"].text if "arxiv" in by_kind else "", score=1.0, scope=scope)


@dataclass(frozen=True)
class ParagraphSources:
    """What a paragraph names, found once and shared by all its claims; each kind in order of
    position, with the positions alongside so a claim finds its own by bisection."""

    groups: tuple[tuple[Reference, ...], ...]
    names: tuple[ShortName, ...]
    notes: tuple[Reference, ...]
    group_starts: tuple[int, ...] = ()
    name_starts: tuple[int, ...] = ()
    note_starts: tuple[int, ...] = ()
    resolved: tuple[ShortName, ...] = ()
    """The names that resolved to a paper, and their starts."""
    resolved_starts: tuple[int, ...] = ()


def paragraph_sources(paragraph: str, refs: Sequence[Reference], papers: Sequence[PaperRef]) -> ParagraphSources:
    """The papers (grouped), short names and notes a paragraph names. O(paragraph x papers)."""
    groups = tuple(tuple(g) for g in _paper_groups(refs, paragraph))
    names = tuple(sorted(short_names(paragraph, papers), key=lambda n: n.start))
    notes = tuple(sorted((r for r in refs if r.kind in NOTE_KINDS and r.target), key=lambda r: r.start))
    resolved = tuple(n for n in names if n.paper)
    return ParagraphSources(groups, names, notes, tuple(g[0].start for g in groups), tuple(n.start for n in names),
                            tuple(r.start for r in notes), resolved, tuple(n.start for n in resolved))


MAX_UNRESOLVED = 5
"""Unresolved short names a claim with no source lists as the reason (the first ones)."""


def link_source(paragraph: str, start: int, end: int, refs: Sequence[Reference],
                papers: Sequence[PaperRef], anchor: int | None = None,
                found: ParagraphSources | None = None) -> ClaimSource:
    """The source of the sentence at paragraph[start:end].

    In the sentence: the paper cited last before `anchor` (the first number) else the first
    cited, then a resolved short name, then a note mentioned or linked. Else in the paragraph
    before the sentence: the nearest paper, resolved short name or note. Else NO_SOURCE with
    the reason (including an unresolved short name). `found` is `paragraph_sources(...)` when
    the caller links several sentences of one paragraph. O(log of what the paragraph names):
    a paragraph of thousands of claims and links (a table) stays linear.
    """
    anchor = start if anchor is None else anchor
    found = found or paragraph_sources(paragraph, refs, papers)
    groups = found.groups
    first, stop = bisect_left(found.group_starts, start), bisect_left(found.group_starts, end)
    if first < stop:
        before = bisect_right(found.group_starts, anchor, first, stop)
        return _source_of_group(groups[before - 1] if before > first else groups[first], papers, "sentence")
    inside = bisect_left(found.resolved_starts, start)
    if inside < len(found.resolved) and found.resolved_starts[inside] < end:
        name = found.resolved[inside]
        return ClaimSource("short_name", name.text, name.paper, True, score=name.score, scope="sentence")
    inside = bisect_left(found.note_starts, start)
    if inside < len(found.notes) and found.note_starts[inside] < end:
        ref = found.notes[inside]
        return ClaimSource("note", ref.text, note=ref.target, score=1.0, scope="sentence")
    nearest: list[tuple[int, int]] = []  # (start, kind rank): papers, then names, then notes win a tie
    for rank, starts in enumerate((found.group_starts, found.resolved_starts, found.note_starts)):
        i = bisect_left(starts, start)
        if i:
            nearest.append((starts[i - 1], -rank))
    if nearest:
        position, rank = max(nearest)
        if rank == 0:
            return _source_of_group(groups[bisect_left(found.group_starts, position)], papers, "paragraph")
        if rank == -1:
            name = found.resolved[bisect_left(found.resolved_starts, position)]
            return ClaimSource("short_name", name.text, name.paper, True, score=name.score, scope="paragraph")
        ref = found.notes[bisect_left(found.note_starts, position)]
        return ClaimSource("note", ref.text, note=ref.target, score=1.0, scope="paragraph")
    unresolved = [n.unresolved for n in found.names[:bisect_left(found.name_starts, end)][:MAX_UNRESOLVED]
                  if not n.paper]
    return ClaimSource("none", unresolved="; ".join(unresolved) or NO_SOURCE.unresolved)
