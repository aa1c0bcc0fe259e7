"""A reference manager's export -> library entries: BibTeX (bibtexparser 2), CSL-JSON, RIS (rispy).

What Zotero, Better BibTeX, Mendeley or a hand-kept `.bib` export, read with well-kept parsers;
this module only maps their fields onto one `LibraryEntry` and reports what it could not read
with the file, the line and the reason, so one bad entry never stops the rest. Pure functions
over a file's text; O(file size).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

LIBRARY_FORMATS = {".bib": "bibtex", ".bibtex": "bibtex", ".json": "csl-json", ".ris": "ris"}
"""File name ending -> format; `parse_library` also takes a format by name."""

_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?!\d)")
_ARXIV_OLD = re.compile(r"\b([a-z][a-z.\-]+/\d{7})(?:v\d+)?\b", re.I)
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+[^\s.,;)\]}])")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_BRACES = re.compile(r"[{}]")


class LibraryFileError(ValueError):
    """The file as a whole cannot be read (not found, not UTF-8, not JSON, unknown format)."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True)
class LibraryProblem:
    """An entry that was not imported: where it is and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class LibraryEntry:
    """One paper of the user's library, whatever format it came from.

    ``authors`` are (family name, given names); ``bibtex`` is the entry's text as imported from
    a `.bib` file (what `notesgraph cite` writes back), empty for the other formats (generated
    from the fields then). ``line`` is where the entry starts (1-based).
    """

    title: str
    citation_key: str = ""
    entry_type: str = "misc"
    authors: tuple[tuple[str, str], ...] = ()
    year: int | None = None
    venue: str = ""
    doi: str = ""
    arxiv: str = ""
    url: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    bibtex: str = ""
    source: str = ""
    line: int = 0


def normalise_doi(text: str) -> str:
    """A DOI without its resolver prefix, lower-cased (DOIs are case-insensitive).

    >>> normalise_doi("https://doi.org/10.18653/V1/2022.naacl-main.167")
    '10.18653/v1/2022.naacl-main.167'
    """
    found = _DOI.search(text.strip())
    return found.group(1).lower() if found else ""


def find_arxiv_id(*texts: str) -> str:
    """The first arXiv id in any of `texts` (an eprint field, a URL, a 10.48550 DOI, a journal
    line such as "arXiv preprint arXiv:2109.01247"), without its version; '' when none.

    >>> find_arxiv_id("", "https://arxiv.org/abs/2109.01247v2")
    '2109.01247'
    """
    for text in texts:
        if not text:
            continue
        found = _ARXIV_NEW.search(text)
        if found:
            return found.group(1)
        if "arxiv" in text.lower():
            old = _ARXIV_OLD.search(text)
            if old:
                return old.group(1)
    return ""


def plain_text(value: str) -> str:
    """A BibTeX value as a reader sees it: LaTeX accents and braces gone, white space single."""
    if "\\" in value:
        from pylatexenc.latex2text import LatexNodes2Text  # bibtexparser's own LaTeX decoder

        value = LatexNodes2Text().latex_to_text(value)
    return " ".join(_BRACES.sub("", value).split())


def _year(*texts: Any) -> int | None:
    for text in texts:
        found = _YEAR.search(str(text)) if text not in (None, "") else None
        if found:
            return int(found.group(1))
    return None


def _split_keywords(value: Any) -> tuple[str, ...]:
    parts = value if isinstance(value, list) else re.split(r"[;,]", str(value or ""))
    return tuple(p for p in (plain_text(str(x)) for x in parts) if p)


def _person(name: str) -> tuple[str, str]:
    """'Webson, Albert' or 'Albert Webson' -> ('Webson', 'Albert'); '{Big Science}' stays whole."""
    from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

    if name.strip().lower() == "others":  # BibTeX's "and others": more authors, unnamed (et al.)
        return "others", ""
    if name.strip().startswith("{") and name.strip().endswith("}"):
        return plain_text(name), ""
    try:
        parts = parse_single_name_into_parts(name.strip())
    except InvalidNameError:
        return plain_text(name), ""
    family = " ".join(parts.von + parts.last + ([", " + " ".join(parts.jr)] if parts.jr else []))
    return plain_text(family), plain_text(" ".join(parts.first))


# -- BibTeX ------------------------------------------------------------------------------------

def _bibtex_entries(text: str, path: str) -> Iterator[LibraryEntry | LibraryProblem]:
    import bibtexparser
    from bibtexparser.middlewares.names import split_multiple_persons_names

    splitter_log = logging.getLogger("bibtexparser.splitter")  # we report failed blocks ourselves
    level = splitter_log.level
    splitter_log.setLevel(logging.ERROR)
    try:
        library = bibtexparser.parse_string(text)
    finally:
        splitter_log.setLevel(level)
    blocks = sorted([*library.entries, *library.failed_blocks], key=lambda b: b.start_line)
    for block in blocks:
        line = block.start_line + 1
        error = getattr(block, "error", None)
        if error is not None:
            reason = " ".join((getattr(error, "abort_reason", "") or str(error) or "not valid BibTeX").split())
            reason = f"@{block.raw.lstrip()[1:].split('{')[0].strip().lower()} entry not readable: {reason}" \
                if block.raw.lstrip().startswith("@") and "Duplicate" not in reason else reason
            if "Duplicate entry key" in reason:
                reason += " (the first entry with that key was imported)"
            yield LibraryProblem(path, line, reason)
            continue
        fields = {key.lower(): str(f.value) for key, f in block.fields_dict.items()}
        title = plain_text(fields.get("title", ""))
        if not title:
            yield LibraryProblem(path, line, f"@{block.entry_type}{{{block.key}: no title")
            continue
        authors = tuple(_person(n) for n in split_multiple_persons_names(fields.get("author", ""))
                        if n.strip())
        eprint = fields.get("eprint", "") if "arxiv" in (fields.get("archiveprefix", "") +
                                                         fields.get("eprinttype", "")).lower() else ""
        arxiv = find_arxiv_id(eprint, fields.get("doi", "") if "48550" in fields.get("doi", "") else "",
                              fields.get("url", "") if "arxiv" in fields.get("url", "") else "",
                              fields.get("journal", "") if "arxiv" in fields.get("journal", "").lower() else "",
                              fields.get("note", "") if "arxiv" in fields.get("note", "").lower() else "")
        yield LibraryEntry(
            title=title, citation_key=block.key, entry_type=block.entry_type.lower(), authors=authors,
            year=_year(fields.get("year"), fields.get("date")),
            venue=plain_text(fields.get("journal") or fields.get("booktitle") or fields.get("journaltitle")
                             or fields.get("howpublished") or ""),
            doi=normalise_doi(fields.get("doi", "")), arxiv=arxiv, url=fields.get("url", "").strip(),
            abstract=plain_text(fields.get("abstract", "")), keywords=_split_keywords(fields.get("keywords")),
            bibtex=block.raw.strip(), source=path, line=line)


# -- CSL-JSON ----------------------------------------------------------------------------------

def _json_items(text: str, path: str) -> Iterator[tuple[int, Any]]:
    """(line, item) of each element of a JSON array (or of a single object), found with
    raw_decode so each item keeps its line; LibraryFileError when the JSON is broken."""
    decoder = json.JSONDecoder()
    line_of = lambda offset: text.count("\n", 0, offset) + 1  # noqa: E731
    at = len(text) - len(text.lstrip())
    try:
        if text[at:at + 1] == "{":
            item, _ = decoder.raw_decode(text, at)
            yield line_of(at), item
            return
        if text[at:at + 1] != "[":
            raise LibraryFileError(path, line_of(at), "CSL-JSON must be a JSON array of items")
        at += 1
        while True:
            at += len(text[at:]) - len(text[at:].lstrip())
            if text[at:at + 1] == "]":
                return
            item, end = decoder.raw_decode(text, at)
            yield line_of(at), item
            at = end + len(text[end:]) - len(text[end:].lstrip())
            if text[at:at + 1] == ",":
                at += 1
            elif text[at:at + 1] != "]":
                raise LibraryFileError(path, line_of(at), "expected ',' or ']' between CSL-JSON items")
    except json.JSONDecodeError as error:
        raise LibraryFileError(path, error.lineno, f"not valid JSON: {error.msg}") from None


def _csl_entries(text: str, path: str) -> Iterator[LibraryEntry | LibraryProblem]:
    for line, item in _json_items(text, path):
        if not isinstance(item, dict):
            yield LibraryProblem(path, line, f"a CSL-JSON item must be an object, not {type(item).__name__}")
            continue
        title = plain_text(str(item.get("title") or ""))
        if not title:
            yield LibraryProblem(path, line, f"item {item.get('id', '?')!r}: no title")
            continue
        authors = tuple((str(a.get("family") or a.get("literal") or ""), str(a.get("given") or ""))
                        for a in item.get("author") or [] if isinstance(a, dict))
        issued = item.get("issued") or {}
        parts = issued.get("date-parts") if isinstance(issued, dict) else None
        url, doi = str(item.get("URL") or ""), normalise_doi(str(item.get("DOI") or ""))
        number = str(item.get("number") or "")
        yield LibraryEntry(
            title=title, citation_key=str(item.get("id") or item.get("citation-key") or ""),
            entry_type=str(item.get("type") or "misc"), authors=tuple(a for a in authors if a[0]),
            year=_year(parts[0][0] if parts and parts[0] else "", issued.get("raw", "") if isinstance(issued, dict) else ""),
            venue=str(item.get("container-title") or item.get("publisher") or ""), doi=doi,
            arxiv=find_arxiv_id(doi if "48550" in doi else "", url if "arxiv" in url else "",
                                number if "arxiv" in str(item.get("publisher", "")).lower() else ""),
            url=url, abstract=plain_text(str(item.get("abstract") or "")),
            keywords=_split_keywords(item.get("keyword")), source=path, line=line)


# -- RIS ---------------------------------------------------------------------------------------

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")


def _ris_records(text: str, path: str) -> Iterator[tuple[int, str] | LibraryProblem]:
    """(first line, text) of each TY ... ER record; lines outside a record are problems."""
    start, lines = 0, []
    for number, line in enumerate(text.splitlines(), 1):
        tag = _RIS_TAG.match(line)
        if tag and tag.group(1) == "TY":
            if lines:
                yield LibraryProblem(path, start, "record has no 'ER  -' line before the next 'TY  -'")
            start, lines = number, [line]
        elif lines:
            lines.append(line)
            if tag and tag.group(1) == "ER":
                yield start, "\n".join(lines) + "\n"
                lines = []
        elif line.strip():
            yield LibraryProblem(path, number, "text outside a 'TY  -' ... 'ER  -' record")
    if lines:
        yield LibraryProblem(path, start, "record has no 'ER  -' line (the file ends inside it)")


def _ris_entries(text: str, path: str) -> Iterator[LibraryEntry | LibraryProblem]:
    import rispy

    for record in _ris_records(text, path):
        if isinstance(record, LibraryProblem):
            yield record
            continue
        line, body = record
        try:
            (fields,) = rispy.loads(body)
        except Exception as error:  # rispy raises plain IOError/ValueError subclasses
            yield LibraryProblem(path, line, f"not a readable RIS record: {error}")
            continue
        title = plain_text(str(fields.get("title") or fields.get("primary_title") or ""))
        if not title:
            yield LibraryProblem(path, line, "record has no title (TI or T1)")
            continue
        urls = [str(u) for u in fields.get("urls") or []]
        names = [*(fields.get("authors") or []), *(fields.get("first_authors") or [])]
        doi = normalise_doi(str(fields.get("doi") or ""))
        yield LibraryEntry(
            title=title, citation_key=str(fields.get("id") or ""),
            entry_type=str(fields.get("type_of_reference") or "GEN").lower(),
            authors=tuple(_person(str(n)) for n in names if str(n).strip()),
            year=_year(fields.get("year"), fields.get("publication_year"), fields.get("date")),
            venue=str(fields.get("journal_name") or fields.get("secondary_title") or fields.get("alternate_title3")
                      or fields.get("publisher") or ""),
            doi=doi, arxiv=find_arxiv_id(doi if "48550" in doi else "", *[u for u in urls if "arxiv" in u]),
            url=urls[0] if urls else "", abstract=plain_text(str(fields.get("abstract") or "")),
            keywords=_split_keywords(fields.get("keywords")), source=path, line=line)


# -- the entry points --------------------------------------------------------------------------

_READERS = {"bibtex": _bibtex_entries, "csl-json": _csl_entries, "ris": _ris_entries}


def library_format(path: Path | str) -> str:
    """The format of a library file by its name ending; LibraryFileError for an unknown one."""
    suffix = Path(path).suffix.lower()
    if suffix not in LIBRARY_FORMATS:
        raise LibraryFileError(str(path), 0, f"unknown library format {suffix or '(no ending)'!r}: "
                               "export BibTeX (.bib), CSL-JSON (.json) or RIS (.ris)")
    return LIBRARY_FORMATS[suffix]


def parse_library_text(text: str, path: str, fmt: str) -> tuple[list[LibraryEntry], list[LibraryProblem]]:
    """The entries of a library file's text and the problems met, in file order. Entries
    without a citation key get one (family name of the first author, year, first title word)."""
    entries: list[LibraryEntry] = []
    problems: list[LibraryProblem] = []
    for found in _READERS[fmt](text.lstrip("\ufeff"), path):
        if isinstance(found, LibraryProblem):
            problems.append(found)
        else:
            entries.append(found if found.citation_key else replace(found, citation_key=make_citation_key(found)))
    return entries, problems


def parse_library(path: Path | str) -> tuple[list[LibraryEntry], list[LibraryProblem]]:
    """Read a BibTeX, CSL-JSON or RIS file (chosen by its ending). LibraryFileError when the
    file cannot be read at all; per-entry problems come back with the entries."""
    fmt = library_format(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LibraryFileError(str(path), 0, f"cannot read it: {error}") from None
    return parse_library_text(text, str(path), fmt)


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def make_citation_key(entry: LibraryEntry) -> str:
    """A BibTeX key for an entry that has none: 'webson2021prompt' style.

    >>> make_citation_key(LibraryEntry("Do Prompt-Based Models Understand?", authors=(("Webson", "A"),), year=2021))
    'webson2021prompt'
    """
    family = _ascii_word(entry.authors[0][0]) if entry.authors else "anon"
    words = [w for w in (_ascii_word(w) for w in re.split(r"[\s\-/]+", entry.title))
             if len(w) > 3 and w not in {"with", "from", "that", "their"}]
    return f"{family or 'anon'}{entry.year or ''}{words[0] if words else ''}"


def _bibtex_value(text: str) -> str:
    return "{" + text.replace("{", "(").replace("}", ")") + "}"


def entry_bibtex(entry: LibraryEntry) -> str:
    """The entry's BibTeX: as imported from a .bib file, else written from its fields."""
    if entry.bibtex:
        return entry.bibtex
    kind = {"article-journal": "article", "jour": "article", "paper-conference": "inproceedings",
            "conf": "inproceedings", "cpaper": "inproceedings", "book": "book"}.get(entry.entry_type, "misc")
    fields: list[tuple[str, str]] = [("title", entry.title)]
    if entry.authors:
        fields.append(("author", " and ".join(f"{f}, {g}" if g else f for f, g in entry.authors)))
    if entry.year:
        fields.append(("year", str(entry.year)))
    if entry.venue:
        fields.append(({"article": "journal", "inproceedings": "booktitle"}.get(kind, "howpublished"), entry.venue))
    for name, value in (("doi", entry.doi), ("eprint", entry.arxiv), ("url", entry.url),
                        ("keywords", ", ".join(entry.keywords)), ("abstract", entry.abstract)):
        if value:
            fields.append((name, value))
    if entry.arxiv:
        fields.append(("archiveprefix", "arXiv"))
    body = ",\n".join(f"  {name} = {_bibtex_value(value)}" for name, value in fields)
    return f"@{kind}{{{entry.citation_key},\n{body}\n}}"


