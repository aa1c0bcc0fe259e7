"""The lines around a copied page's title: kind lines, metadata lines, categories, questions.

People copy pages from the site the seed note comes from. Besides the plain layout (title
first, like the seed) a copy carries lines that are *not* the title, in a few layouts:

- **page copy**: a line of category names run together, the title, the lede, a metadata line
  ``Note · 2026-02-22 · sourced from Training Fine Tuning``, an optional line of related
  questions run together (``RAG How do …? What kind of …?``), then the body;
- **synthesis**: a ``SYNTHESIS NOTE`` kind line, then as a page copy with
  ``Synthesis note · <date> · sourced from …``;
- **topic hub**: ``← All notes``, title, lede, ``Topic Hub · 26 linked notes · 9 sections``,
  ``View as``, then section headings each followed by a count line (``4 notes``) and the
  titles of the notes listed there, and ``Explore related Read →``;
- **inquiring line**: an ``INQUIRING LINE`` kind line (or an ``Inquiring line · …`` metadata
  line) before the question;
- **paper**: ``Paper · arXiv 2406.08464 · Published June 12, 2024`` and a line of tags;
- any of them may end with a ``Source: …`` line after two blank lines.

This module recognises those lines and splits the run-together ones; `plaintext` decides
where they are. All functions are pure, never raise, and cost O(length of the line).

Splitting the category line
---------------------------
The site's category names are Title Case names joined by "and" (or "&"), some with an
Oxford-comma list before it: ``Model Architecture and Internals``, ``Training, RL, and
Test-Time Scaling``. Run together, ``… and Test-Time Scaling Psychology, Society, and
Alignment``, the words between two conjunctions are the *tail* of one name (after its "and")
followed by the *head* of the next (before its "and"). The boundary between them:

1. known site names (`KNOWN_CATEGORIES`) are taken first wherever they occur; the rule below
   splits what lies between them, so unknown names still split;
2. a comma list starts with one word: when the head of the next name holds a comma, the next
   name starts at the first word that carries a comma (``Psychology,``), so the tail keeps
   everything before it (``Test-Time Scaling``);
3. otherwise (no list) the tail is as short as it can be: one word after "and";
4. a boundary never falls after a hyphenated modifier (``Test-Time``, ``Long-Context``: a
   compound not ending in "-ing", which modifies the next word), nor next to a lower-case
   connector (``Theory of Mind``); the boundary moves right (rule 3) or left (rule 2) past them;
5. the last name takes every word after its "and"; words before the first name's comma list
   that cannot belong to it form a name of their own; a line with no conjunction is one name;
   explicit separators (tabs, two spaces, ``·``, ``|``) split first.

Without a conjunction the boundary between two names cannot be seen (``Agents Memory``), so
such runs stay one name; with the rule above every invented name in the site's style splits
as written (see tests/test_page_layouts.py).
"""

from __future__ import annotations

import re
from typing import Literal

from notesgraph.parsing.sentences import split_sentences

PageKind = Literal["note", "synthesis", "hub", "inquiry", "paper"]
PAGE_KINDS: tuple[PageKind, ...] = ("note", "synthesis", "hub", "inquiry", "paper")

KNOWN_CATEGORIES: tuple[str, ...] = (
    "Training, RL, and Test-Time Scaling",
    "Psychology, Society, and Alignment",
    "Reasoning, Retrieval, and Evaluation",
    "Model Architecture and Internals",
)
"""Category names seen on the site; a first pass only (the rule handles names not listed)."""

