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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import sqlite_utils

from notesgraph.model import Note, normalise_title

if TYPE_CHECKING:  # claims depends on the store, not the other way round
    from notesgraph.claims import Claim


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


@dataclass(frozen=True)
class GraphRows:
    """Everything the knowledge graph is built from, as plain tuples (Store.graph_rows)."""

    notes: list[tuple[int, str, str, str, str, str, str, str]]
    """id, key, stem_key, title, lede, path, format, content_hash"""
    inquiries: list[tuple[int, str]]
    """id, text"""
    papers: list[tuple[int, str, str]]
    """id, key, title"""
    note_inquiries: list[tuple[int, int, int]]
    """note_id, inquiry_id, position"""
    note_papers: list[tuple[int, int, int]]
    """note_id, paper_id, rank"""
    note_concepts: list[tuple[int, str, str, str, str, int]]
    """note_id, concept_key, title, description, annotation, position"""
    references: list[tuple[int, str, str, str, str, int, int, int]]
    """note_id, kind, text, target, target_key, paragraph, start, end of references with a
    target (quoted_title, wiki_link, mention), in text order"""
    claims: list[tuple[int, int, int, str, int | None]] = field(default_factory=list)
    """id, note_id, position, text, paper_id (None when its paper is not a paper row)"""
    runs: list[tuple[int, int, str, str, int]] = field(default_factory=list)
    """run id, claim id, experiment, status, quick of the runs that test a stored claim,
    newest run first"""


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


def _migration_2(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- One embedding per passage (a note's title + lede, each body paragraph, an inquiry,
        -- a paper title, a stub concept), per model. content_hash is the hash of the exact
        -- text embedded: a passage whose hash is unchanged is never embedded again, and the
        -- hash index lets a moved note reuse its vectors. vector: little-endian float32.
        -- vectors_hash also covers (item, part, hash) reads, which then skip the 1.5 KB rows.
        CREATE TABLE vectors (
            item TEXT NOT NULL, part TEXT NOT NULL, model TEXT NOT NULL,
            content_hash TEXT NOT NULL, vector BLOB NOT NULL);
        CREATE UNIQUE INDEX vectors_key ON vectors(model, item, part);
        CREATE INDEX vectors_hash ON vectors(model, content_hash, item, part);
        -- A note whose passages all have vectors, with the note's content hash then: while
        -- the note's hash is the same, planning skips reading and hashing its paragraphs.
        CREATE TABLE vector_items (
            model TEXT NOT NULL, item TEXT NOT NULL, source_hash TEXT NOT NULL,
            PRIMARY KEY (model, item)) WITHOUT ROWID;
        -- The models vectors were made with; `current` marks the one whose last embedding
        -- run completed (what related/search use).
        CREATE TABLE vector_models (
            model TEXT PRIMARY KEY, path TEXT NOT NULL, current INTEGER NOT NULL DEFAULT 0,
            completed_at TEXT);
        """
    )


def _migration_3(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- The quantitative claims of each note (notesgraph.claims), written with the note in
        -- the same transaction and deleted with it. key: stable while the note title and the
        -- sentence are unchanged (what replication runs refer to). quantities: JSON list of
        -- {value, unit, text, start, end, measure, compared_to, relation, at_least}. The source
        -- columns say which paper (or note) the claim reports, or `unresolved` says why none.
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL,
            paragraph INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            quantities TEXT NOT NULL, markers TEXT NOT NULL,
            source_kind TEXT NOT NULL, source_text TEXT NOT NULL, paper TEXT NOT NULL,
            paper_key TEXT NOT NULL, listed INTEGER NOT NULL, citation TEXT NOT NULL,
            arxiv TEXT NOT NULL, source_note TEXT NOT NULL, source_note_key TEXT NOT NULL,
            link_score REAL NOT NULL, link_scope TEXT NOT NULL, unresolved TEXT NOT NULL,
            UNIQUE (note_id, position));
        CREATE INDEX claims_key ON claims(key);
        CREATE INDEX claims_paper ON claims(paper_key) WHERE paper_key != '';
        -- Notes indexed before this migration have no claims yet: forget their files' state so
        -- the next index run re-reads them (note ids are kept, vectors are unaffected).
        UPDATE files SET size = -1, content_hash = '' WHERE status = 'ok';
        """
    )


