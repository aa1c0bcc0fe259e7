"""The SQLite store: the only module that speaks SQL.

One file holds notes, their sections, in-body references, parse warnings and the state of
every indexed file. Schema changes go through numbered migrations recorded in `migrations`.
Each note file is written in one transaction (WAL mode), so a crash or kill between files
leaves a database that opens, passes `PRAGMA integrity_check` and finishes on the next run.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import Any

import sqlite_utils

from notesgraph.model import Note, normalise_title


class StoreError(RuntimeError):
    """The database cannot be opened or used (corrupt file, newer schema, no permission)."""


@dataclass(frozen=True)
class FileRecord:
    """What the store remembers about one indexed file."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    note_id: int | None


def _migration_1(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY, synced INTEGER NOT NULL DEFAULT 0,
            key TEXT NOT NULL UNIQUE, stem_key TEXT NOT NULL,
            title TEXT NOT NULL, lede TEXT NOT NULL, body TEXT NOT NULL, path TEXT NOT NULL,
            content_hash TEXT NOT NULL, format TEXT NOT NULL, tags TEXT NOT NULL,
            metadata TEXT NOT NULL, indexed_at TEXT NOT NULL);
        CREATE INDEX notes_stem_key ON notes(stem_key);
        CREATE INDEX notes_unsynced ON notes(id) WHERE synced = 0;
        CREATE TABLE files (
            path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            content_hash TEXT NOT NULL, status TEXT NOT NULL,
            note_id INTEGER REFERENCES notes(id) ON DELETE SET NULL,
            message TEXT, line INTEGER, hint TEXT, indexed_at TEXT NOT NULL);
        CREATE TABLE paragraphs (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (note_id, position));
        CREATE TABLE inquiries (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, text TEXT NOT NULL);
        CREATE TABLE note_inquiries (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            inquiry_id INTEGER NOT NULL REFERENCES inquiries(id), position INTEGER NOT NULL,
            line INTEGER NOT NULL, PRIMARY KEY (note_id, inquiry_id)) WITHOUT ROWID;
        CREATE TABLE note_concepts (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            concept_key TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
            annotation TEXT NOT NULL, position INTEGER NOT NULL, line INTEGER NOT NULL,
            PRIMARY KEY (note_id, concept_key));
        CREATE TABLE papers (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, title TEXT NOT NULL);
        CREATE TABLE note_papers (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            paper_id INTEGER NOT NULL REFERENCES papers(id), rank INTEGER NOT NULL,
            line INTEGER NOT NULL, PRIMARY KEY (note_id, paper_id)) WITHOUT ROWID;
        CREATE TABLE note_references (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            kind TEXT NOT NULL, text TEXT NOT NULL, target TEXT NOT NULL, target_key TEXT NOT NULL,
            paragraph INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL);
        CREATE INDEX note_references_note ON note_references(note_id);
        CREATE TABLE parse_warnings (
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            line INTEGER NOT NULL, message TEXT NOT NULL);
        CREATE INDEX parse_warnings_note ON parse_warnings(note_id);

        -- Derived lookups, filled in batches by sync_derived() for notes with synced = 0:
        -- written per file, their random inserts were most of the per-file write cost; in
        -- one transaction per index run each page is written once. Removal is immediate.
        CREATE VIRTUAL TABLE notes_fts USING fts5(
            title, lede, body, content='notes', content_rowid='id', tokenize='porter');
        CREATE TABLE inquiry_notes (inquiry_id INTEGER NOT NULL, note_id INTEGER NOT NULL,
            PRIMARY KEY (inquiry_id, note_id)) WITHOUT ROWID;
        CREATE TABLE paper_notes (paper_id INTEGER NOT NULL, note_id INTEGER NOT NULL,
            PRIMARY KEY (paper_id, note_id)) WITHOUT ROWID;
        CREATE TRIGGER notes_derived_delete BEFORE DELETE ON notes WHEN old.synced BEGIN
            INSERT INTO notes_fts (notes_fts, rowid, title, lede, body)
            VALUES ('delete', old.id, old.title, old.lede, old.body);
            DELETE FROM inquiry_notes WHERE note_id = old.id
                AND inquiry_id IN (SELECT inquiry_id FROM note_inquiries WHERE note_id = old.id);
            DELETE FROM paper_notes WHERE note_id = old.id
                AND paper_id IN (SELECT paper_id FROM note_papers WHERE note_id = old.id);
        END;
        """
    )


MIGRATIONS: tuple[tuple[str, Callable[[sqlite_utils.Database], None]], ...] = (
    ("notes, sections, references, warnings, files and full-text search", _migration_1),
)
"""Numbered from 1 in order; never edit one that has shipped, append a new one."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_db_path() -> Path:
    """`NOTESGRAPH_DB`, else notesgraph.db in the user's data folder (XDG on Linux)."""
    if os.environ.get("NOTESGRAPH_DB"):
        return Path(os.environ["NOTESGRAPH_DB"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "notesgraph" / "notesgraph.db"


class Store:
    """A notesgraph database. Use as a context manager, or call close()."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 5000")
            self.db = sqlite_utils.Database(conn)
            self._migrate()
            self._id_cache: dict[str, dict[str, int]] = {}
            self._id_cache_version: int | None = None
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(f"cannot open the database {self.path}: {error} "
                             "(delete it to start a fresh index, or pass --db PATH)") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = self.schema_version()
        if applied > len(MIGRATIONS):
            raise StoreError(f"the database {self.path} has schema version {applied}, newer than this "
                             f"notesgraph ({len(MIGRATIONS)}); upgrade notesgraph or use another --db")
        for version, (name, migrate) in enumerate(MIGRATIONS, start=1):
            if version <= applied:
                continue
            with self.transaction():
                migrate(self.db)
                self.db.execute("INSERT INTO migrations VALUES (?, ?, ?)", [version, name, _now()])

    def schema_version(self) -> int:
        row = self.db.execute("SELECT max(version) FROM migrations").fetchone()
        return row[0] or 0

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

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

    def save_note(self, note: Note, path: str, size: int, mtime_ns: int) -> int:
        """Replace whatever `path` held with `note`, in one transaction; returns the note id.

        The note keeps its id when the file was indexed before, so views stay put.
        """
        with self.transaction() as conn:
            old = conn.execute("SELECT note_id FROM files WHERE path = ?", [path]).fetchone()
            note_id = old[0] if old and old[0] is not None else None
            if note_id is not None:
                conn.execute("DELETE FROM notes WHERE id = ?", [note_id])
            cursor = conn.execute(
                "INSERT INTO notes (id, key, stem_key, title, lede, body, path, content_hash, format,"
                " tags, metadata, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [note_id, note.key, normalise_title(PurePath(path).stem), note.title, note.lede,
                 "\n\n".join(note.body), path, note.content_hash, note.format,
                 json.dumps(list(note.tags)), json.dumps(note.metadata, ensure_ascii=False), _now()])
            note_id = cursor.lastrowid
            added: dict[tuple[str, str], int] = {}
            self._insert_sections(conn, note_id, note, added)
            conn.execute(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_hash, status, note_id,"
                " message, line, hint, indexed_at) VALUES (?,?,?,?,'ok',?,NULL,NULL,NULL,?)",
                [path, size, mtime_ns, note.content_hash, note_id, _now()])
        for (table, key), ident in added.items():
            self._id_cache.get(table, {})[key] = ident
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
        # Integer ids keep the link tables small; see also sync_derived().
        inquiry_ids = self._ids_for(conn, "inquiries", "text", [(q.key, q.text) for q in note.inquiries], added)
        conn.executemany("INSERT INTO note_inquiries VALUES (?,?,?,?)",
                         [(note_id, ident, i, q.line)
                          for i, (ident, q) in enumerate(zip(inquiry_ids, note.inquiries), 1)])
        conn.executemany("INSERT INTO note_concepts VALUES (?,?,?,?,?,?,?)",
                         [(note_id, c.key, c.title, c.description, c.annotation, c.order, c.line)
                          for c in note.concepts])
        paper_ids = self._ids_for(conn, "papers", "title", [(p.key, p.title) for p in note.papers], added)
        conn.executemany("INSERT INTO note_papers VALUES (?,?,?,?)",
                         [(note_id, ident, p.rank, p.line) for ident, p in zip(paper_ids, note.papers)])
        conn.executemany(
            'INSERT INTO note_references VALUES (?,?,?,?,?,?,?,?)',
            [(note_id, r.kind, r.text, r.target, normalise_title(PurePath(r.target).name if r.target else ""),
              r.paragraph, r.start, r.end) for r in note.references])
        conn.executemany("INSERT INTO parse_warnings VALUES (?,?,?)",
                         [(note_id, w.line, w.message) for w in note.warnings])

    def save_problem(self, path: str, size: int, mtime_ns: int, digest: str,
                     message: str, line: int, hint: str) -> None:
        """Record a file that could not be indexed; any note it held before is removed."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM notes WHERE id = (SELECT note_id FROM files WHERE path = ?)", [path])
            conn.execute(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_hash, status, note_id,"
                " message, line, hint, indexed_at) VALUES (?,?,?,?,'error',NULL,?,?,?,?)",
                [path, size, mtime_ns, digest, message, line, hint, _now()])

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
        """Add notes saved since the last call to full-text search and the inquiry/paper ->
        notes lookups, in one transaction; returns how many notes. Readers call it first, so
        a crash before it only leaves work pending. Cheap when nothing is pending."""
        if self.db.execute("SELECT 1 FROM notes WHERE synced = 0 LIMIT 1").fetchone() is None:
            return 0
        pending = "SELECT id FROM notes WHERE synced = 0"
        with self.transaction() as conn:
            count = conn.execute("INSERT INTO notes_fts (rowid, title, lede, body)"
                                 f" SELECT id, title, lede, body FROM notes WHERE id IN ({pending})").rowcount
            conn.execute("INSERT OR IGNORE INTO inquiry_notes SELECT inquiry_id, note_id"
                         f" FROM note_inquiries WHERE note_id IN ({pending})")
            conn.execute("INSERT OR IGNORE INTO paper_notes SELECT paper_id, note_id"
                         f" FROM note_papers WHERE note_id IN ({pending})")
            conn.execute("UPDATE notes SET synced = 1 WHERE synced = 0")
        return count

    def prune_orphans(self) -> None:
        """Drop inquiries and papers that no note lists any more."""
        self.sync_derived()
        with self.transaction() as conn:
            conn.execute("DELETE FROM inquiries WHERE id NOT IN (SELECT inquiry_id FROM inquiry_notes)")
            conn.execute("DELETE FROM papers WHERE id NOT IN (SELECT paper_id FROM paper_notes)")
        self._id_cache.clear()

    # -- reading ------------------------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def note_titles(self) -> list[dict[str, Any]]:
        """id, key and title of every note, ordered by title."""
        return self.rows("SELECT id, key, title FROM notes ORDER BY title COLLATE NOCASE")

    def note(self, note_id: int) -> dict[str, Any]:
        """One note with its paragraphs, sections, references and warnings.

        Concepts carry `note_id` when a note with that title exists (resolved), else None
        (an unresolved stub). Papers carry how many notes list them.
        """
        self.sync_derived()
        rows = self.rows("SELECT * FROM notes WHERE id = ?", [note_id])
        if not rows:
            raise KeyError(note_id)
        note = rows[0]
        note["tags"] = json.loads(note["tags"])
        note["metadata"] = json.loads(note["metadata"])
        note["paragraphs"] = [r["text"] for r in self.rows(
            "SELECT text FROM paragraphs WHERE note_id = ? ORDER BY position", [note_id])]
        note["inquiries"] = self.rows(
            "SELECT i.id, i.text, i.key, ni.position, (SELECT count(*) FROM inquiry_notes x"
            " WHERE x.inquiry_id = ni.inquiry_id) AS notes FROM note_inquiries ni"
            " JOIN inquiries i ON i.id = ni.inquiry_id WHERE ni.note_id = ? ORDER BY ni.position",
            [note_id])
        note["concepts"] = self.rows(
            "SELECT c.title, c.concept_key AS key, c.description, c.annotation, c.position,"
            " (SELECT n.id FROM notes n WHERE n.key = c.concept_key) AS note_id"
            " FROM note_concepts c WHERE c.note_id = ? ORDER BY c.position", [note_id])
        note["papers"] = self.rows(
            "SELECT p.id, p.title, p.key, np.rank, (SELECT count(*) FROM paper_notes x"
            " WHERE x.paper_id = np.paper_id) AS notes FROM note_papers np"
            " JOIN papers p ON p.id = np.paper_id WHERE np.note_id = ? ORDER BY np.rank", [note_id])
        note["references"] = self.rows(
            'SELECT kind, text, target, paragraph, start, "end", (SELECT n.id FROM notes n'
            " WHERE r.target_key != '' AND (n.key = r.target_key OR n.stem_key = r.target_key)"
            ' LIMIT 1) AS note_id FROM note_references r WHERE note_id = ? ORDER BY paragraph, start',
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
        return self.rows(
            "SELECT n.id, n.title, n.path, snippet(notes_fts, -1, '[', ']', '…', 16) AS snippet,"
            " bm25(notes_fts, 10.0, 3.0, 1.0) AS score FROM notes_fts"
            " JOIN notes n ON n.id = notes_fts.rowid WHERE notes_fts MATCH ?"
            " ORDER BY score LIMIT ?", [quoted, limit])

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
            "resolved_concept_links": one("SELECT count(*) FROM note_concepts c"
                                          " WHERE c.concept_key IN (SELECT key FROM notes)"),
            "unresolved_stubs": one("SELECT count(DISTINCT concept_key) FROM note_concepts"
                                    " WHERE concept_key NOT IN (SELECT key FROM notes)"),
            "references": one("SELECT count(*) FROM note_references"),
            "warnings": one("SELECT count(*) FROM parse_warnings"),
            "files": one("SELECT count(*) FROM files"),
            "problem_files": one("SELECT count(*) FROM files WHERE status = 'error'"),
        }