_KIND_LINES: dict[str, PageKind] = {
    "SYNTHESIS NOTE": "synthesis", "INQUIRING LINE": "inquiry", "TOPIC HUB": "hub",
    "PAPER": "paper", "NOTE": "note",
}
"""Kind lines are written in capitals; a title-case "Paper" line may be a title."""
_BACK_LINK = re.compile(r"(?:←|<-|⟵)\s*(?:Back to\s+)?All notes", re.I)
LAYOUT_MARKERS = re.compile(
    r"^[ \t]*(?:SYNTHESIS NOTE|INQUIRING LINE|(?:←|<-|⟵)\s*(?:Back to\s+)?All notes"
    r"|Topic Hub\s*·\s*\d+ linked notes?\b.*"
    r"|[^\W\d_][\w\-]*(?: [\w\-]+){0,3}\s*·\s*\d{4}-\d{2}-\d{2}(?:\s*·.*)?"
    r"|Paper\s*·\s*arXiv:?\s*\d{4}\.\d{4,5}\b.*)[ \t]*$",
    re.M,
)
"""Lines only a copied page has: kind lines and metadata lines (format detection uses it)."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTHS = ("january february march april may june july august september october november "
           "december").split()
_LONG_DATE = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})")
_ARXIV_FIELD = re.compile(r"arXiv:?\s*(\d{4}\.\d{4,5})(?:v\d+)?", re.I)
_PUBLISHED = re.compile(r"(?:Published|Released)(?:\s+on)?:?\s+(.+)", re.I)
_COUNT_FIELD = re.compile(r"(\d+)\s+(linked notes?|notes?|sections?|sources?|papers?|inquir(?:y|ies))",
                          re.I)
_COUNT_KEYS = {"linked note": "linked_notes", "note": "note_count", "section": "sections",
               "source": "sources", "paper": "paper_count", "inquiry": "inquiry_count",
               "inquirie": "inquiry_count"}
_KIND_FIELD = re.compile(r"[^\W\d_][\w\-]*(?: [\w\-]+){0,3}")
_COUNT_LINE = re.compile(r"\(?(\d+)\)?(?:\s+(?:linked\s+)?notes?)?", re.I)
_SOURCE_LINE = re.compile(r"Source:\s*(.+)", re.I)

_CONJUNCTIONS = frozenset({"and", "&"})
_CONNECTORS = frozenset(
    "a an as at by for from in into of on or over the to under versus vs vs. via with without".split())
_MODIFIER = re.compile(r"[^\W_]+(?:-[^\W_]+)+")
_EXPLICIT_SEPARATORS = re.compile(r"\t+|\s{2,}|\s+[·|•]\s+")
_QUESTION_SPLIT = re.compile(r"(?<=\?)[\"”’)]*\s+(?=[\"“(]?[^\W_])")
_INTERROGATIVES = frozenset(
    "how what why when where which who whom whose whether do does did is are was were can could "
    "should would will shall may might must has have had".split())
_QUESTION_OPENERS = _INTERROGATIVES | {"to", "in", "under", "for", "if", "at", "beyond", "given", "as"}
_SENTENCE_END = re.compile(r"[.!?:;]['\"”’)\]]*$")


# -- kind and metadata lines ------------------------------------------------------------------

def kind_line(line: str) -> PageKind | None:
    """The page kind a whole line names (``SYNTHESIS NOTE``, ``← All notes``), else None."""
    text = " ".join(line.split())
    return "hub" if _BACK_LINK.fullmatch(text) else _KIND_LINES.get(text)


def page_kind_of(kind: str) -> PageKind:
    """The page kind a metadata line's first field names: "Synthesis note" -> synthesis."""
    text = " ".join(kind.split()).casefold()
    if text.startswith("synthesis"):
        return "synthesis"
    if text.startswith(("inquiring", "inquiry")):
        return "inquiry"
    if text.endswith("hub"):
        return "hub"
    if text.startswith("paper"):
        return "paper"
    return "note"


def iso_date(text: str) -> str:
    """``June 12, 2024`` or ``2024-06-12`` as ``2024-06-12``; other text comes back stripped."""
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        return text
    match = _LONG_DATE.fullmatch(text)
    if match:
        month = next((i for i, m in enumerate(_MONTHS, 1) if m.startswith(match.group(1).lower())
                      and len(match.group(1)) >= 3), 0)
        if month:
            return f"{match.group(3)}-{month:02d}-{int(match.group(2)):02d}"
    return text


def metadata_line(line: str) -> dict[str, str] | None:
    """The fields of a metadata line, or None when the line is not one.

    ``Note · 2026-02-22 · sourced from X`` -> kind, date, sourced_from;
    ``Topic Hub · 26 linked notes · 9 sections`` -> kind, linked_notes, sections;
    ``Paper · arXiv 2406.08464 · Published June 12, 2024`` -> kind, arxiv, published (ISO).
    The first field is a kind of one to four words; at least one other field must be one of
    those above (a date, "sourced from", a count, an arXiv id, "Published"), so a sentence
    with a middle dot in it is not metadata. Unrecognised fields are kept under "extra".
    """
    if "·" not in line:
        return None
    fields = [part.strip() for part in line.strip().split("·")]
    if len(fields) < 2 or not _KIND_FIELD.fullmatch(fields[0]):
        return None
    found: dict[str, str] = {"kind": fields[0]}
    recognised = 0
    for part in fields[1:]:
        recognised += 1
        if _ISO_DATE.fullmatch(part) or (_LONG_DATE.fullmatch(part) and iso_date(part) != part):
            found.setdefault("date", iso_date(part))
        elif part.lower().startswith("sourced from"):
            found["sourced_from"] = part[len("sourced from"):].strip()
        elif (arxiv := _ARXIV_FIELD.fullmatch(part)) is not None:
            found["arxiv"] = arxiv.group(1)
        elif (published := _PUBLISHED.fullmatch(part)) is not None:
            found["published"] = iso_date(published.group(1))
        elif (count := _COUNT_FIELD.fullmatch(part)) is not None:
            noun = count.group(2).lower().removesuffix("s")
            found[_COUNT_KEYS[noun]] = count.group(1)
        else:
            recognised -= 1
            found["extra"] = f"{found['extra']} · {part}" if "extra" in found else part
    return found if recognised else None


