"""Quantitative claims: find them in a note's text, pull out their numbers, link each to its source.

A claim is a sentence that states a measured result or a comparison: "A random baseline
achieves 42.6% exact-match versus instruction tuning's 43%", "a 7.5x stronger effect",
"30+ templates ... across 390+ prompts", "from 235M to 175B parameters", "p < 0.01",
"comparable to", "outperforms", "no better than", "far more than". Questions, hypotheticals
("If ...") and sentences whose only numbers are years, arXiv ids, section or list numbers or
model names (GPT-3, LLaMA-2-13B) are not claims.

Each claim keeps where it is (paragraph index into ``(lede, *body)`` and character offsets, so a
reader can highlight it), its quantities (number, unit, what it measures, the compared value)
and its source: the paper named in the same sentence, else the nearest one before it in the
paragraph (a quoted title matched to the note's related papers, an arXiv id, an author-year
citation, or a short name like "the IT Survey" matched with a score), or the note it cites.
A claim with no source says why instead of guessing.

Pure functions over a parsed Note; extracting a note's claims costs O(text length x listed
papers). Rules are regular expressions, not a model, so indexing stays fast and offline.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from notesgraph.claim_links import NOTE_KINDS, link_source, paragraph_sources
from notesgraph.model import (NO_SOURCE, Claim, ClaimSource, Note, PaperRef, Quantity, Reference, Relation,
                              Unit, item_id, normalise_title)
from notesgraph.parsing.sentences import sentence_spans
from notesgraph.store import Store

__all__ = [
    "NO_SOURCE", "Claim", "ClaimNotFound", "ClaimSource", "Quantity", "RunVerdict", "StoredClaim", "claim_from_row",
    "claim_key", "claims_cut_short", "claims_in_paragraph", "comparison_markers", "describe_quantity",
    "describe_source", "describe_statuses", "evidence_status", "experiment_statuses", "extract_claims", "is_claim", "link_source",
    "quantities", "stored_claim", "stored_claims",
]

EvidenceStatus = Literal["untested", "consistent", "inconsistent", "inconclusive", "stale", "mixed"]


# -- detection ------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.@$/])(?<!\w-)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d.]\d)")
_PERCENT = re.compile(r"\s?(?:%|percent\b|per cent\b)")
_MULTIPLIER = re.compile(r"(?:\s?[x×](?![\w])|-fold\b|\s?times\b(?! as\b))")
_SIZE = re.compile(r"\s?(?:([KMBT])(?![\w])|(thousand|million|billion|trillion)\b)")
_SIZE_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12,
               "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_TOKENS_AFTER = re.compile(r"(?:-|\s)(words|tokens|examples|images|documents|sentences)\b")
_P_BEFORE = re.compile(r"\bp\s*(?:<|>|=|≤|≥|<=)\s*$", re.IGNORECASE)
_POINTS = re.compile(r"\s?((?:[\w-]+\s){0,2}?)(?:percentage\s)?points?\b")
_WORD = re.compile(r"[^\W\d][\w’'–-]*")
_NOT_PLURAL = frozenset(
    "is was has this its as us thus plus across less always perhaps does yes was whereas "
    "hypothesis analysis basis its cross process status bias class".split()
)
_LOCATORS = re.compile(
    r"\b(?:section|sections|sec\.?|§|table|tables|figure|figures|fig\.?|appendix|chapter|ch\.?|eq\.?|"
    r"equation|step|part|page|pp?\.|line|version|v|no\.?|item|rule|note|run)\s*$", re.IGNORECASE)
_METRIC = re.compile(
    r"exact[- ]match|accuracy|pass@\d+|\bf1\b|\bbleu\b|\brouge(?:-\w+)?|win rate|error rates?|"
    r"information gain|performance|perplexity|cohen[’']s d|effect size|\bauc\b|success rate|"
    r"solve rate|agreement|recall|precision", re.IGNORECASE)
_COMPARATORS = re.compile(r"\b(?:versus|vs\.?|compared (?:with|to)|against)\s", re.IGNORECASE)
_MARKERS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (name, guards, re.compile(pattern, re.IGNORECASE)) for name, guards, pattern in (
        ("versus", ("versus", "vs."), r"\b(?:versus|vs\.)\s"),
        ("comparable to", ("comparable",), r"\bcomparable(?:\s+\w+)?\s+(?:to|with)\b"),
        ("outperform", ("perform",), r"\b(?:out|under)perform"),
        ("no better than", ("no better", "no worse"), r"\bno (?:better|worse) than\b"),
        ("than", ("than",), r"\b(?:more|less|better|worse|faster|slower|higher|lower|larger|smaller|greater|"
                            r"fewer)\b[^.;:?]{0,50}?\bthan\b(?!\s+(?:like|as)\b)"),
        ("as well as", ("as well", "as fast", "as quickly", "as much", "as good", "as high", "as strongly",
                        "about as", "roughly as", "nearly as", "almost as", "just as", "only as"), r"\b(?:(?:about|roughly|nearly|almost|just|only) as \w+|as (?:well|fast|quickly|"
                                 r"much|good|high|strongly) as\b(?! (?:in|on|the|a|an)\b))"),
        ("matches or beats", ("match", "beat", "surpass", "ahead", "par with", "equivalent", "preferred"),
         r"\b(?:match(?:es|ed)? or (?:beat|surpass)\w*|beat(?:s|en)?|surpass(?:es|ed)?|ahead of|on par with|"
         r"equivalent to|preferred\b[^.;]{0,40}\b(?:to|over)\b)"),
        ("below chance", ("chance",), r"\b(?:below|above|near) chance\b"),
    ))
"""(name, words one of which must be in the sentence before the pattern is tried, pattern)."""


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternative for a set of literal strings, nested by shared prefixes
    ("a(?:bout as|head|s (?:fast|well))"): Python's regex engine tries the alternatives of a
    flat list one by one at every position; nested, it follows one letter at a time, which
    halved the cost of a search that finds nothing (the common case).

    >>> re.fullmatch(_trie_pattern(["as well", "as fast", "ahead", "beat"]), "as fast") is not None
    True
    """
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(tree)


