"""The reference library (migration 6): paper metadata and authors, citations resolved through
it, and the paper-to-paper rows (co-citation, shared authors) the graph draws.

Entries hang off `papers` rows: a paper a note lists gets its metadata when an entry is matched
to it (notesgraph.library decides the match); an entry no note cites yet gets a paper row of
its own, which `prune_orphans` keeps while the entry exists.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from notesgraph.model import normalise_title
from notesgraph.parsing.library import LibraryEntry, citation_parts, cites_entry, entry_years, family_names
from notesgraph.store.connection import StoreConnection, _now

CITATION_KINDS = ("author_year", "arxiv", "doi")
"""In-body reference kinds that name a paper without its title: resolved through the library."""
MIN_COCITATIONS = 2


def cocitation_rows(note_papers: np.ndarray) -> list[tuple[int, int, str, int]]:
    """(paper id, larger paper id, "cocited", notes listing both) for each pair of papers at
    least MIN_COCITATIONS notes list, from (note id, paper id, ...) rows, each (note, paper)
    once: what `paper_edge_rows`' self-join counts. Pairs made by offset within each note's
    run of papers, so O(rows x the most papers one note lists), all in numpy."""
    if not len(note_papers):
        return []
    notes, papers = note_papers[:, 0].astype(np.int64), note_papers[:, 1].astype(np.int64)
    order = np.lexsort((papers, notes))
    notes, papers = notes[order], papers[order]
    width = int(papers.max()) + 1
    pairs = []
    for offset in range(1, len(notes)):
        same = notes[offset:] == notes[:-offset]
        if not same.any():
            break
        pairs.append(papers[:-offset][same] * width + papers[offset:][same])
    if not pairs:
        return []
    keys, counts = np.unique(np.concatenate(pairs), return_counts=True)
    kept = counts >= MIN_COCITATIONS
    return [(a, b, "cocited", n) for a, b, n in zip((keys[kept] // width).tolist(), (keys[kept] % width).tolist(),
                                                    counts[kept].tolist())]
"""Two papers are co-cited when at least this many notes list both: one note listing both is
already drawn by that note's two `cites` edges."""
_ADJACENT = 8
"""Characters between a quoted title and the arXiv id after it for the id to be that paper's."""


def author_key(family: str, given: str) -> str:
    """What shared authors are matched on: the folded family name and the first initial
    ("Ellie Pavlick" -> "pavlick e"); two people of one name and initial are one author here."""
    initial = next((c for c in given if c.isalpha()), "")
    return f"{family_names([(family, '')])[0]} {initial.lower()}".strip()


