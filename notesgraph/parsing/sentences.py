"""Split paragraph text into sentences, keeping character offsets.

Research prose is hostile to naive splitting: decimals (42.6%), abbreviations ("e.g.",
"et al.", "vs."), quoted paper titles that end in a question mark ("Do Models Really Learn
to Follow Instructions?" creates ...) and note titles used as the subject of a sentence
("Does X shape Y? showed ...") must not end a sentence. The rules, in order:

- a line break always ends a sentence (list items, Markdown lines);
- otherwise a sentence ends at ``.``, ``!`` or ``?`` (with closing quotes or brackets after
  it) followed by white space and a capital letter, a digit, an opening quote, ``[`` or
  ``*`` — so a lower-case word after a question mark continues the sentence;
- ``?`` and ``!`` inside double quotes never end a sentence (titles); a ``.`` inside quotes
  does only when the quote closes right after it;
- a ``.`` after a known abbreviation, an initial (``A.``) or a dotted acronym does not.

Pure functions; O(length of the text).
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[.!?]+([\"”’')\]*_]*)[ \t]+(?=[\"“‘(\[*\w])")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")
ABBREVIATIONS = frozenset(
    "e.g i.e al vs cf approx fig figs eq eqs sec secs no nos ca resp incl viz mr mrs ms dr "
    "prof st jr sr inc ltd co dept est vol pp ch tab app".split()
)
"""Words that end in a period without ending the sentence (lower-cased, final dot dropped)."""
_OPENERS = "\"“‘[*"


def _is_abbreviation(text: str, period: int) -> bool:
    word = text[max(text.rfind(" ", 0, period), text.rfind("\t", 0, period)) + 1:period].lstrip("([\"“")
    if not word:
        return False
    if word.lower() in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    return bool(_DOTTED.fullmatch(word)) and "." in word  # "U.S", "e.g"


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, white space trimmed, in order.

    >>> text = 'A baseline gets 42.6% (e.g. on RTE) vs. 43%. "Is It ICL?" asks why. Done'
    >>> [text[s:e] for s, e in sentence_spans(text)]
    ['A baseline gets 42.6% (e.g. on RTE) vs. 43%.', '"Is It ICL?" asks why.', 'Done']
    """
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        _split_line(line, line_start, spans)
        line_start += len(line) + 1
    return spans


def _split_line(line: str, offset: int, spans: list[tuple[int, int]]) -> None:
    start = 0
    # Quotes opened since `start`, counted up to `counted`: kept running, so a line of many
    # rejected boundaries ("e.g. A e.g. A ...") stays linear.
    counted, straight, opened, closed = 0, 0, 0, 0
    for match in _BOUNDARY.finditer(line):
        punct_end = match.start(1)
        mark = line[punct_end - 1]
        closers = match.group(1)
        next_char = line[match.end()]
        if not _starts_sentence(next_char):
            continue
        here = match.start()
        straight += line.count('"', counted, here)
        opened += line.count("“", counted, here)
        closed += line.count("”", counted, here)
        counted = here
        inside_quote = straight % 2 == 1 or opened > closed
        if inside_quote and (mark in "?!" or not any(q in closers for q in "\"”")):
            continue
        if mark == "." and _is_abbreviation(line, here):
            continue
        if _is_list_marker(line, start, here):
            continue
        _add(line, offset, start, punct_end + len(closers), spans)
        start = counted = match.end()
        straight = opened = closed = 0
    _add(line, offset, start, len(line), spans)


def _is_list_marker(line: str, start: int, period: int) -> bool:
    """A bare number before the period ('1. **Order.**') is a list marker, not a sentence."""
    return period - start <= 12 and line[start:period].strip().isdigit()


def _add(line: str, offset: int, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = line[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    spans.append((offset + start + lead, offset + start + lead + len(stripped)))


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` (see `sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]