_GUARDS = re.compile(_trie_pattern(g for _, guards, _ in _MARKERS for g in guards))
"""Any guard word: most sentences have none, and skip every marker pattern with one search."""
_EMBEDDED_TITLES = re.compile(r"\[\[[^\[\]\n]*\]\]|(?:^|(?<=[\s,(]))[A-Z][^?!.;:\"“”\n]{10,200}\?(?=\s+[a-z])")
"""Wiki links and question titles used as a subject ("Does X shape Y? showed ..."): masked before
detection, so the comparison words and numbers of a title do not make its sentence a claim."""
_DIGIT = re.compile(r"\d")
_RANGE_DASH = re.compile(r"\s?[–-]\s?(?=\d)")
_NOT_A_CLAIM_START = re.compile(r"^\W*(?:if|whether|suppose|imagine)\b", re.IGNORECASE)


def comparison_markers(sentence: str) -> tuple[str, ...]:
    """The comparison phrases in a sentence ("versus", "comparable to", "than", ...), in rule order."""
    lower = sentence.lower()
    if _GUARDS.search(lower) is None:
        return ()
    return tuple(name for name, guards, pattern in _MARKERS
                 if any(g in lower for g in guards) and pattern.search(sentence))


def is_claim(sentence: str) -> bool:
    """Whether a sentence states a quantitative result or a comparison (see the module docstring).

    >>> is_claim("A random baseline achieves 42.6% exact-match versus instruction tuning's 43%.")
    True
    >>> is_claim("Webson & Pavlick (2021) provide the prompting-level parallel.")
    False
    """
    return _claim_parts(sentence, 0) is not None


def _claim_parts(sentence: str, offset: int, titles: Sequence[tuple[int, int]] = ()
                 ) -> tuple[tuple[Quantity, ...], tuple[str, ...]] | None:
    """(quantities, markers) when `sentence` is a claim, else None; `titles` are spans of
    note titles in the sentence to ignore."""
    stripped = sentence.rstrip(" \"”’')*_]")
    if stripped.endswith("?") or _NOT_A_CLAIM_START.match(sentence):
        return None
    if _DIGIT.search(sentence) is None and _GUARDS.search(sentence.lower()) is None:
        return None  # neither a number nor a comparison word: nothing below can find a claim
    sentence = mask_titles(sentence, titles)
    found = quantities(sentence, offset)
    markers = tuple(m for m in comparison_markers(sentence) if m != "versus" or found)
    if not found and not markers:
        return None
    return found, markers


