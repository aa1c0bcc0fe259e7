"""Notes and their files: writing a parsed note (with its sections and claims) in one
transaction, recording problem files, the derived full-text and inquiry/paper lookups, and
every read of notes, inquiries, papers, concepts, search and counts.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from notesgraph.model import Claim, Note, normalise_title
from notesgraph.parsing.obsidian_links import shown_text
from notesgraph.store.claims import insert_claims
from notesgraph.store.connection import StoreConnection, _now


def _target_key(target: str) -> str:
    """The normalised name a reference's target is looked up by (its last path part)."""
    return normalise_title(target.rstrip("/").rsplit("/", 1)[-1]) if target else ""


_MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")


def readable_snippet(snippet: str) -> str:
    """A search snippet as a reader sees the text: links as their shown text ("[[a|b]]" -> "b",
    "[t](url)" -> "t"), white space collapsed to single spaces (no line breaks mid-snippet),
    and the matched words in [brackets] (marked \\x02 ... \\x03 by the query)."""
    text = _MARKDOWN_LINK.sub(r"\1", shown_text(snippet))  # wiki links as Obsidian shows them
    text = text.replace("[[", "").replace("]]", "").replace("**", "").replace("__", "")  # a cut link, bold
    text = " ".join(text.split())
    return text.replace("\x02", "[").replace("\x03", "]")


_NAMED = "SELECT key FROM notes UNION SELECT stem_key FROM notes"
"""The keys a concept resolves to a note by: a note's title or its file's name."""


PAGE_ITEMS: dict[str, tuple[str, str]] = {"inquiry": ("inquiries", "text"), "paper": ("papers", "title")}
"""Page kinds (the parser's metadata["page_kind"]) that are an item's own page: (table, text column)."""
PAGE_KEYS = "SELECT key FROM notes WHERE json_extract(metadata, '$.page_kind') = '{kind}'"
"""The title keys of the notes that are pages of an inquiry or a paper."""

@dataclass(frozen=True)
class FileRecord:
    """What the store remembers about one indexed file."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    note_id: int | None


SYNC_CHUNK = 500
"""Pending notes `sync_derived` adds to full-text search per transaction: ~0.1-0.5 s of holding
the write lock each, well inside another writer's busy timeout (5 s). One transaction for the
10k notes an older notesgraph may have left pending held it past that."""


def _sync_notes(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """Add the pending notes among `ids` to full-text search and the inquiry/paper -> notes
    lookups, inside the caller's transaction; returns how many notes. O(their text)."""
    chosen = "SELECT value FROM json_each(?)"
    param = [json.dumps(list(ids))]
    count = conn.execute("INSERT INTO notes_fts (rowid, title, lede, body) SELECT id, title, lede, body"
                         f" FROM notes WHERE synced = 0 AND id IN ({chosen})", param).rowcount
    for lookup, counts, source, column in (("inquiry_notes", "inquiry_counts", "note_inquiries", "inquiry_id"),
                                           ("paper_notes", "paper_counts", "note_papers", "paper_id")):
        # the pairs not yet in the lookup, so each count grows by exactly what was added
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS new_pairs_{column} (id INTEGER, note_id INTEGER)")
        conn.execute(f"DELETE FROM temp.new_pairs_{column}")
        conn.execute(f"INSERT INTO temp.new_pairs_{column} SELECT DISTINCT s.{column}, s.note_id FROM {source} s"
                     f" WHERE s.note_id IN ({chosen}) AND NOT EXISTS (SELECT 1 FROM {lookup} x"
                     f" WHERE x.{column} = s.{column} AND x.note_id = s.note_id)", param)
        conn.execute(f"INSERT INTO {lookup} SELECT id, note_id FROM temp.new_pairs_{column}")
        conn.execute(f"INSERT INTO {counts} SELECT id, count(*) FROM temp.new_pairs_{column} WHERE true GROUP BY id"
                     f" ON CONFLICT({column}) DO UPDATE SET notes = notes + excluded.notes")
    conn.execute(f"UPDATE notes SET synced = 1 WHERE synced = 0 AND id IN ({chosen})", param)
    return count