class LibraryTables(StoreConnection):
    """Paper metadata from the user's library (migration 6)."""

    # -- what matching needs -------------------------------------------------------------------

    def library_index(self) -> list[dict[str, Any]]:
        """paper_id, citation_key, doi, arxiv, source of every entry: what re-import keys on."""
        return self.rows("SELECT paper_id, citation_key, doi, arxiv, source FROM paper_entries")

    def cited_papers(self) -> list[tuple[int, str, str]]:
        """(id, key, title) of every paper some note lists."""
        self.sync_derived()  # type: ignore[attr-defined]
        return self.db.execute("SELECT id, key, title FROM papers WHERE id IN (SELECT paper_id FROM paper_notes)"
                               " ORDER BY id").fetchall()

    def ids_in_notes(self) -> dict[tuple[str, str], int]:
        """("arxiv" or "doi", id) -> paper id, where a note writes the id right after a quoted
        title that is one of its listed papers (`"Title" (2109.01247)`). O(those references)."""
        rows = self.db.execute(
            "SELECT r.note_id, r.kind, r.text, r.target, r.paragraph, r.start, r.\"end\", p.id FROM note_references r"
            " LEFT JOIN papers p ON r.kind = 'quoted_title' AND p.key = r.target_key"
            " WHERE (r.kind = 'quoted_title' AND r.target != '') OR r.kind IN ('arxiv', 'doi')"
            " ORDER BY r.note_id, r.paragraph, r.start").fetchall()
        found: dict[tuple[str, str], int] = {}
        for before, after in zip(rows, rows[1:]):
            if before[1] == "quoted_title" and after[1] != "quoted_title" and before[0] == after[0] and \
                    before[4] == after[4] and 0 <= after[5] - before[6] <= _ADJACENT and before[7] is not None:
                found.setdefault((after[1], after[2]), before[7])
        return found

    # -- writing -------------------------------------------------------------------------------

    def save_library(self, source: str, matched: Sequence[tuple[int | None, LibraryEntry, str]]) -> list[int]:
        """Write the entries of one library file in one transaction: each (paper id or None for
        a new paper, entry, how it matched). Entries this file gave before and no longer has are
        dropped (their papers stay). Returns the paper ids, in order."""
        ids: list[int] = []
        with self.transaction() as conn:
            for paper_id, entry, match in matched:
                ids.append(self._save_entry(conn, paper_id, entry, match))
            conn.execute("DELETE FROM paper_entries WHERE source = ? AND paper_id NOT IN"
                         " (SELECT value FROM json_each(?))", [source, json.dumps(ids)])
        getattr(self, "_id_cache", {}).clear()
        return ids

    def _save_entry(self, conn: sqlite3.Connection, paper_id: int | None, entry: LibraryEntry, match: str) -> int:
        if paper_id is None:
            key = normalise_title(entry.title)
            row = conn.execute("SELECT id FROM papers WHERE key = ?", [key]).fetchone()
            paper_id = row[0] if row else conn.execute(
                "INSERT INTO papers (key, title) VALUES (?, ?)", [key, entry.title]).lastrowid
        elif conn.execute("SELECT 1 FROM paper_notes WHERE paper_id = ?", [paper_id]).fetchone() is None:
            # A paper only the library has takes the entry's title when that changes (if free).
            conn.execute("UPDATE OR IGNORE papers SET key = ?, title = ? WHERE id = ?",
                         [normalise_title(entry.title), entry.title, paper_id])
        conn.execute("INSERT OR REPLACE INTO paper_entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            paper_id, entry.citation_key, entry.entry_type, entry.title, json.dumps(entry.authors),
            entry.year, entry.venue, entry.doi, entry.arxiv, entry.url, entry.abstract,
            json.dumps(entry.keywords), entry.bibtex, entry.source, entry.line, match, _now()])
        conn.execute("DELETE FROM paper_authors WHERE paper_id = ?", [paper_id])
        conn.executemany("INSERT INTO paper_authors VALUES (?,?,?,?,?)",
                         [(paper_id, i, f, g, author_key(f, g)) for i, (f, g) in enumerate(entry.authors, 1)
                          if (f, g) != ("others", "")])
        return paper_id

    # -- reading -------------------------------------------------------------------------------

    def paper_entry(self, paper_id: int) -> LibraryEntry | None:
        """The library entry of a paper, or None when it has none."""
        rows = self.rows("SELECT * FROM paper_entries WHERE paper_id = ?", [paper_id])
        return _entry(rows[0]) if rows else None

    def paper_entries(self, paper_ids: Iterable[int] | None = None) -> dict[int, LibraryEntry]:
        """paper id -> entry for `paper_ids` (default: every entry)."""
        if paper_ids is None:
            rows = self.rows("SELECT * FROM paper_entries")
        else:
            rows = self.rows("SELECT * FROM paper_entries WHERE paper_id IN (SELECT value FROM json_each(?))",
                             [json.dumps(list(paper_ids))])
        return {row["paper_id"]: _entry(row) for row in rows}

    def paper_page(self, paper_id: int) -> dict[str, Any]:
        """A paper as its reader page shows it: `Store.paper` (title, the notes listing it) plus
        its library `entry` (or None), the papers `cocited` with it (id, title, count: notes
        listing both) and those it `shares_authors` with (id, title, count). KeyError if none."""
        page = self.paper(paper_id)  # type: ignore[attr-defined]
        page["entry"] = self.paper_entry(paper_id)
        for name, kind in (("cocited", "cocited"), ("shares_authors", "shares_author")):
            others = [(b if a == paper_id else a, count) for a, b, k, count in self.paper_edge_rows(paper_id)
                      if k == kind]
            titles = dict(self.db.execute("SELECT id, title FROM papers WHERE id IN (SELECT value FROM json_each(?))",
                                          [json.dumps([o for o, _ in others])]).fetchall())
            page[name] = sorted(({"id": o, "title": titles[o], "count": c} for o, c in others if o in titles),
                                key=lambda r: (-r["count"], r["title"].casefold()))
        return page

    def library_paper_rows(self) -> list[tuple[int, str, str]]:
        """(id, key, title) of the papers that have a library entry."""
        return self.db.execute("SELECT p.id, p.key, p.title FROM papers p JOIN paper_entries e ON e.paper_id = p.id"
                               " ORDER BY p.id").fetchall()

    def papers_by_year(self) -> list[dict[str, Any]]:
        """Every paper with its year, venue, first author, citation key and how many notes list
        it: the Papers view, newest first, then most cited."""
        self.sync_derived()  # type: ignore[attr-defined]
        return self.rows(
            "SELECT p.id, p.title, e.year, coalesce(e.venue, '') AS venue, coalesce(e.authors, '[]') AS authors,"
            " coalesce(e.citation_key, '') AS citation_key, e.paper_id IS NOT NULL AS in_library,"
            " coalesce((SELECT c.notes FROM paper_counts c WHERE c.paper_id = p.id), 0) AS notes"
            " FROM papers p LEFT JOIN paper_entries e ON e.paper_id = p.id"
            " ORDER BY e.year IS NULL, e.year DESC, notes DESC, p.title COLLATE NOCASE")

    def paper_edge_rows(self, paper_id: int | None = None,
                        note_papers: np.ndarray | None = None) -> list[tuple[int, int, str, int]]:
        """(paper id, paper id, kind, count) with the smaller id first: `cocited` when at least
        MIN_COCITATIONS notes list both papers (count: how many), `shares_author` when their
        entries share authors (count: how many); all of them, or those of one paper. Self-joins
        along the primary keys (note_papers by note, paper_authors by author): O(sum over notes
        of papers^2 + sum over authors of papers^2); ~0.5 s at 3,000 generated notes (busy machine).
        All of them with `note_papers` (every (note id, paper id, ...) row, as
        `graph_link_arrays` reads them): the co-citations are counted from those arrays
        (`cocitation_rows`, ~0.3 s at 100k notes against ~3 s for the self-join)."""
        if paper_id is None:
            cocited = (cocitation_rows(note_papers) if note_papers is not None else self.db.execute(
                "SELECT a.paper_id, b.paper_id, 'cocited', count(*) FROM note_papers a JOIN note_papers b"
                " ON b.note_id = a.note_id AND b.paper_id > a.paper_id GROUP BY a.paper_id, b.paper_id"
                " HAVING count(*) >= ?", [MIN_COCITATIONS]).fetchall())
            shared = self.db.execute(
                "SELECT a.paper_id, b.paper_id, 'shares_author', count(DISTINCT a.author_key) FROM paper_authors a"
                " JOIN paper_authors b ON b.author_key = a.author_key AND b.paper_id > a.paper_id"
                " WHERE a.author_key != '' GROUP BY a.paper_id, b.paper_id").fetchall()
            return sorted(cocited + shared)
        cocited = self.db.execute(
            "SELECT b.paper_id, count(*) FROM note_papers a JOIN note_papers b ON b.note_id = a.note_id"
            " AND b.paper_id != a.paper_id WHERE a.paper_id = ? GROUP BY b.paper_id HAVING count(*) >= ?",
            [paper_id, MIN_COCITATIONS]).fetchall()
        shared = self.db.execute(
            "SELECT b.paper_id, count(DISTINCT a.author_key) FROM paper_authors a JOIN paper_authors b"
            " ON b.author_key = a.author_key AND b.paper_id != a.paper_id WHERE a.paper_id = ?"
            " AND a.author_key != '' GROUP BY b.paper_id", [paper_id]).fetchall()
        return sorted([(min(paper_id, o), max(paper_id, o), "cocited", n) for o, n in cocited]
                      + [(min(paper_id, o), max(paper_id, o), "shares_author", n) for o, n in shared])

    # -- citations through the library ----------------------------------------------------------

    def resolve_citations(self) -> int:
        """Give author-year, arXiv and DOI citations a paper through the library: in-body
        references get the paper's title as target, and claims whose source is such a citation
        get that paper (listed when their note lists it). When several entries fit (two "Wei et
        al. (2022)"), the ones the note lists are kept, then the one whose title and abstract
        share the most words with the paragraph, if one shares more than the rest; else the
        citation stays unresolved. Runs after each index and import; returns how many claims
        changed. O(entries + unresolved citations), entries found by id or by first author and year."""
        entries = self.paper_entries()
        if not entries:
            return 0
        authors = {pid: family_names(e.authors) for pid, e in entries.items()}
        years = {pid: entry_years(e.year, e.arxiv) for pid, e in entries.items()}
        lookup: dict[tuple[str, str], list[int]] = {}  # ("arxiv", id), ("doi", id), ("author_year", "name year")
        for pid, entry in entries.items():
            keys = [("arxiv", entry.arxiv), ("doi", entry.doi)]
            keys += [("author_year", f"{authors[pid][0]} {year}") for year in years[pid] if authors[pid]]
            for key in keys:
                if key[1]:
                    lookup.setdefault(key, []).append(pid)
        listed = {(n, p) for n, p in self.db.execute("SELECT note_id, paper_id FROM note_papers")}
        titles = dict(self.db.execute("SELECT id, title FROM papers WHERE id IN (SELECT paper_id FROM paper_entries)"))

        def paper_for(note_id: int, kind: str, text: str, paragraph: str) -> int | None:
            if kind == "author_year":
                parts = citation_parts(text)
                key = f"{parts[0][0]} {parts[2]}" if parts and parts[0] else ""
                found = [p for p in lookup.get((kind, key), ()) if cites_entry(text, authors[p], years[p])]
            else:
                found = list(lookup.get((kind, text.lower() if kind == "doi" else text), ()))
            if len(found) > 1:
                found = [p for p in found if (note_id, p) in listed] or found
            if len(found) > 1:
                found = _most_words_shared(paragraph, {p: f"{titles[p]} {entries[p].abstract}" for p in found})
            return found[0] if len(found) == 1 else None

        with self.transaction() as conn:
            refs = conn.execute(
                "SELECT r.rowid, r.note_id, r.kind, r.text, coalesce(g.text, '') FROM note_references r"
                " LEFT JOIN paragraphs g ON g.note_id = r.note_id AND g.position = r.paragraph"
                f" WHERE r.target = '' AND r.kind IN {CITATION_KINDS}").fetchall()
            for rowid, note_id, kind, text, paragraph in refs:
                paper = paper_for(note_id, kind, text, paragraph)
                if paper is not None:
                    conn.execute("UPDATE note_references SET target = ?, target_key = ? WHERE rowid = ?",
                                 [titles[paper], normalise_title(titles[paper]), rowid])
            # A claim's citation is a reference of its paragraph: it takes what that resolved to.
            changed = conn.execute(
                "UPDATE claims SET paper = r.target, paper_key = r.target_key, listed = EXISTS (SELECT 1"
                " FROM note_papers np JOIN papers p ON p.id = np.paper_id WHERE np.note_id = claims.note_id"
                " AND p.key = r.target_key) FROM note_references r WHERE claims.listed = 0 AND claims.paper = ''"
                " AND r.note_id = claims.note_id AND r.paragraph = claims.paragraph AND r.target != ''"
                " AND ((claims.arxiv != '' AND r.kind = 'arxiv' AND r.text = claims.arxiv) OR (claims.arxiv = ''"
                " AND ((r.kind = 'author_year' AND r.text = claims.citation)"
                " OR (r.kind = 'doi' AND 'doi:' || r.text = claims.citation))))").rowcount
        return changed


_WORD = re.compile(r"[a-z0-9]{4,}")


def _most_words_shared(paragraph: str, texts: dict[int, str]) -> list[int]:
    """The one key whose text shares the most words (4+ letters) with `paragraph`, if it shares
    strictly more than every other; else all keys (still ambiguous)."""
    words = set(_WORD.findall(paragraph.lower()))
    scored = sorted(((len(words & set(_WORD.findall(text.lower()))), key) for key, text in texts.items()),
                    reverse=True)
    return [scored[0][1]] if scored[0][0] > scored[1][0] else list(texts)


def _entry(row: dict[str, Any]) -> LibraryEntry:
    return LibraryEntry(
        title=row["title"], citation_key=row["citation_key"], entry_type=row["entry_type"],
        authors=tuple(tuple(a) for a in json.loads(row["authors"])), year=row["year"], venue=row["venue"],
        doi=row["doi"], arxiv=row["arxiv"], url=row["url"], abstract=row["abstract"],
        keywords=tuple(json.loads(row["keywords"])), bibtex=row["bibtex"], source=row["source"], line=row["line"])