def mask_titles(sentence: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    """The sentence with embedded note titles, wiki links and the given (start, end) spans
    blanked out, same length so offsets hold."""
    if not spans and "?" not in sentence and "[[" not in sentence:
        return sentence
    chars = list(_EMBEDDED_TITLES.sub(lambda m: " " * len(m.group(0)), sentence))
    for start, end in spans:
        chars[max(0, start):max(0, end)] = " " * (max(0, end) - max(0, start))
    return "".join(chars)


def quantities(sentence: str, offset: int = 0) -> tuple[Quantity, ...]:
    """The structured numbers of a sentence; `offset` is added to positions (the sentence's
    start in its paragraph). Years, arXiv ids, list and section numbers, model-name digits
    (GPT-3, LLaMA-2-13B) and bare integers with nothing counted after them are left out.

    >>> [(q.value, q.unit, q.measure, q.compared_to) for q in quantities("42.6% exact-match versus 43%")]
    [(42.6, 'percent', 'exact-match', 43.0), (43.0, 'percent', 'exact-match', 42.6)]
    """
    if _DIGIT.search(sentence) is None:
        return ()
    found: list[Quantity] = []
    for match in _NUMBER.finditer(sentence):
        quantity = _classify(sentence, match)
        if quantity is not None:
            found.append(quantity)
    return tuple(q.__class__(**{**q.__dict__, "start": q.start + offset, "end": q.end + offset})
                 for q in _relate(sentence, found))


def _classify(text: str, match: re.Match[str]) -> Quantity | None:
    whole, fraction = match.group(1), match.group(2) or ""
    start, end = match.start(), match.end()
    if len(whole) == 4 and (len(fraction) in (5, 6) or (not fraction and text[end:end + 1] in ");,]")):
        return None  # an arXiv id (2309.01809) or a citation's year: (2021), (Wang et al., 2025; ...)
    value = float(whole.replace(",", "") + fraction)
    before = text[max(0, start - 12):start]
    window = text[max(0, start - 6):start]
    if ("p" in window or "P" in window) and _P_BEFORE.search(window):
        op = text.rfind("p", 0, start)
        return Quantity(value, "p_value", text[op:end], op, end, "p-value")
    if _LOCATORS.search(before) or _is_list_number(text, start, end):
        return None
    # Patterns match at `end` in place: a copy of the rest of the text per number made a long
    # sentence quadratic.
    if unit_match := _PERCENT.match(text, end):
        end = unit_match.end()
        return _with_measure(text, Quantity(value, "percent", text[start:end], start, end))
    if unit_match := _MULTIPLIER.match(text, end):
        end = unit_match.end()
        return _with_measure(text, Quantity(value, "multiplier", text[start:end], start, end))
    if (unit_match := _SIZE.match(text, end)) is not None:
        scale = _SIZE_SCALE[unit_match.group(1) or unit_match.group(2)]
        end = unit_match.end()
        counted = _TOKENS_AFTER.match(text, end)
        if counted:
            return Quantity(value * scale, "count", text[start:end], start, end, counted.group(1))
        return Quantity(value * scale, "parameters", text[start:end], start, end, "parameters")
    if text.startswith("+", end):
        end += 1
        return Quantity(value, "count", text[start:end], start, end, _counted(text, end), at_least=True)
    if (dash := _RANGE_DASH.match(text, end)) and (upper := _NUMBER.match(text, dash.end())):
        other = _classify(text, upper)  # "80–90%", "7–13B": the unit is written once, at the end
        if other is not None and other.unit in ("percent", "multiplier", "parameters", "points"):
            scale = other.value / float(upper.group(1).replace(",", "") + (upper.group(2) or ""))
            return Quantity(value * scale, other.unit, text[start:end], start, end, other.measure)
    if (points := _POINTS.match(text, end)) is not None:
        end = points.end()
        measure = points.group(1).strip() or _metric_near(text, start, end)
        return Quantity(value, "points", text[start:end], start, end, measure)
    noun = _counted(text, end)
    if noun:
        return Quantity(value, "count", text[start:end], start, end, noun)
    if fraction and not _after_name(text, start):
        return _with_measure(text, Quantity(value, "number", text[start:end], start, end))
    return None


def _is_list_number(text: str, start: int, end: int) -> bool:
    """'1.' or '2)' opening the sentence is a list marker."""
    return _LEADING_SPACE.match(text).end() >= start and text[end:end + 1] in (".", ")") \
        and text[end + 1:end + 2] in (" ", "")


_LEADING_SPACE = re.compile(r"\s*")
_NAME_REACH = 64
"""How far back `_after_name` looks for the word before a number (names are shorter)."""


def _after_name(text: str, start: int) -> bool:
    """A decimal right after a capitalised word is a version or model name ("Llama 3.1")."""
    words = text[max(0, start - _NAME_REACH):start].split()  # not all of a long text before it
    return bool(words) and words[-1][:1].isupper() and words[-1].isalpha()


def _counted(text: str, end: int) -> str:
    """What an integer counts: the words up to the first plural noun within four words
    ("13 sets of target words" -> "sets of target words"), or '' when nothing is counted."""
    words: list[str] = []
    position = end
    for _ in range(4):
        match = _WORD.match(text, position + 1) if text[position:position + 1] in (" ", "\u00a0") else None
        if match is None:
            return ""
        word = match.group(0)
        words.append(word)
        position = match.end()
        lower = word.lower()
        if len(lower) > 3 and lower.endswith("s") and lower not in _NOT_PLURAL and not lower.endswith("ss"):
            tail = re.match(r" of ((?:[\w-]+ ){0,2}?[\w-]+s)\b", text[position:])
            return " ".join(words) + (f" of {tail.group(1)}" if tail else "")
    return ""


def _metric_near(text: str, start: int, end: int) -> str:
    """A metric named just after the number, else the last one before it in the same clause."""
    after = _METRIC.search(text, end, min(len(text), end + 25))
    if after is not None and not re.search(r"[;,]|\d", text[end:after.start()]):
        return after.group(0)
    reach = max(0, start - 60)
    clause_start = max(text.rfind(c, reach, start) for c in ";:—") + 1
    before = [m for m in _METRIC.finditer(text, max(clause_start, reach), start)]
    return before[-1].group(0) if before else ""


def _with_measure(text: str, quantity: Quantity) -> Quantity:
    measure = _metric_near(text, quantity.start, quantity.end)
    return quantity if not measure else Quantity(**{**quantity.__dict__, "measure": measure})


def _relate(sentence: str, found: list[Quantity]) -> list[Quantity]:
    """Pair neighbouring quantities joined by "versus" or by a range ("from X to Y", "80–90%"):
    each side gets the other's value, and a side without a unit or measure takes the other's."""
    result = list(found)
    for i in range(len(result) - 1):
        left, right = result[i], result[i + 1]
        between = sentence[left.end:right.start]
        if re.fullmatch(r"\s*(?:[–-]|to)\s*", between) or (
                re.search(r"\bfrom\s+$", sentence[max(0, left.start - 8):left.start])
                and re.fullmatch(r"[^.;]{0,30}?\bto\s+", between)):
            relation: Relation = "range"
        elif _COMPARATORS.search(between) and len(between) <= 60:
            relation = "versus"
        else:
            continue
        unit = right.unit if left.unit == "number" else left.unit
        measure = left.measure or right.measure
        result[i] = _joined(left, right, relation, unit, measure)
        result[i + 1] = _joined(right, left, relation, right.unit if right.unit != "number" else unit, measure)
    return result


def _joined(quantity: Quantity, other: Quantity, relation: Relation, unit: Unit, measure: str) -> Quantity:
    fields = {**quantity.__dict__, "compared_to": other.value, "relation": relation, "measure": measure}
    if quantity.unit == "number":
        fields["unit"] = unit
    return Quantity(**fields)


# -- a note's claims --------------------------------------------------------------------------

def claim_key(note_key: str, sentence: str, occurrence: int = 0) -> str:
    """A claim's stable identity: its note's title key, its normalised text and which
    occurrence of that text it is. 16 hex digits."""
    digest = hashlib.sha256(f"{note_key}\n{normalise_title(sentence)}\n{occurrence}".encode()).hexdigest()
    return digest[:16]


_NOT_PROSE = re.compile(r"\]\([^)\n]{0,1000}\)|<?https?://[^\s>)\]]+|`[^`\n]*`|<code>.{0,500}?</code>|"
                        r"</?[A-Za-z][^<>\n]*>")
"""Link destinations, bare URLs, code spans and HTML tags: their numbers and words are not what
the note claims ("?page=2", "v1.2.3", `k=5`, <code>12.0</code>). Lengths are bounded so that
a line of thousands of unclosed "](" or "<code>" stays linear."""
_HTML_BLOCK = re.compile(r" {0,3}<(?:[A-Za-z][\w-]*[\s/>]|/[A-Za-z]|!--)")
"""A paragraph opening with an HTML tag is an HTML block (CommonMark): markup such as a table
of values, not sentences."""


def _prose(paragraph: str) -> str:
    """The paragraph with `_NOT_PROSE` blanked out, same length so offsets hold; all blank for
    an HTML block."""
    if _HTML_BLOCK.match(paragraph):
        return " " * len(paragraph)
    if "](" not in paragraph and "://" not in paragraph and "`" not in paragraph and "<" not in paragraph:
        return paragraph
    return _NOT_PROSE.sub(lambda m: " " * len(m.group()), paragraph)


MAX_SENTENCE = 2_000
"""Characters beyond which a "sentence" is not read for claims: the longest claim in the notes
the tests have is 942; a file that is one run-on line of numbers took minutes."""


def claims_in_paragraph(paragraph: str, index: int, refs: Sequence[Reference] = (),
                        papers: Sequence[PaperRef] = (), note_key: str = "",
                        seen: dict[str, int] | None = None) -> list[Claim]:
    """The claims of one paragraph with sources; `refs` are this paragraph's references."""
    seen = {} if seen is None else seen
    found: list[Claim] = []
    prose = _prose(paragraph)
    if _DIGIT.search(prose) is None and _GUARDS.search(prose.lower()) is None:
        return found  # a claim needs a number or a comparison word: most vault paragraphs have neither
    sources = None
    note_refs = sorted((r for r in refs if r.kind in NOTE_KINDS), key=lambda r: r.start)
    note_starts = [r.start for r in note_refs]
    for start, end in sentence_spans(paragraph):
        if end - start > MAX_SENTENCE:
            continue  # a table or a dump run together, not a sentence someone wrote
        sentence = paragraph[start:end]
        titles = [(r.start - start, r.end - start)
                  for r in note_refs[bisect_left(note_starts, start):bisect_left(note_starts, end)]]
        parts = _claim_parts(prose[start:end], start, titles)
        if parts is None:
            continue
        numbers, markers = parts
        text_key = normalise_title(sentence)
        occurrence = seen.get(text_key, 0)
        seen[text_key] = occurrence + 1
        sources = sources or paragraph_sources(paragraph, refs, papers)
        source = link_source(paragraph, start, end, refs, papers, numbers[0].start if numbers else None, sources)
        found.append(Claim(claim_key(note_key, sentence, occurrence), sentence, index, start, end,
                           numbers, markers, source))
    return found


MAX_CLAIM_TEXT = 500_000
"""Characters of a note read for claims (the seed note has 17,000): past them a note is a dump,
and its claims would cost seconds more per file for nothing a reader would use."""


def extract_claims(note: Note) -> tuple[Claim, ...]:
    """Every claim in the note's lede and body (the first MAX_CLAIM_TEXT characters; see
    `claims_cut_short`), in reading order, each linked to its source. Uses the references
    the parser found; costs O(text x listed papers)."""
    by_paragraph: dict[int, list[Reference]] = {}
    for ref in note.references:
        by_paragraph.setdefault(ref.paragraph, []).append(ref)
    seen: dict[str, int] = {}
    found: list[Claim] = []
    paragraphs = (note.lede, *note.body)
    stop = claims_cut_short(note)
    for index, paragraph in enumerate(paragraphs[:stop] if stop >= 0 else paragraphs):
        found.extend(claims_in_paragraph(paragraph, index, by_paragraph.get(index, ()), note.papers,
                                         note.key, seen))
    return tuple(found)


def claims_cut_short(note: Note) -> int:
    """The paragraph (index into lede and body) where `extract_claims` stopped reading, or -1
    when it read the whole note."""
    read = 0
    for index, paragraph in enumerate((note.lede, *note.body)):
        read += len(paragraph)
        if read > MAX_CLAIM_TEXT:
            return index
    return -1


# -- evidence ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunVerdict:
    """The outcome of one finished replication run of a claim (from notesgraph.experiments'
    runs): its primary verdict, when it finished, the note's content hash it checked, and the
    experiment that ran."""

    claim_key: str
    verdict: Literal["consistent", "inconsistent", "inconclusive"]
    finished_at: str
    note_hash: str
    experiment: str = ""


def experiment_statuses(runs: Sequence[RunVerdict], note_hash: str) -> dict[str, EvidenceStatus]:
    """Each experiment's say on a claim: the verdict of its latest finished run, or "stale"
    when the note's text changed since that run. By experiment name. O(runs).

    >>> experiment_statuses([RunVerdict("k", "consistent", "1", "h", "a"), RunVerdict("k", "inconsistent", "2", "h", "a"),
    ...                      RunVerdict("k", "consistent", "1", "old", "b")], "h")
    {'a': 'inconsistent', 'b': 'stale'}
    """
    latest: dict[str, RunVerdict] = {}
    for run in runs:
        if run.experiment not in latest or run.finished_at >= latest[run.experiment].finished_at:  # ties: the later run
            latest[run.experiment] = run
    return {name: ("stale" if run.note_hash != note_hash else run.verdict) for name, run in sorted(latest.items())}


def describe_statuses(stored: StoredClaim) -> str:
    """Each experiment's say on a claim ("a: consistent; b: stale"), '' when fewer than two
    experiments have spoken (then the status says it all)."""
    if len(stored.statuses) < 2:
        return ""
    return "; ".join(f"{name}: {status}" for name, status in stored.statuses)


def evidence_status(runs: Sequence[RunVerdict], note_hash: str) -> EvidenceStatus:
    """A claim's one evidence status over every experiment that tested it: "untested" with no
    finished run; the verdict they agree on (each experiment's latest run counts once, so a
    claim no longer shows whichever run finished last); "mixed" when they disagree; "stale"
    when every verdict is from an older version of the note (a stale verdict does not count
    against a current one).

    This is the hook the experiment runner plugs into (`stored_claims` feeds it the verdicts of
    the runs linked to the claim). O(runs).

    >>> evidence_status([], "abc")
    'untested'
    >>> evidence_status([RunVerdict("k", "consistent", "2026-01-02", "old")], "new")
    'stale'
    >>> evidence_status([RunVerdict("k", "consistent", "2", "h", "a"), RunVerdict("k", "inconsistent", "1", "h", "b")], "h")
    'mixed'
    """
    statuses = experiment_statuses(runs, note_hash)
    if not statuses:
        return "untested"
    current = {status for status in statuses.values() if status != "stale"}
    if not current:
        return "stale"
    return current.pop() if len(current) == 1 else "mixed"


# -- stored claims ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredClaim:
    """A claim as the store holds it, with what the graph and the app need around it.

    ``item`` is its id across the app ("claim:12"); ``paper_id`` is the paper row its source
    resolves to (None for a citation of a paper the note does not list); ``source_note_id`` the
    note it cites, when indexed. ``replications`` names the experiments run on it (any status);
    ``status`` comes from `evidence_status`.
    """

    id: int
    note_id: int
    note_title: str
    claim: Claim
    paper_id: int | None
    source_note_id: int | None
    status: EvidenceStatus
    replications: tuple[str, ...] = ()
    statuses: tuple[tuple[str, EvidenceStatus], ...] = ()
    """(experiment, its latest verdict or "stale") for each experiment with a finished run:
    what `status` summarises."""

    @property
    def item(self) -> str:
        return item_id("claim", self.id)


def claim_from_row(row: dict[str, Any]) -> Claim:
    """Rebuild a Claim from a `Store.claim_rows` row."""
    source = ClaimSource(row["source_kind"], row["source_text"], row["paper"], row["listed"], row["citation"],
                         row["arxiv"], row["source_note"], row["link_score"], row["link_scope"], row["unresolved"])
    return Claim(row["key"], row["text"], row["paragraph"], row["start"], row["end"],
                 tuple(Quantity(**q) for q in row["quantities"]), tuple(row["markers"]), source)


def stored_claims(store: Store, note_ids: Iterable[int] | None = None) -> list[StoredClaim]:
    """The stored claims of every note (or of `note_ids`), by note title then text order, each
    with the experiments run on it and its evidence status from their finished runs (see
    notesgraph.experiments; `--quick` runs count only while no full run has finished). Two
    queries; O(claims + run links)."""
    runs = store.claim_run_verdicts()
    found = []
    for row in store.claim_rows(note_ids):
        tested = runs.get(row["key"], [])
        verdicts = _counted_verdicts(row["key"], tested)
        found.append(StoredClaim(row["id"], row["note_id"], row["note_title"], claim_from_row(row), row["paper_id"],
                                 row["source_note_id"], evidence_status(verdicts, row["note_hash"]),
                                 tuple(dict.fromkeys(experiment for experiment, *_ in tested)),
                                 tuple(experiment_statuses(verdicts, row["note_hash"]).items())))
    return found


def _counted_verdicts(key: str, tested: Sequence[tuple[str, str, str, str, bool, str]]) -> list[RunVerdict]:
    """The finished runs that speak for each experiment: those of the version its latest
    finished run has (a new version is a new design: older verdicts are not mixed in), and of
    those its full runs, or its `--quick` ones while it has no finished full run."""
    by_experiment: dict[str, list[tuple[bool, str, RunVerdict]]] = {}
    for experiment, verdict, at, digest, quick, version in tested:
        if verdict:
            by_experiment.setdefault(experiment, []).append(
                (quick, version, RunVerdict(key, verdict, at, digest, experiment)))  # type: ignore[arg-type]
    counted: list[RunVerdict] = []
    for finished in by_experiment.values():
        latest, current = "", ""
        for _, version, run in finished:  # rows come in run order: on a tie the later run wins
            if run.finished_at >= latest:
                latest, current = run.finished_at, version
        same = [(quick, run) for quick, version, run in finished if version == current]
        counted += [run for quick, run in same if not quick] or [run for _, run in same]
    return counted


class ClaimNotFound(LookupError):
    """No stored claim has this id (gone, or re-indexing its note gave its claims new ids)."""


def stored_claim(store: Store, claim_id: int) -> StoredClaim:
    """The stored claim with this id, as `stored_claims` gives it: the one way to find a claim by
    id (the CLI's and the app's runs, the app's claim panel). Raises ClaimNotFound. Three queries."""
    note_id = store.claim_note_id(claim_id)
    found = [c for c in stored_claims(store, [note_id]) if c.id == claim_id] if note_id is not None else []
    if not found:
        raise ClaimNotFound(f"there is no claim:{claim_id}")
    return found[0]


_UNIT_SUFFIX = {"percent": "%", "multiplier": "x", "points": " points", "p_value": ""}


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 1e4 else f"{value:g}"


def describe_value(value: float, unit: Unit) -> str:
    """A value written back the way a reader expects: 42.6%, 7.5x, 175B, 1,000."""
    if unit == "parameters":
        for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if value >= scale:
                return f"{value / scale:g}{suffix}"
    return _number(value) + _UNIT_SUFFIX.get(unit, "")


def describe_quantity(quantity: Quantity) -> str:
    """One line for a quantity: value, unit, what it measures and the compared value.

    >>> describe_quantity(Quantity(42.6, "percent", "42.6%", 0, 5, "exact-match", 43.0, "versus"))
    '42.6% exact-match (percent; versus 43%)'
    """
    shown = ("p " + quantity.text.lstrip("pP ").strip()) if quantity.unit == "p_value" else (
        describe_value(quantity.value, quantity.unit) + ("+" if quantity.at_least else ""))
    other = ""
    if quantity.compared_to is not None:
        word = "versus" if quantity.relation == "versus" else "range with"
        other = f"; {word} {describe_value(quantity.compared_to, quantity.unit)}"
    measure = f" {quantity.measure}" if quantity.measure else ""
    return f"{shown}{measure} ({quantity.unit.replace('_', '-')}{other})"


def describe_source(source: ClaimSource) -> str:
    """Where the claim comes from, in words, or why that is not known."""
    if source.kind == "none":
        return f"unresolved: {source.unresolved}"
    where = "in the sentence" if source.scope == "sentence" else "earlier in the paragraph"
    if source.kind == "note":
        return f"note: {source.note} (cited {where})"
    details = [d for d in (source.citation if source.citation != source.label else "",
                           f"arXiv:{source.arxiv}" if source.arxiv and source.label != f"arXiv:{source.arxiv}" else "")
               if d]
    how = {"quoted_title": "quoted title", "arxiv": "arXiv id", "author_year": "citation", "doi": "DOI",
           "short_name": f"short name {source.text!r}, score {source.score:.2f}"}[source.kind]
    listed = "listed paper" if source.listed else "not in the note's related papers"
    return f"paper: {source.label}" + (f" [{', '.join(details)}]" if details else "") + f" ({listed}; {how} {where})"