def count_line(line: str) -> int | None:
    """The number on a hub's count line (``4 notes``, ``1 note``, ``(4)``), else None."""
    match = _COUNT_LINE.fullmatch(line.strip())
    return int(match.group(1)) if match else None


def source_line(line: str) -> str | None:
    """What a ``Source: …`` line names, else None."""
    match = _SOURCE_LINE.fullmatch(line.strip())
    return match.group(1).strip() if match else None


# -- label lines: categories and tags ---------------------------------------------------------

def _is_label_word(word: str) -> bool:
    bare = word.strip(",;()\"'“”")
    return (not bare or bare[0].isupper() or bare[0].isdigit() or bare.lower() in _CONNECTORS
            or bare in _CONJUNCTIONS or bare[0] in "#&")


def is_label_line(line: str) -> bool:
    """Whether a line reads as a run of names (categories, tags): no sentence punctuation at
    its end, at most 40 words, every word capitalised or a connector ("and", "of", "&")."""
    text = line.strip()
    words = text.split()
    return (0 < len(words) <= 40 and not _SENTENCE_END.search(text)
            and all(_is_label_word(w) for w in words))


def is_category_line(line: str) -> bool:
    """A label line that names at least one category: a known one, or a name with "and"."""
    if not is_label_line(line):
        return False
    text = " ".join(line.split())
    return any(name in text for name in KNOWN_CATEGORIES) or any(
        w in _CONJUNCTIONS for w in text.split())


def _boundary_allowed(words: list[str], b: int) -> bool:
    """Whether a name may end before words[b] (see rule 4 in the module docstring)."""
    before, after = words[b - 1], words[b]
    if before.endswith(",") or before.lower() in _CONNECTORS or after.lower() in _CONNECTORS:
        return False
    return not (_MODIFIER.fullmatch(before) and not before.lower().endswith("ing"))


def _next_start(words: list[str], lo: int, hi: int) -> int | None:
    """Where the next name starts among words[lo:hi] (tail of one name + head of the next).

    None when there is no room for both (fewer than two words): the conjunction at `hi`
    then belongs to the same name.
    """
    if hi - lo < 2:
        return None
    comma = next((i for i in range(lo, hi) if words[i].endswith(",")), None)
    if comma is not None and comma > lo:
        for b in range(comma, lo, -1):  # rule 2: the list's first word, moved left if needed
            if _boundary_allowed(words, b):
                return b
        return comma
    for b in range(lo + 1, hi):  # rule 3: the shortest tail
        if _boundary_allowed(words, b):
            return b
    return lo + 1


def _split_by_rule(words: list[str]) -> list[str]:
    if not words:
        return []
    conjunctions = [i for i, w in enumerate(words) if w in _CONJUNCTIONS]
    if not conjunctions:
        return [" ".join(words)]
    names: list[list[str]] = []
    start = 0
    first_comma = next((i for i in range(conjunctions[0]) if words[i].endswith(",")), None)
    if first_comma is not None and first_comma > 0 and _boundary_allowed(words, first_comma):
        names.append(words[:first_comma])  # rule 5: words before the first name's list
        start = first_comma
    for index, conjunction in enumerate(conjunctions):
        if index + 1 == len(conjunctions):
            break
        following = conjunctions[index + 1]
        end = _next_start(words, conjunction + 1, following)
        if end is None or end <= start:
            continue
        names.append(words[start:end])
        start = end
    names.append(words[start:])
    return [" ".join(name).strip(" ,") for name in names if " ".join(name).strip(" ,")]