def misc_bibtex(key: str, title: str) -> str:
    """A paper with no library entry, as BibTeX: `@misc` with its title only."""
    return f"@misc{{{key},\n  title = {_bibtex_value(title)}\n}}"


def short_authors(authors: Sequence[Sequence[str]]) -> str:
    """How a citation names the authors: "Webson & Pavlick", "Min et al." (BibTeX's "and
    others" counts as more authors), "" for none.

    >>> short_authors([("Lee", "Seongyun"), ("others", "")])
    'Lee et al.'
    """
    if not authors:
        return ""
    if len(authors) > 2 or any(a[0] == "others" for a in authors[1:]):
        return f"{authors[0][0]} et al."
    return " & ".join(a[0] for a in authors)


def family_names(authors: Iterable[tuple[str, str]]) -> list[str]:
    """The family names, folded for comparison (accents and case dropped)."""
    return [_ascii_word(family) for family, _ in authors]


_CITATION = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>\d{4})[a-z]?\)$")


def citation_parts(text: str) -> tuple[list[str], bool, int] | None:
    """An author-year citation as the parser writes it ("Webson & Pavlick (2021)", "Min et al.
    (2022)", "Shum, Diao & Zhang (2023)") -> (folded family names, et al., year); None if not one.

    >>> citation_parts("Min et al. (2022)")
    (['min'], True, 2022)
    """
    found = _CITATION.match(text.strip())
    if found is None:
        return None
    authors = found.group("authors")
    et_al = bool(re.search(r"\bet\s+al\b", authors))
    authors = re.sub(r"\s+et\s+al\.?", "", authors)
    names = [_ascii_word(n) for n in re.split(r",|&|\band\b", authors) if n.strip()]
    return [n for n in names if n], et_al, int(found.group("year"))


def entry_years(year: int | None, arxiv: str) -> set[int]:
    """The years a paper may be cited by: its publication year and, for an arXiv paper, the
    year of its preprint (2109.01247 -> 2021), which notes often cite instead.

    >>> sorted(entry_years(2022, "2109.01247"))
    [2021, 2022]
    """
    years = {year} if year else set()
    if _ARXIV_NEW.fullmatch(arxiv or ""):
        years.add(2000 + int(arxiv[:2]))
    return years


def cites_entry(text: str, families: Sequence[str], years: set[int]) -> bool:
    """Whether the author-year citation `text` names an entry with these folded family names
    (in author order) and years (see `entry_years`): the year is one of them, the named authors
    come first in that order, and with "et al." more authors follow (without it, exactly those).

    >>> cites_entry("Webson & Pavlick (2021)", ["webson", "pavlick"], {2021, 2022})
    True
    """
    parts = citation_parts(text)
    if parts is None:
        return False
    names, et_al, cited_year = parts
    if cited_year not in years or not names or list(families[:len(names)]) != names:
        return False
    return len(families) > len(names) if et_al else len(families) == len(names)