def _migration_4(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Experiment runs (notesgraph.experiments.runner). parameters, seeds, environment: JSON.
        -- pid: the worker process, so a run whose process died can be marked interrupted.
        -- A condition's results are written with its run_conditions row in one transaction:
        -- what a cancelled or killed run keeps, and what resume skips.
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, experiment TEXT NOT NULL, version TEXT NOT NULL,
            parameters TEXT NOT NULL, seeds TEXT NOT NULL, quick INTEGER NOT NULL,
            status TEXT NOT NULL, pid INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0,
            progress_done INTEGER NOT NULL DEFAULT 0, progress_total INTEGER NOT NULL DEFAULT 0,
            progress_message TEXT NOT NULL DEFAULT '', environment TEXT NOT NULL DEFAULT '{}',
            folder TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT);
        CREATE INDEX runs_status ON runs(status);
        CREATE TABLE run_conditions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, condition TEXT NOT NULL,
            position INTEGER NOT NULL, finished_at TEXT NOT NULL, PRIMARY KEY (run_id, condition));
        CREATE TABLE run_results (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, condition TEXT NOT NULL,
            metric TEXT NOT NULL, value REAL NOT NULL, ci_low REAL NOT NULL, ci_high REAL NOT NULL,
            n INTEGER NOT NULL);
        CREATE INDEX run_results_run ON run_results(run_id);
        CREATE TABLE run_log (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, at TEXT NOT NULL,
            message TEXT NOT NULL);
        CREATE INDEX run_log_run ON run_log(run_id);
        -- Per claim test and condition; primary marks the one that decides the claim's status.
        CREATE TABLE run_verdicts (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, claim TEXT NOT NULL,
            condition TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
            "primary" INTEGER NOT NULL);
        -- The stored claims a run tests (by claims.key, which survives re-indexing), the claim
        -- test that matched, and the note's content hash then (a later edit makes it stale).
        CREATE TABLE run_claims (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, claim_key TEXT NOT NULL,
            test TEXT NOT NULL, note_hash TEXT NOT NULL, PRIMARY KEY (run_id, claim_key, test));
        CREATE INDEX run_claims_key ON run_claims(claim_key);
        """
    )


MIGRATIONS: tuple[tuple[str, Callable[[sqlite_utils.Database], None]], ...] = (
    ("notes, sections, references, warnings, files and full-text search", _migration_1),
    ("embedding vectors per passage and model", _migration_2),
    ("quantitative claims per note", _migration_3),
    ("experiment runs, their results, verdicts and claims", _migration_4),
)
"""Numbered from 1 in order; never edit one that has shipped, append a new one."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _run_time() -> str:
    """Milliseconds: runs that follow each other within a second must still order correctly."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


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
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        for version, (name, migrate) in enumerate(MIGRATIONS, start=1):
            if version in done:  # by number, not by the highest: a missing one is still applied
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

    def save_note(self, note: Note, path: str, size: int, mtime_ns: int,
                  claims: Sequence[Claim] = ()) -> int:
        """Replace whatever `path` held with `note` (and its `claims`, see notesgraph.claims),
        in one transaction; returns the note id.

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
            self._insert_claims(conn, note_id, claims)
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

    def inquiry_list(self) -> list[dict[str, Any]]:
        """id, text and number of source notes of every inquiry, most shared first."""
        self.sync_derived()
        return self.rows("SELECT i.id, i.text, c.notes FROM inquiries i JOIN (SELECT inquiry_id,"
                         " count(*) AS notes FROM inquiry_notes GROUP BY inquiry_id) c"
                         " ON c.inquiry_id = i.id ORDER BY c.notes DESC, i.text COLLATE NOCASE")

    def paper_list(self) -> list[dict[str, Any]]:
        """id, title and number of listing notes of every paper, most listed first."""
        self.sync_derived()
        return self.rows("SELECT p.id, p.title, c.notes FROM papers p JOIN (SELECT paper_id,"
                         " count(*) AS notes FROM paper_notes GROUP BY paper_id) c"
                         " ON c.paper_id = p.id ORDER BY c.notes DESC, p.title COLLATE NOCASE")

    def inquiry(self, inquiry_id: int) -> dict[str, Any]:
        """One inquiry with the notes that are its sources (id, title, position)."""
        self.sync_derived()
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
        rows = self.rows("SELECT id, title FROM papers WHERE id = ?", [paper_id])
        if not rows:
            raise KeyError(paper_id)
        rows[0]["notes"] = self.rows(
            "SELECT n.id, n.title, np.rank FROM paper_notes x JOIN notes n ON n.id = x.note_id"
            " JOIN note_papers np ON np.note_id = x.note_id AND np.paper_id = x.paper_id"
            " WHERE x.paper_id = ? ORDER BY np.rank, n.title COLLATE NOCASE", [paper_id])
        return rows[0]

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

    # -- graph reads ---------------------------------------------------------------------------
    # Bulk reads for notesgraph.graph: one query per table for the whole store, or for a set of
    # notes when the graph is refreshed; never one query per note.

    def graph_rows(self, note_ids: Iterable[int] | None = None) -> GraphRows:
        """The rows the knowledge graph is built from: every note, or only `note_ids` with the
        inquiries and papers they list (and the runs testing their claims). Eight queries,
        O(rows); ~1.4 s for the 1.2M inquiry links of 10k generated notes."""
        if note_ids is None:
            where, also, params = "", "", []
        else:
            where = " WHERE note_id IN (SELECT value FROM json_each(?))"
            also = " AND note_id IN (SELECT value FROM json_each(?))"
            params = [json.dumps(sorted({int(i) for i in note_ids}))]
        run = lambda sql: self.db.execute(sql, params).fetchall()  # noqa: E731
        return GraphRows(
            notes=run("SELECT id, key, stem_key, title, lede, path, format, content_hash FROM notes"
                      + where.replace("note_id", "id") + " ORDER BY id"),
            inquiries=run("SELECT id, text FROM inquiries" + (
                f" WHERE id IN (SELECT inquiry_id FROM note_inquiries{where})" if where else "")
                + " ORDER BY id"),
            papers=run("SELECT id, key, title FROM papers" + (
                f" WHERE id IN (SELECT paper_id FROM note_papers{where})" if where else "")
                + " ORDER BY id"),
            note_inquiries=run(f"SELECT note_id, inquiry_id, position FROM note_inquiries{where}"),
            note_papers=run(f"SELECT note_id, paper_id, rank FROM note_papers{where}"),
            note_concepts=run("SELECT note_id, concept_key, title, description, annotation, position"
                              f" FROM note_concepts{where} ORDER BY note_id, position"),
            references=run(
                "SELECT note_id, kind, text, target, target_key, paragraph, start, \"end\""
                " FROM note_references WHERE target != ''"
                f" AND kind IN ('quoted_title', 'wiki_link', 'mention'){also}"
                " ORDER BY note_id, paragraph, start"),
            claims=run("SELECT c.id, c.note_id, c.position, c.text, p.id FROM claims c"
                       " LEFT JOIN papers p ON c.paper_key != '' AND p.key = c.paper_key"
                       + where.replace("note_id", "c.note_id") + " ORDER BY c.note_id, c.position"),
            runs=self.run_graph_rows(None if note_ids is None else json.loads(params[0])),
        )

    def note_versions(self) -> dict[int, str]:
        """note id -> content hash of every note: what a graph refresh compares. One query."""
        return dict(self.db.execute("SELECT id, content_hash FROM notes").fetchall())

    # -- vectors ------------------------------------------------------------------------------
    # Embedding vectors per passage and model (migration 2). The passage texts are built by
    # notesgraph.passages from the rows below; the vectors are made by notesgraph.embeddings
    # and searched by notesgraph.vectorindex / notesgraph.similarity.

    def paragraph_rows(self, note_ids: Iterable[int] | None = None) -> list[tuple[int, str, int, str]]:
        """(note id, note title, position, text) of every paragraph (0 is the lede), in order."""
        where, params = _id_filter("n.id", note_ids)
        return self.db.execute(
            "SELECT n.id, n.title, p.position, p.text FROM notes n JOIN paragraphs p ON p.note_id = n.id"
            f" {where} ORDER BY n.id, p.position", params).fetchall()

    def inquiry_rows(self, ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
        """(id, text) of inquiries."""
        where, params = _id_filter("id", ids)
        return self.db.execute(f"SELECT id, text FROM inquiries {where} ORDER BY id", params).fetchall()

    def paper_rows(self, ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
        """(id, title) of papers."""
        where, params = _id_filter("id", ids)
        return self.db.execute(f"SELECT id, title FROM papers {where} ORDER BY id", params).fetchall()

    def stub_concept_rows(self, keys: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
        """(key, title, description) of each unresolved concept (no note has its title).

        A stub listed by several notes takes the title and description of the first listing
        (lowest note id) that has a description, so its text only changes when that one does.
        """
        where, params = _id_filter("c.concept_key", keys, "AND")
        return self.db.execute(
            "SELECT concept_key, title, description FROM (SELECT c.concept_key, c.title, c.description,"
            " row_number() OVER (PARTITION BY c.concept_key ORDER BY c.description = '', c.note_id,"
            " c.position) AS pick FROM note_concepts c WHERE c.concept_key NOT IN (SELECT key FROM notes)"
            f" {where}) WHERE pick = 1 ORDER BY concept_key", params).fetchall()

    def note_sources(self) -> dict[int, str]:
        """note id -> content hash of every note."""
        return dict(self.db.execute("SELECT id, content_hash FROM notes").fetchall())

    def vector_markers(self, model: str) -> dict[str, str]:
        """item -> source hash of the items whose passages were all embedded for `model`."""
        return dict(self.db.execute("SELECT item, source_hash FROM vector_items WHERE model = ?",
                                    [model]).fetchall())

    def notes_with_stale_vectors(self, model: str, recipe: str) -> set[int]:
        """Ids of the notes not marked fully embedded for `model` under their current content
        hash (vector_items.source_hash is "<content hash>/<recipe>"): changed or added since the
        last embedding run. One query, a primary-key lookup per note (~10 ms at 10k notes)."""
        return {row[0] for row in self.db.execute(
            "SELECT n.id FROM notes n LEFT JOIN vector_items v ON v.model = ? AND v.item = 'note:' || n.id"
            " WHERE v.source_hash IS NULL OR v.source_hash != n.content_hash || '/' || ?", [model, recipe])}

    def vector_hashes(self, model: str, items: Iterable[str] | None = None,
                      skip_kind: str | None = None) -> dict[tuple[str, str], str]:
        """(item, part) -> content hash of the vectors stored for `model`: of every item, of
        `items` only, or of every item but those of `skip_kind`. Reads only an index."""
        where, params = _id_filter("item", items, "AND")
        if skip_kind is not None:
            where += " AND NOT (item >= ? AND item < ?)"
            params += [f"{skip_kind}:", f"{skip_kind};"]  # ";" sorts right after ":"
        rows = self.db.execute(f"SELECT item, part, content_hash FROM vectors WHERE model = ? {where}",
                               [model, *params])
        return {(item, part): digest for item, part, digest in rows}

    def vector_items(self, model: str, kind: str) -> set[str]:
        """The items of `kind` that have vectors for `model`."""
        return {row[0] for row in self.db.execute(
            "SELECT DISTINCT item FROM vectors WHERE model = ? AND item >= ? AND item < ?",
            [model, f"{kind}:", f"{kind};"])}

    def vectors_by_hash(self, model: str, hashes: Iterable[str]) -> dict[str, bytes]:
        """Stored vectors of `model` whose text hashes to one of `hashes` (a content cache)."""
        found: dict[str, bytes] = {}
        wanted = list(dict.fromkeys(hashes))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found.update(self.db.execute(
                f"SELECT content_hash, vector FROM vectors WHERE model = ? AND content_hash IN"
                f" ({','.join('?' * len(chunk))})", [model, *chunk]).fetchall())
        return found

    def save_vectors(self, model: str, path: str, rows: Iterable[tuple[str, str, str, bytes]],
                     complete: Iterable[tuple[str, str]] = ()) -> int:
        """Store (item, part, content hash, float32 blob) rows for `model` and mark the
        (item, source hash) pairs in `complete` as fully embedded, in one transaction;
        replaces what those passages held. Returns how many rows."""
        rows = list(rows)
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO vector_models (model, path) VALUES (?, ?)", [model, path])
            conn.executemany("INSERT OR REPLACE INTO vectors (item, part, model, content_hash, vector)"
                             " VALUES (?,?,?,?,?)", [(i, p, model, h, v) for i, p, h, v in rows])
            conn.executemany("INSERT OR REPLACE INTO vector_items VALUES (?,?,?)",
                             [(model, item, source) for item, source in complete])
        return len(rows)

    def delete_vectors(self, model: str, keys: Iterable[tuple[str, str]], markers: Iterable[str] = ()) -> int:
        """Forget the vectors of these (item, part) passages of `model` and the complete-marks
        of the items in `markers`; one transaction. Returns how many vectors."""
        keys = list(keys)
        with self.transaction() as conn:
            conn.executemany("DELETE FROM vectors WHERE model = ? AND item = ? AND part = ?",
                             [(model, item, part) for item, part in keys])
            conn.executemany("DELETE FROM vector_items WHERE model = ? AND item = ?",
                             [(model, item) for item in markers])
        return len(keys)

    def finish_vectors(self, model: str, path: str) -> int:
        """Make `model` the current one after a complete run and drop every other model's
        vectors (a switch keeps the old vectors until the new ones are complete). Returns
        how many vectors were dropped."""
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO vector_models (model, path) VALUES (?, ?)", [model, path])
            dropped = 0
            for (other,) in conn.execute("SELECT model FROM vector_models WHERE model != ?", [model]).fetchall():
                dropped += conn.execute("DELETE FROM vectors WHERE model = ?", [other]).rowcount
                conn.execute("DELETE FROM vector_items WHERE model = ?", [other])
                conn.execute("DELETE FROM vector_models WHERE model = ?", [other])
            conn.execute("UPDATE vector_models SET current = 1, path = ?, completed_at = ? WHERE model = ?",
                         [path, _now(), model])
        return dropped

    def current_vector_model(self) -> tuple[str, str] | None:
        """(model id, model folder) of the last complete embedding run, or None."""
        row = self.db.execute("SELECT model, path FROM vector_models WHERE current = 1").fetchone()
        return (row[0], row[1]) if row else None

    def vector_count(self, model: str | None = None) -> int:
        """How many vectors are stored (for `model`, else for every model)."""
        if model is None:
            return self.db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        return self.db.execute("SELECT count(*) FROM vectors WHERE model = ?", [model]).fetchone()[0]

    def iter_vectors(self, model: str) -> Iterator[tuple[str, str, bytes]]:
        """(item, part, blob) of every vector of `model`, ordered by item then part, so the
        passages of one item, and the items of one kind, come out next to each other."""
        yield from self.db.execute(
            "SELECT item, part, vector FROM vectors WHERE model = ? ORDER BY item, part", [model])

    def item_labels(self, items: Iterable[str]) -> dict[str, str]:
        """item id -> what a user reads: a note's or paper's title, an inquiry's or concept's text."""
        by_kind: dict[str, list[str]] = {}
        for item in items:
            kind, _, ident = item.partition(":")
            by_kind.setdefault(kind, []).append(ident)
        labels: dict[str, str] = {}
        queries = {
            "note": ("SELECT id, title FROM notes", "id"),
            "inquiry": ("SELECT id, text FROM inquiries", "id"),
            "paper": ("SELECT id, title FROM papers", "id"),
            "concept": ("SELECT concept_key, min(title) FROM note_concepts", "concept_key"),
        }
        for kind, idents in by_kind.items():
            if kind not in queries:
                continue
            sql, column = queries[kind]
            for start in range(0, len(idents), 500):
                chunk = idents[start:start + 500]
                where, params = _id_filter(column, chunk)
                group = " GROUP BY concept_key" if kind == "concept" else ""
                labels.update((f"{kind}:{ident}", label) for ident, label
                              in self.db.execute(f"{sql} {where}{group}", params))
        return labels

    def linked_items(self, item: str) -> set[str]:
        """Items directly linked to `item`, in either direction: for a note its concepts (as
        notes when resolved), papers, inquiries, claims, the notes it mentions or links to and
        the notes that list or link to it; for a paper, inquiry or stub concept the notes that
        list it (a paper also the claims that report it); for a claim its note and paper."""
        kind, _, ident = item.partition(":")
        one = lambda sql, params: {r[0] for r in self.db.execute(sql, params)}  # noqa: E731
        if kind == "paper":
            return one("SELECT 'note:' || note_id FROM note_papers WHERE paper_id = :id UNION"
                       " SELECT 'claim:' || c.id FROM claims c JOIN papers p ON p.key = c.paper_key"
                       " WHERE c.paper_key != '' AND p.id = :id", {"id": int(ident)})
        if kind == "claim":
            return one("SELECT 'note:' || note_id FROM claims WHERE id = :id UNION"
                       " SELECT 'paper:' || p.id FROM claims c JOIN papers p ON p.key = c.paper_key"
                       " WHERE c.paper_key != '' AND c.id = :id", {"id": int(ident)})
        if kind == "inquiry":
            return one("SELECT 'note:' || note_id FROM note_inquiries WHERE inquiry_id = ?", [ident])
        if kind == "concept":
            return one("SELECT 'note:' || note_id FROM note_concepts WHERE concept_key = ?", [ident])
        if kind != "note":
            return set()
        return one(
            "SELECT coalesce('note:' || n.id, 'concept:' || c.concept_key) FROM note_concepts c"
            " LEFT JOIN notes n ON n.key = c.concept_key WHERE c.note_id = :id"
            " UNION SELECT 'paper:' || paper_id FROM note_papers WHERE note_id = :id"
            " UNION SELECT 'inquiry:' || inquiry_id FROM note_inquiries WHERE note_id = :id"
            " UNION SELECT 'claim:' || id FROM claims WHERE note_id = :id"
            " UNION SELECT 'note:' || n.id FROM note_references r JOIN notes n ON r.target_key != ''"
            "   AND (n.key = r.target_key OR n.stem_key = r.target_key) WHERE r.note_id = :id"
            " UNION SELECT 'note:' || c.note_id FROM note_concepts c"
            "   WHERE c.concept_key = (SELECT key FROM notes WHERE id = :id)"
            " UNION SELECT 'note:' || r.note_id FROM note_references r, notes n WHERE n.id = :id"
            "   AND r.target_key != '' AND r.target_key IN (n.key, n.stem_key)",
            {"id": int(ident)}) - {item}


    # -- claims ---------------------------------------------------------------------------------
    # Quantitative claims per note (migration 3), extracted by notesgraph.claims at index time and
    # written by save_note in the note's transaction. Evidence status is not stored: it is derived
    # from replication runs (notesgraph.claims.evidence_status; see the runs section).

    def _insert_claims(self, conn: sqlite3.Connection, note_id: int, claims: Sequence[Claim]) -> None:
        conn.executemany(
            'INSERT INTO claims (note_id, position, key, text, paragraph, start, "end", quantities, markers,'
            " source_kind, source_text, paper, paper_key, listed, citation, arxiv, source_note,"
            " source_note_key, link_score, link_scope, unresolved) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(note_id, i, c.key, c.text, c.paragraph, c.start, c.end,
              json.dumps([vars(q) for q in c.quantities], ensure_ascii=False), json.dumps(list(c.markers)),
              c.source.kind, c.source.text, c.source.paper, normalise_title(c.source.paper),
              int(c.source.listed), c.source.citation, c.source.arxiv, c.source.note,
              normalise_title(c.source.note), c.source.score, c.source.scope, c.source.unresolved)
             for i, c in enumerate(claims)])

    def claim_note_id(self, claim_id: int) -> int | None:
        """The note a claim belongs to (None when there is no such claim)."""
        row = self.db.execute("SELECT note_id FROM claims WHERE id = ?", [claim_id]).fetchone()
        return row[0] if row else None

    def claim_rows(self, note_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Every claim (of `note_ids` only, when given) with its note's id, title and content
        hash, its quantities and markers decoded, `paper_id` when its paper is a paper row and
        `source_note_id` when the note it cites is indexed; by note title, then text order.
        One query, O(claims)."""
        where, params = _id_filter("c.note_id", note_ids)
        rows = self.rows(
            "SELECT c.id, c.note_id, n.title AS note_title, n.content_hash AS note_hash, c.position, c.key,"
            ' c.text, c.paragraph, c.start, c."end", c.quantities, c.markers, c.source_kind, c.source_text,'
            " c.paper, c.listed, c.citation, c.arxiv, c.source_note, c.link_score, c.link_scope, c.unresolved,"
            " (SELECT p.id FROM papers p WHERE c.paper_key != '' AND p.key = c.paper_key) AS paper_id,"
            " (SELECT s.id FROM notes s WHERE c.source_note_key != ''"
            "   AND (s.key = c.source_note_key OR s.stem_key = c.source_note_key) LIMIT 1) AS source_note_id"
            f" FROM claims c JOIN notes n ON n.id = c.note_id {where}"
            " ORDER BY n.title COLLATE NOCASE, c.note_id, c.position", params)
        for row in rows:
            row["quantities"] = json.loads(row["quantities"])
            row["markers"] = json.loads(row["markers"])
            row["listed"] = bool(row["listed"])
        return rows

    def claim_count(self) -> int:
        """How many claims are stored."""
        return self.db.execute("SELECT count(*) FROM claims").fetchone()[0]


    # -- runs ---------------------------------------------------------------------------------
    # Experiment runs (migration 4), written by notesgraph.experiments.runner: the CLI or app
    # creates a run, a worker process claims it, reports progress and writes each condition's
    # results as it finishes. Every write is one short transaction, so the app can read while a
    # worker writes (WAL), and a killed worker leaves whole conditions only.

    def insert_run(self, experiment: str, version: str, parameters: dict[str, Any], seeds: Sequence[int],
                   quick: bool, folder_for: Callable[[int], str],
                   claims: Iterable[tuple[str, str, str]] = ()) -> int:
        """A queued run; `folder_for(id)` names its folder; `claims` are (claim key, claim test,
        note hash) it tests. Returns its id."""
        with self.transaction() as conn:
            run_id = conn.execute(
                "INSERT INTO runs (experiment, version, parameters, seeds, quick, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                [experiment, version, json.dumps(parameters), json.dumps(list(seeds)), int(quick), _run_time()]).lastrowid
            conn.execute("UPDATE runs SET folder = ? WHERE id = ?", [folder_for(run_id), run_id])
            conn.executemany("INSERT OR IGNORE INTO run_claims VALUES (?, ?, ?, ?)",
                             [(run_id, key, test, digest) for key, test, digest in claims])
        return run_id

    def run_claim_notes(self, run_id: int) -> dict[str, int]:
        """claim key -> note id of the stored claims a run tested (keys no longer stored are left out)."""
        return dict(self.db.execute(
            "SELECT DISTINCT r.claim_key, c.note_id FROM run_claims r JOIN claims c ON c.key = r.claim_key"
            " WHERE r.run_id = ?", [run_id]).fetchall())

    def run_graph_rows(self, note_ids: Iterable[int] | None = None) -> list[tuple[int, int, str, str, int]]:
        """(run id, claim id, experiment, status, quick) of every run linked to a stored claim
        (of `note_ids`' claims only, when given), newest run first: the graph's run nodes.
        Runs are few; one query from runs through the run_claims and claims key indexes."""
        where, params = _id_filter("c.note_id", note_ids, "AND")
        return self.db.execute(
            "SELECT DISTINCT r.id, c.id, r.experiment, r.status, r.quick FROM runs r"
            " JOIN run_claims rc ON rc.run_id = r.id JOIN claims c ON c.key = rc.claim_key"
            f" WHERE 1 {where} ORDER BY r.id DESC, c.id", params).fetchall()

    def claim_run_ids(self, claim_key: str) -> list[int]:
        """Ids of the runs that tested the claim with this key, newest first."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT run_id FROM run_claims WHERE claim_key = ? ORDER BY run_id DESC", [claim_key])]

    def run_row(self, run_id: int) -> dict[str, Any] | None:
        """One run with parameters, seeds and environment decoded, or None."""
        rows = self.run_rows(run_ids=[run_id])
        return rows[0] if rows else None

    def run_rows(self, statuses: Iterable[str] | None = None, run_ids: Iterable[int] | None = None,
                 limit: int = -1) -> list[dict[str, Any]]:
        """Runs, newest first (of `statuses` / `run_ids` when given)."""
        where, params = _id_filter("status", statuses)
        more, extra = _id_filter("id", run_ids, "AND" if where else "WHERE")
        rows = self.rows(f"SELECT * FROM runs {where} {more} ORDER BY id DESC LIMIT ?", [*params, *extra, limit])
        for row in rows:
            for name in ("parameters", "seeds", "environment"):
                row[name] = json.loads(row[name])
            row["quick"] = bool(row["quick"])
            row["cancel_requested"] = bool(row["cancel_requested"])
        return rows

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set columns of a run (status, pid, error, environment, started_at, finished_at ...)."""
        if "environment" in fields:
            fields["environment"] = json.dumps(fields["environment"])
        names = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE runs SET {names} WHERE id = ?", [*fields.values(), run_id])

    def claim_run_slot(self, run_id: int, pid: int, parallel: int) -> str:
        """Atomically start a queued run when fewer than `parallel` runs are running and no
        older run waits; returns the run's status afterwards ('running' when it started)."""
        with self.transaction() as conn:
            status, cancel = conn.execute("SELECT status, cancel_requested FROM runs WHERE id = ?",
                                          [run_id]).fetchone()
            if status != "queued":
                return status
            if cancel:
                conn.execute("UPDATE runs SET status = 'cancelled', finished_at = ? WHERE id = ?", [_run_time(), run_id])
                return "cancelled"
            conn.execute("UPDATE runs SET pid = ? WHERE id = ?", [pid, run_id])
            running = conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
            older = conn.execute("SELECT count(*) FROM runs WHERE status = 'queued' AND id < ?"
                                 " AND pid IS NOT NULL", [run_id]).fetchone()[0]
            if running >= parallel or older:
                return "queued"
            conn.execute("UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?),"
                         " finished_at = NULL, error = '' WHERE id = ?", [_run_time(), run_id])
            return "running"

    def set_run_progress(self, run_id: int, done: int, total: int, message: str) -> bool:
        """Record progress; returns whether a cancel was requested (one round trip for both)."""
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET progress_done = ?, progress_total = ?, progress_message = ?"
                         " WHERE id = ?", [done, total, message, run_id])
            return bool(conn.execute("SELECT cancel_requested FROM runs WHERE id = ?", [run_id]).fetchone()[0])

    def save_run_condition(self, run_id: int, condition: str, position: int,
                           results: Iterable[tuple[str, str, float, float, float, int]]) -> None:
        """A finished condition's (condition, metric, value, ci_low, ci_high, n) rows and its mark,
        in one transaction (replacing any earlier rows of that condition)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM run_results WHERE run_id = ? AND condition = ?", [run_id, condition])
            conn.executemany("INSERT INTO run_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(run_id, *row) for row in results])
            conn.execute("INSERT OR REPLACE INTO run_conditions VALUES (?, ?, ?, ?)",
                         [run_id, condition, position, _run_time()])

    def finished_conditions(self, run_id: int) -> list[str]:
        """The conditions of a run whose results are stored, in run order."""
        return [row[0] for row in self.db.execute(
            "SELECT condition FROM run_conditions WHERE run_id = ? ORDER BY position", [run_id])]

    def run_results(self, run_id: int) -> list[tuple[str, str, float, float, float, int]]:
        """(condition, metric, value, ci_low, ci_high, n) of a run, in the order written."""
        return self.db.execute("SELECT condition, metric, value, ci_low, ci_high, n FROM run_results"
                               " WHERE run_id = ? ORDER BY rowid", [run_id]).fetchall()

    def add_run_log(self, run_id: int, message: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO run_log VALUES (?, ?, ?)", [run_id, _run_time(), message])

    def run_log(self, run_id: int) -> list[tuple[str, str]]:
        """(time, message) lines of a run's log, oldest first."""
        return self.db.execute("SELECT at, message FROM run_log WHERE run_id = ? ORDER BY rowid",
                               [run_id]).fetchall()

    def finish_run(self, run_id: int, status: str, verdicts: Iterable[tuple[str, str, str, str, bool]] = (),
                   error: str = "") -> None:
        """End a run with `status`, and its (claim, condition, verdict, reason, primary) rows."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM run_verdicts WHERE run_id = ?", [run_id])
            conn.executemany("INSERT INTO run_verdicts VALUES (?, ?, ?, ?, ?, ?)",
                             [(run_id, c, k, v, r, int(p)) for c, k, v, r, p in verdicts])
            conn.execute("UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                         [status, error, _run_time(), run_id])

    def run_verdicts(self, run_id: int) -> list[tuple[str, str, str, str, bool]]:
        """(claim test, condition, verdict, reason, primary) of a run."""
        return [(*row[:4], bool(row[4])) for row in self.db.execute(
            'SELECT claim, condition, verdict, reason, "primary" FROM run_verdicts WHERE run_id = ?'
            " ORDER BY rowid", [run_id])]

    def run_claims(self, run_id: int) -> list[tuple[str, str, str]]:
        """(claim key, claim test, note hash) of the claims a run tests."""
        return self.db.execute("SELECT claim_key, test, note_hash FROM run_claims WHERE run_id = ?",
                               [run_id]).fetchall()

    def claim_run_verdicts(self) -> dict[str, list[tuple[str, str, str, str, bool]]]:
        """claim key -> (experiment, primary verdict, finished at, note hash, quick) of every run
        that tested it; verdict and finished at are '' for runs not done. One query."""
        found: dict[str, list[tuple[str, str, str, str, bool]]] = {}
        for key, experiment, verdict, finished, digest, quick in self.db.execute(
                "SELECT c.claim_key, r.experiment, coalesce(v.verdict, ''), coalesce(r.finished_at, ''),"
                " c.note_hash, r.quick FROM run_claims c JOIN runs r ON r.id = c.run_id"
                ' LEFT JOIN run_verdicts v ON v.run_id = c.run_id AND v.claim = c.test AND v."primary"'
                "   AND r.status = 'done' ORDER BY c.run_id"):
            found.setdefault(key, []).append((experiment, verdict, finished if verdict else "", digest, bool(quick)))
        return found


def _id_filter(column: str, values: Iterable[Any] | None, keyword: str = "WHERE") -> tuple[str, list[Any]]:
    """A `WHERE column IN (...)` clause and its parameters; empty when `values` is None."""
    if values is None:
        return "", []
    values = list(values)
    return f"{keyword} {column} IN ({','.join('?' * len(values)) or 'NULL'})", values