def split_categories(line: str) -> list[str]:
    """The category names of a run-together category line (rule in the module docstring).

    >>> split_categories("Reasoning, Retrieval, and Evaluation Training, RL, and Test-Time "
    ...                  "Scaling Model Architecture and Internals")
    ['Reasoning, Retrieval, and Evaluation', 'Training, RL, and Test-Time Scaling', 'Model Architecture and Internals']
    >>> split_categories("Data, Benchmarks, and Evaluation Agents and Tool Use")
    ['Data, Benchmarks, and Evaluation', 'Agents and Tool Use']
    """
    names: list[str] = []
    for piece in _EXPLICIT_SEPARATORS.split(line.strip()):
        words = piece.split()
        known: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            for name in KNOWN_CATEGORIES:
                size = len(name.split())
                if " ".join(words[i:i + size]) == name:
                    known.append((i, i + size))
                    i += size
                    break
            else:
                i += 1
        previous = 0
        for start, end in known:
            names.extend(_split_by_rule(words[previous:start]))
            names.append(" ".join(words[start:end]))
            previous = end
        names.extend(_split_by_rule(words[previous:]))
    return list(dict.fromkeys(n for n in names if n))


def split_tags(line: str) -> list[str]:
    """The tags of a paper page's tag line.

    Separated tags (``·``, ``,``, ``|``, ``#``, tabs, two spaces) split there; a run of
    lower-case or hyphenated slugs or acronyms (``alignment data-synthesis RLHF``) splits at
    spaces; a Title Case run splits as a category line does.
    """
    text = line.strip()
    if "#" in text:
        pieces = [p.strip(" ,") for p in text.split("#")]
    elif re.search(r"[·|,\t]|\s{2,}", text):
        pieces = [p.strip() for p in re.split(r"[·|,\t]|\s{2,}", text)]
    elif all(w.islower() or w.isupper() or not w[0].isalpha() for w in text.split()):
        pieces = text.split()
    else:
        pieces = split_categories(text)
    return list(dict.fromkeys(p for p in pieces if p))


def is_tag_line(line: str) -> bool:
    """Whether a line after a paper's metadata line reads as its tags (short, no sentence)."""
    text = line.strip()
    words = text.split()
    if not 0 < len(words) <= 20 or _SENTENCE_END.search(text) or kind_line(text):
        return False
    return text.startswith("#") or all(
        w[:1].isalnum() or w[:1] == "#" or w in ("·", "|", "&") for w in words)


# -- related questions ------------------------------------------------------------------------

def _tag_and_question(chunk: str) -> tuple[str, str]:
    """Split a leading tag word (``RAG How do …?``) from a question; the tag may be empty."""
    words = chunk.split()
    if not words or words[0].lower().strip("\"“(") in _QUESTION_OPENERS:
        return "", chunk
    for i in range(1, min(len(words), 5)):
        word = words[i]
        if word[:1].isupper() and word.lower() in _INTERROGATIVES:
            tag_words = words[:i]
            if all(_is_label_word(w) for w in tag_words) and not any(w.endswith(",") for w in tag_words):
                return " ".join(tag_words), " ".join(words[i:])
            break
    return "", chunk


def split_questions(line: str) -> list[tuple[str, str]] | None:
    """The (tag, question) pairs of a run-together related-questions line, or None.

    The line is a questions line only if it is made of questions and nothing else: it splits
    at each ``?`` followed by space and a capital (a ``?`` inside double quotes does not
    split), and every piece must be one sentence that ends with ``?`` and starts with a
    capital letter. A leading tag word before a capitalised question word (``RAG How do …?``)
    is returned as the tag.

    >>> split_questions("RAG How do retrievers rank? What is a model, really?")
    [('RAG', 'How do retrievers rank?'), ('', 'What is a model, really?')]
    """
    text = " ".join(line.split())
    if not text.endswith("?") or len(text) > 4000:
        return None
    chunks: list[str] = []
    start = 0
    for match in _QUESTION_SPLIT.finditer(text):
        before = text[start:match.start()]
        if before.count('"') % 2 or before.count("“") > before.count("”"):
            continue
        chunks.append(text[start:match.start()].strip())
        start = match.end()
    chunks.append(text[start:].strip())
    pairs: list[tuple[str, str]] = []
    for chunk in chunks:
        bare = chunk.rstrip("\"”’)")
        if not bare.endswith("?") or not chunk[:1].isupper() and chunk[:1] not in "\"“(":
            return None
        if len(split_sentences(bare)) > 1:
            return None  # a statement before the question: prose, not a questions line
        pairs.append(_tag_and_question(bare))
    return pairs


def is_single_question(line: str) -> bool:
    """Whether a line is one question without a tag (what a title looks like)."""
    pairs = split_questions(line)
    return pairs is not None and len(pairs) == 1 and not pairs[0][0] and len(line.split()) <= 40
