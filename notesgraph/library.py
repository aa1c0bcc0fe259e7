"""The user's reference library: importing it (matched to the papers notes cite) and citing out.

`import_library` reads a BibTeX, CSL-JSON or RIS export (notesgraph.parsing.library), updates
entries already imported in place (by citation key, DOI or arXiv id), matches new ones to the
papers notes list (by DOI or arXiv id written next to the title in a note, then by normalised
title, then by a close title match whose score is reported), and keeps the rest as papers no note
cites yet. `bibtex_for` writes the BibTeX of papers (entries as imported, others as @misc).
The CLI and the app call these same functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from notesgraph.model import normalise_title
from notesgraph.parsing.library import (
    LibraryEntry,
    LibraryProblem,
    entry_bibtex,
    misc_bibtex,
    parse_library,
)
from notesgraph.store import Store

CLOSE_TITLE_SCORE = 90.0
"""rapidfuzz token_sort_ratio (0-100) of two normalised titles at or above which an entry is
taken for a paper a note lists: catches a changed word or spelling ("modeling" / "modelling"),
not a different paper of a similar name (those score in the 60s-80s)."""


@dataclass(frozen=True)
class EntryMatch:
    """How one imported entry was joined to a paper."""

    citation_key: str
    title: str
    paper_id: int
    paper_title: str
    how: str
    """"doi", "arxiv", "title", "close title" (see score), "" (no note cites it yet)."""
    score: float = 100.0
    updated: bool = False


@dataclass
class LibraryImport:
    """What `import_library` did."""

    path: str
    matches: list[EntryMatch] = field(default_factory=list)
    problems: list[LibraryProblem] = field(default_factory=list)
    removed: int = 0
    citations_resolved: int = 0

    @property
    def added(self) -> int:
        return sum(not m.updated for m in self.matches)

    @property
    def updated(self) -> int:
        return sum(m.updated for m in self.matches)

    @property
    def matched(self) -> int:
        return sum(bool(m.how) for m in self.matches)


def _close_title(title: str, cited: dict[str, tuple[int, str]]) -> tuple[int, str, float] | None:
    from rapidfuzz import fuzz, process

    found = process.extractOne(normalise_title(title), list(cited), scorer=fuzz.token_sort_ratio,
                               score_cutoff=CLOSE_TITLE_SCORE)
    if found is None:
        return None
    paper_id, paper_title = cited[found[0]]
    return paper_id, paper_title, round(float(found[1]), 1)


def _match_cited(entry: LibraryEntry, cited: dict[str, tuple[int, str]],
                 by_id: dict[tuple[str, str], int]) -> tuple[int, str, float] | None:
    """(paper id, how, score) of the paper notes cite that `entry` is, or None."""
    for kind, ident in (("doi", entry.doi), ("arxiv", entry.arxiv)):
        if ident and (kind, ident) in by_id:
            return by_id[(kind, ident)], kind, 100.0
    exact = cited.get(normalise_title(entry.title))
    if exact is not None:
        return exact[0], "title", 100.0
    close = _close_title(entry.title, cited)
    return (close[0], "close title", close[2]) if close else None


def import_library(store: Store, path: Path | str) -> LibraryImport:
    """Import (or re-import) a library file into `store`; see the module docstring. Entries
    that cannot be read are reported with file, line and reason, and the rest import. Raises
    LibraryFileError when the file as a whole cannot be read (nothing changes then). The
    entries are written in one transaction; O(entries x cited papers) for the close titles."""
    entries, problems = parse_library(path)
    source = str(Path(path).resolve())
    report = LibraryImport(str(path), problems=list(problems))
    known = store.library_index()
    before = {row["citation_key"] for row in known if row["source"] == source}
    by_key = {row["citation_key"]: row["paper_id"] for row in known if row["citation_key"]}
    by_key_ids = {(kind, row[kind]): row["paper_id"] for row in known for kind in ("doi", "arxiv") if row[kind]}
    cited = {key: (ident, title) for ident, key, title in store.cited_papers()}
    by_id = store.ids_in_notes()
    taken: dict[int | str, LibraryEntry] = {}  # paper id, or the title key of a paper to be made
    rows: list[tuple[int | None, LibraryEntry, str, float, bool]] = []
    for entry in entries:
        entry = replace(entry, source=source)
        existing = by_key.get(entry.citation_key) or by_key_ids.get(("doi", entry.doi)) or \
            by_key_ids.get(("arxiv", entry.arxiv))
        paper_id, how, score = _match_cited(entry, cited, by_id) or (existing, "", 100.0)
        slot = normalise_title(entry.title) if paper_id is None else paper_id
        if slot in taken:
            other = taken[slot]
            report.problems.append(LibraryProblem(str(path), entry.line, (
                f"{entry.citation_key}: the same paper as {other.citation_key} (line {other.line}); "
                "kept the first")))
            continue
        rows.append((paper_id, entry, how, score, existing is not None))
        taken[slot] = entry
    ids = store.save_library(source, [(p, e, f"{how} {score:g}" if how == "close title" else how)
                                      for p, e, how, score, _ in rows])
    paper_titles = dict(store.db.execute("SELECT id, title FROM papers WHERE id IN (SELECT value FROM json_each(?))",
                                         [json.dumps(ids)]).fetchall())
    report.matches = [EntryMatch(entry.citation_key, entry.title, ident, paper_titles[ident], how, score, updated)
                      for ident, (_, entry, how, score, updated) in zip(ids, rows)]
    report.removed = len(before - {row[1].citation_key for row in rows})
    report.citations_resolved = store.resolve_citations()
    report.problems.sort(key=lambda p: p.line)
    return report


def bibtex_for(store: Store, paper_ids: Iterable[int]) -> str:
    """The BibTeX of these papers, one entry each in the order given (duplicates once):
    a library entry as imported (or written from its fields), a paper without one as @misc
    with its title and a key made from it."""
    ordered = list(dict.fromkeys(paper_ids))
    entries = store.paper_entries(ordered)
    titles = dict(store.db.execute("SELECT id, title FROM papers WHERE id IN (SELECT value FROM json_each(?))",
                                   [json.dumps(ordered)]).fetchall())
    out: list[str] = []
    for paper_id in ordered:
        if paper_id in entries:
            out.append(entry_bibtex(entries[paper_id]))
        elif paper_id in titles:
            words = normalise_title(titles[paper_id]).split()
            out.append(misc_bibtex("paper" + str(paper_id) + "".join(w[:1] for w in words[:6]), titles[paper_id]))
    return "\n\n".join(out) + ("\n" if out else "")


def papers_for(store: Store, item: str, depth: int | None = None) -> list[int]:
    """The papers to cite for an item: with no `depth`, a paper itself or the papers a note lists
    (in its order); with `depth`, every paper within that many steps of the item in the graph
    (nearest and strongest first, no node cap). O(neighbourhood) plus building the graph."""
    kind, ident = item.split(":", 1)
    if depth is None:
        if kind == "paper":
            return [int(ident)]
        if kind == "note":
            return [p["id"] for p in store.note(int(ident))["papers"]]
        depth = 1
    from notesgraph.graph import build_graph, node_of_item
    from notesgraph.graph_queries import neighbourhood

    graph = build_graph(store)
    around = neighbourhood(graph, node_of_item(graph, item), depth, max_nodes=None)
    return [int(hit.node.split(":", 1)[1]) for hit in around.hits if graph.nodes[hit.node].get("kind") == "paper"]