def _pending_ids(conn: sqlite3.Connection, limit: int) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM notes WHERE synced = 0 ORDER BY id LIMIT ?", [limit])]


class NoteTables(StoreConnection):
    """Notes, files, sections, references and parse warnings (migration 1)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        super().__init__(path)
        self._id_cache: dict[str, dict[str, int]] = {}
        self._id_cache_version: int | None = None

    # -- writing ------------------------------------------------------------------------------

    def files_under(self, folder: Path) -> dict[str, FileRecord]:
        """Every file record whose path lies in `folder` (absolute paths)."""
        prefix = str(folder).rstrip(os.sep) + os.sep
        rows = self.db.execute(
            "SELECT path, size, mtime_ns, content_hash, status, note_id FROM files "
            "WHERE substr(path, 1, ?) = ?", [len(prefix), prefix])
        return {row[0]: FileRecord(*row) for row in rows}

    def title_owner(self, key: str) -> str | None:
        """The path of the note that holds this normalised title, if any."""
        row = self.db.execute("SELECT path FROM notes WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def save_note(self, note: Note, path: str, size: int, mtime_ns: int,
                  claims: Sequence[Claim] = ()) -> int:
        """Replace whatever `path` held with `note` (and its `claims`, see notesgraph.claims),
        in one transaction; returns the note id.

        The note keeps its id when the file was indexed before, so views stay put.
        """
        return self.save_notes([(note, path, size, mtime_ns, claims)])[0]

    def save_notes(self, saves: Sequence[tuple[Note, str, int, int, Sequence[Claim]]]) -> list[int]:
        """`save_note` for several (note, path, size, mtime_ns, claims) in one transaction (all
        or none), full-text index and lookups included; returns their ids. Indexing commits
        files in small batches: one commit per file wrote the same index pages again for
        every file, and one full-text pass at the end ran after the parsing was done instead
        of while the worker processes parse (see notesgraph.indexer)."""
        added: dict[tuple[str, str], int] = {}
        with self.transaction() as conn:
            ids = [self._save_in(conn, *save, added) for save in saves]
            _sync_notes(conn, ids)  # its own notes only: old pending ones go in sync_derived's chunks
        for (table, key), ident in added.items():
            self._id_cache.get(table, {})[key] = ident
        return ids

    def _save_in(self, conn: sqlite3.Connection, note: Note, path: str, size: int, mtime_ns: int,
                 claims: Sequence[Claim], added: dict[tuple[str, str], int]) -> int:
        old = conn.execute("SELECT note_id FROM files WHERE path = ?", [path]).fetchone()
        note_id = old[0] if old and old[0] is not None else None
        if note_id is not None:
            conn.execute("DELETE FROM notes WHERE id = ?", [note_id])
        now = _now()
        cursor = conn.execute(
            "INSERT INTO notes (id, key, stem_key, title, lede, body, path, content_hash, format,"
            " tags, metadata, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [note_id, note.key, normalise_title(PurePath(path).stem), note.title, note.lede,
             "\n\n".join(note.body), path, note.content_hash, note.format,
             json.dumps(list(note.tags)), json.dumps(note.metadata, ensure_ascii=False), now])
        note_id = cursor.lastrowid
        self._insert_sections(conn, note_id, note, added)
        page = PAGE_ITEMS.get(note.metadata.get("page_kind", ""))
        if page is not None:  # an inquiry's or a paper's own page: that item exists with it
            self._ids_for(conn, page[0], page[1], [(note.key, note.title)], added)
        insert_claims(conn, note_id, claims)
        conn.execute(
            "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_hash, status, note_id,"
            " message, line, hint, indexed_at) VALUES (?,?,?,?,'ok',?,NULL,NULL,NULL,?)",
            [path, size, mtime_ns, note.content_hash, note_id, now])
        return note_id

    def _known_ids(self, conn: sqlite3.Connection, table: str) -> dict[str, int]:
        """key -> id of every row of `inquiries` or `papers`, cached for this connection.

        Looking ids up in SQLite twice per item was most of the remaining per-note cost. The
        cache is dropped when another connection has written (PRAGMA data_version changes)
        and after pruning; ids added by a transaction join it only once it commits.
        """
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._id_cache_version:
            self._id_cache.clear()
            self._id_cache_version = version
        if table not in self._id_cache:
            self._id_cache[table] = dict(conn.execute(f"SELECT key, id FROM {table}").fetchall())
        return self._id_cache[table]

    def _ids_for(self, conn: sqlite3.Connection, table: str, column: str,
                 rows: list[tuple[str, str]], added: dict[tuple[str, str], int]) -> list[int]:
        """The ids of (key, text) rows of `table`, inserting the ones not there yet."""
        known = self._known_ids(conn, table)
        ids: list[int] = []
        for key, text in rows:
            ident = known.get(key) or added.get((table, key))
            if ident is None:
                cursor = conn.execute(f"INSERT OR IGNORE INTO {table} (key, {column}) VALUES (?, ?)", [key, text])
                ident = cursor.lastrowid if cursor.rowcount else conn.execute(
                    f"SELECT id FROM {table} WHERE key = ?", [key]).fetchone()[0]
                added[(table, key)] = ident
            ids.append(ident)
        return ids

    def _insert_sections(self, conn: sqlite3.Connection, note_id: int, note: Note,
                         added: dict[tuple[str, str], int]) -> None:
        conn.executemany("INSERT INTO paragraphs VALUES (?,?,?)",
                         [(note_id, i, text) for i, text in enumerate((note.lede, *note.body))])
        # Integer ids keep the link tables small; see also sync_derived(). Empty lists are
        # skipped: most vault notes have no inquiries, concepts, papers or warnings.
        if note.inquiries:
            inquiry_ids = self._ids_for(conn, "inquiries", "text", [(q.key, q.text) for q in note.inquiries], added)
            conn.executemany("INSERT INTO note_inquiries VALUES (?,?,?,?)",
                             [(note_id, ident, i, q.line)
                              for i, (ident, q) in enumerate(zip(inquiry_ids, note.inquiries), 1)])
        if note.concepts:
            conn.executemany("INSERT INTO note_concepts VALUES (?,?,?,?,?,?,?)",
                             [(note_id, c.key, c.title, c.description, c.annotation, c.order, c.line)
                              for c in note.concepts])
        if note.papers:
            paper_ids = self._ids_for(conn, "papers", "title", [(p.key, p.title) for p in note.papers], added)
            conn.executemany("INSERT INTO note_papers VALUES (?,?,?,?)",
                             [(note_id, ident, p.rank, p.line) for ident, p in zip(paper_ids, note.papers)])
        if note.references:
            conn.executemany(
                'INSERT INTO note_references VALUES (?,?,?,?,?,?,?,?)',
                [(note_id, r.kind, r.text, r.target, _target_key(r.target), r.paragraph, r.start, r.end)
                 for r in note.references])
        if note.warnings:
            conn.executemany("INSERT INTO parse_warnings VALUES (?,?,?)",
                             [(note_id, w.line, w.message) for w in note.warnings])

    def save_problem(self, path: str, size: int, mtime_ns: int, digest: str,
                     message: str, line: int, hint: str, keep_note: bool = False) -> None:
        """Record a file that could not be indexed (status 'error': `problems` lists it, `stats`
        counts it, the indexer tries it again on every run). Any note it held before is
        removed, unless `keep_note` (a file that could not be read: its content is unknown)."""
        with self.transaction() as conn:
            kept = conn.execute("SELECT note_id FROM files WHERE path = ?", [path]).fetchone()
            kept = kept[0] if kept else None
            if not keep_note and kept is not None:
                conn.execute("DELETE FROM notes WHERE id = ?", [kept])
                kept = None
            conn.execute(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_hash, status, note_id,"
                " message, line, hint, indexed_at) VALUES (?,?,?,?,'error',?,?,?,?,?)",
                [path, size, mtime_ns, digest, kept, message, line, hint, _now()])

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """Remember a new mtime for a file whose content did not change."""
        with self.transaction() as conn:
            conn.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", [size, mtime_ns, path])

    def remove_files(self, paths: Iterable[str]) -> int:
        """Forget files that are gone, with their notes; one transaction. Returns how many."""
        paths = list(paths)
        with self.transaction() as conn:
            for path in paths:
                conn.execute("DELETE FROM notes WHERE id = (SELECT note_id FROM files WHERE path = ?)", [path])
                conn.execute("DELETE FROM files WHERE path = ?", [path])
        return len(paths)

    def sync_derived(self) -> int:
        """Add notes still pending (synced = 0) to full-text search and the inquiry/paper ->
        notes lookups, SYNC_CHUNK notes per transaction (another writer never waits long);
        returns how many notes. `save_notes` syncs its notes as it writes them; this catches
        the ones an older notesgraph, which synced once per index run, left pending when it
        stopped. Readers call it first; one indexed query when nothing is pending."""
        done = 0
        while self.db.execute("SELECT 1 FROM notes WHERE synced = 0 LIMIT 1").fetchone() is not None:
            with self.transaction() as conn:
                done += _sync_notes(conn, _pending_ids(conn, SYNC_CHUNK))
        return done

    def prune_orphans(self) -> None:
        """Drop inquiries and papers that no note lists any more and that have no page (nor, for
        a paper, an entry in the library)."""
        self.sync_derived()
        with self.transaction() as conn:
            conn.execute("DELETE FROM inquiries WHERE id NOT IN (SELECT inquiry_id FROM inquiry_notes)"
                         f" AND key NOT IN ({PAGE_KEYS.format(kind='inquiry')})")
            conn.execute("DELETE FROM papers WHERE id NOT IN (SELECT paper_id FROM paper_notes)"
                         f" AND key NOT IN ({PAGE_KEYS.format(kind='paper')})"
                         " AND id NOT IN (SELECT paper_id FROM paper_entries)")  # the library's papers stay
            conn.execute("DELETE FROM inquiry_counts WHERE notes <= 0")
            conn.execute("DELETE FROM paper_counts WHERE notes <= 0")
        self._id_cache.clear()

    # -- reading ------------------------------------------------------------------------------

    def note_count(self) -> int:
        """How many notes are indexed (one count, not a row each: 100k titles took ~0.9 s)."""
        return int(self.db.execute("SELECT count(*) FROM notes").fetchone()[0])

    def note_titles(self) -> list[dict[str, Any]]:
        """id, key, title and path of every note, ordered by title, then path."""
        return self.rows("SELECT id, key, title, path FROM notes ORDER BY title COLLATE NOCASE, path")

    def inquiry_list(self) -> list[dict[str, Any]]:
        """id, text and number of source notes of every inquiry, most shared first."""
        self.sync_derived()
        return self.rows("SELECT i.id, i.text, c.notes FROM inquiries i JOIN inquiry_counts c"
                         " ON c.inquiry_id = i.id WHERE c.notes > 0 ORDER BY c.notes DESC, i.text COLLATE NOCASE")

    def paper_list(self) -> list[dict[str, Any]]:
        """id, title and number of listing notes of every paper, most listed first."""
        self.sync_derived()
        return self.rows("SELECT p.id, p.title, c.notes FROM papers p JOIN paper_counts c"
                         " ON c.paper_id = p.id WHERE c.notes > 0 ORDER BY c.notes DESC, p.title COLLATE NOCASE")

    def inquiry(self, inquiry_id: int) -> dict[str, Any]:
        """One inquiry with the notes that are its sources (id, title, position)."""
        self.sync_derived()
        with self.snapshot():
            return self._inquiry_rows(inquiry_id)

    def _inquiry_rows(self, inquiry_id: int) -> dict[str, Any]:
        rows = self.rows("SELECT id, text FROM inquiries WHERE id = ?", [inquiry_id])
        if not rows:
            raise KeyError(inquiry_id)
        rows[0]["notes"] = self.rows(
            "SELECT n.id, n.title, ni.position FROM inquiry_notes x JOIN notes n ON n.id = x.note_id"
            " JOIN note_inquiries ni ON ni.note_id = x.note_id AND ni.inquiry_id = x.inquiry_id"
            " WHERE x.inquiry_id = ? ORDER BY n.title COLLATE NOCASE", [inquiry_id])
        return rows[0]

    def paper(self, paper_id: int) -> dict[str, Any]:
        """One paper with the notes that list it and the rank each gives it."""
        self.sync_derived()
        with self.snapshot():
            return self._paper_rows(paper_id)

    def _paper_rows(self, paper_id: int) -> dict[str, Any]:
        rows = self.rows("SELECT id, title FROM papers WHERE id = ?", [paper_id])
        if not rows:
            raise KeyError(paper_id)
        rows[0]["notes"] = self.rows(
            "SELECT n.id, n.title, np.rank FROM paper_notes x JOIN notes n ON n.id = x.note_id"
            " JOIN note_papers np ON np.note_id = x.note_id AND np.paper_id = x.paper_id"
            " WHERE x.paper_id = ? ORDER BY np.rank, n.title COLLATE NOCASE", [paper_id])
        return rows[0]

    def concept_stubs(self) -> list[dict[str, Any]]:
        """key and title of every concept no note's title or file name resolves (a stub)."""
        return self.rows("SELECT concept_key AS key, min(title) AS title FROM note_concepts"
                         f" WHERE concept_key NOT IN ({_NAMED}) GROUP BY concept_key ORDER BY title COLLATE NOCASE")

    def concept(self, key: str) -> dict[str, Any]:
        """An unresolved concept (a stub): its title, descriptions and the notes listing it."""
        rows = self.rows(
            "SELECT c.title, c.description, c.annotation, n.id AS note_id, n.title AS note_title"
            " FROM note_concepts c JOIN notes n ON n.id = c.note_id WHERE c.concept_key = ?"
            " ORDER BY n.title COLLATE NOCASE", [key])
        if not rows:
            raise KeyError(key)
        return {"key": key, "title": rows[0]["title"],
                "description": next((r["description"] for r in rows if r["description"]), ""),
                "listed_by": [{"id": r["note_id"], "title": r["note_title"], "annotation": r["annotation"]}
                              for r in rows]}

    def note(self, note_id: int) -> dict[str, Any]:
        """One note with its paragraphs, sections, references and warnings.

        Concepts carry `note_id` when a note with that title exists (resolved), else None
        (an unresolved stub). Papers carry how many notes list them.
        """
        self.sync_derived()
        with self.snapshot():  # its rows as of one state, not half of a re-index
            return self._note_rows(note_id)

    def _note_rows(self, note_id: int) -> dict[str, Any]:
        rows = self.rows("SELECT * FROM notes WHERE id = ?", [note_id])
        if not rows:
            raise KeyError(note_id)
        note = rows[0]
        note["tags"] = json.loads(note["tags"])
        note["metadata"] = json.loads(note["metadata"])
        note["paragraphs"] = [r["text"] for r in self.rows(
            "SELECT text FROM paragraphs WHERE note_id = ? ORDER BY position", [note_id])]
        note["inquiries"] = self.rows(
            "SELECT i.id, i.text, i.key, ni.position, coalesce((SELECT c.notes FROM inquiry_counts c"
            " WHERE c.inquiry_id = ni.inquiry_id), 0) AS notes FROM note_inquiries ni"
            " JOIN inquiries i ON i.id = ni.inquiry_id WHERE ni.note_id = ? ORDER BY ni.position",
            [note_id])
        note["concepts"] = self.rows(
            "SELECT c.title, c.concept_key AS key, c.description, c.annotation, c.position,"
            " (SELECT n.id FROM notes n WHERE n.key = c.concept_key) AS note_id"
            " FROM note_concepts c WHERE c.note_id = ? ORDER BY c.position", [note_id])
        note["papers"] = self.rows(
            "SELECT p.id, p.title, p.key, np.rank, coalesce((SELECT c.notes FROM paper_counts c"
            " WHERE c.paper_id = np.paper_id), 0) AS notes FROM note_papers np"
            " JOIN papers p ON p.id = np.paper_id WHERE np.note_id = ? ORDER BY np.rank", [note_id])
        note["references"] = self.rows(
            'SELECT kind, text, target, paragraph, start, "end", (SELECT n.id FROM notes n'
            " WHERE r.target_key != '' AND (n.key = r.target_key OR n.stem_key = r.target_key)"
            " LIMIT 1) AS note_id, (SELECT p.id FROM papers p WHERE r.kind IN ('author_year', 'arxiv', 'doi')"
            " AND r.target_key != '' AND p.key = r.target_key) AS paper_id"  # resolved through the library
            ' FROM note_references r WHERE note_id = ? ORDER BY paragraph, start',
            [note_id])
        note["warnings"] = self.rows(
            "SELECT line, message FROM parse_warnings WHERE note_id = ? ORDER BY line", [note_id])
        return note

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search over note titles, ledes and bodies, best match first (BM25).

        Every word must match (porter-stemmed); FTS syntax in the query is taken literally.
        """
        quoted = self.db.quote_fts(query)
        if not quoted.strip():
            return []
        self.sync_derived()
        hits = self.rows(
            "SELECT n.id, n.title, n.path, snippet(notes_fts, -1, '\x02', '\x03', '…', 16) AS snippet,"
            " bm25(notes_fts, 10.0, 3.0, 1.0) AS score FROM notes_fts"
            " JOIN notes n ON n.id = notes_fts.rowid WHERE notes_fts MATCH ?"
            " ORDER BY score LIMIT ?", [quoted, limit])
        for hit in hits:
            hit["snippet"] = readable_snippet(hit["snippet"])
        return hits

    def problems(self, folder: Path | None = None) -> list[dict[str, Any]]:
        """Files that could not be indexed, with message, line and hint."""
        rows = self.rows("SELECT path, message, line, hint FROM files WHERE status = 'error' ORDER BY path")
        if folder is None:
            return rows
        prefix = str(folder).rstrip(os.sep) + os.sep
        return [r for r in rows if r["path"].startswith(prefix)]

    def stats(self) -> dict[str, int]:
        """Counts of everything indexed (notes, inquiries, papers, concepts, stubs, ...)."""
        self.sync_derived()
        with self.snapshot():  # counts of one state: notes and files agree
            return self._counts()

    def _counts(self) -> dict[str, int]:
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "notes": one("SELECT count(*) FROM notes"),
            "inquiries": one("SELECT count(*) FROM inquiries"),
            "shared_inquiries": one("SELECT count(*) FROM (SELECT inquiry_id FROM inquiry_notes"
                                    " GROUP BY inquiry_id HAVING count(*) > 1)"),
            "papers": one("SELECT count(*) FROM papers"),
            "shared_papers": one("SELECT count(*) FROM (SELECT paper_id FROM paper_notes"
                                 " GROUP BY paper_id HAVING count(*) > 1)"),
            "concept_links": one("SELECT count(*) FROM note_concepts"),
            "resolved_concept_links": one(f"SELECT count(*) FROM note_concepts WHERE concept_key IN ({_NAMED})"),
            "stub_concept_links": one(f"SELECT count(*) FROM note_concepts WHERE concept_key NOT IN ({_NAMED})"),
            "unresolved_stubs": one("SELECT count(DISTINCT concept_key) FROM note_concepts"
                                    f" WHERE concept_key NOT IN ({_NAMED})"),
            "references": one("SELECT count(*) FROM note_references"),
            "warnings": one("SELECT count(*) FROM parse_warnings"),
            "files": one("SELECT count(*) FROM files"),
            "problem_files": one("SELECT count(*) FROM files WHERE status = 'error'"),
        }
