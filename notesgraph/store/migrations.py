"""The schema: numbered migrations, applied in order by StoreConnection when a database opens.

Each migration is the DDL of one table family (notes, vectors, claims, runs) as it shipped;
the `migrations` table records which were applied.
"""

from __future__ import annotations

from collections.abc import Callable

from typing import Protocol


class Script(Protocol):
    """Where a migration writes its DDL (StoreConnection runs it in one transaction)."""

    def executescript(self, sql: str) -> object: ...


def _migration_1(db: Script) -> None:
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


def _migration_2(db: Script) -> None:
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


def _migration_3(db: Script) -> None:
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


def _migration_4(db: Script) -> None:
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


def _migration_5(db: Script) -> None:
    """A note is its file: titles may repeat, so `notes.key` loses its UNIQUE constraint.

    SQLite cannot drop a constraint: the table is rebuilt with the same rows and ids (the
    full-text index and every table that refers to notes by id stay valid). Runs with
    foreign keys off (see StoreConnection._migrate), so dropping the old table deletes nothing
    that refers to it.
    """
    db.executescript(
        """
        CREATE TABLE notes_new (
            id INTEGER PRIMARY KEY, synced INTEGER NOT NULL DEFAULT 0,
            key TEXT NOT NULL, stem_key TEXT NOT NULL,
            title TEXT NOT NULL, lede TEXT NOT NULL, body TEXT NOT NULL, path TEXT NOT NULL,
            content_hash TEXT NOT NULL, format TEXT NOT NULL, tags TEXT NOT NULL,
            metadata TEXT NOT NULL, indexed_at TEXT NOT NULL);
        INSERT INTO notes_new SELECT id, synced, key, stem_key, title, lede, body, path, content_hash,
            format, tags, metadata, indexed_at FROM notes;
        DROP TABLE notes;
        ALTER TABLE notes_new RENAME TO notes;
        CREATE INDEX notes_key ON notes(key);
        CREATE INDEX notes_stem_key ON notes(stem_key);
        CREATE INDEX notes_unsynced ON notes(id) WHERE synced = 0;
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


def _migration_6(db: Script) -> None:
    db.executescript(
        """
        -- The user's reference library (notesgraph.library): one entry per paper, imported from a
        -- BibTeX, CSL-JSON or RIS export and updated in place by citation key, DOI or arXiv id.
        -- authors, keywords: JSON lists ([family, given] pairs; strings). bibtex: the entry as
        -- imported from a .bib file ('' for other formats). source/line: where it was read.
        -- match: how it was joined to a paper cited by notes ("doi", "arxiv", "title",
        -- "close title 93.5", "" when no note cites it yet).
        CREATE TABLE paper_entries (
            paper_id INTEGER PRIMARY KEY REFERENCES papers(id),
            citation_key TEXT NOT NULL, entry_type TEXT NOT NULL, title TEXT NOT NULL,
            authors TEXT NOT NULL, year INTEGER, venue TEXT NOT NULL, doi TEXT NOT NULL,
            arxiv TEXT NOT NULL, url TEXT NOT NULL, abstract TEXT NOT NULL, keywords TEXT NOT NULL,
            bibtex TEXT NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL, match TEXT NOT NULL,
            imported_at TEXT NOT NULL);
        CREATE INDEX paper_entries_key ON paper_entries(citation_key);
        CREATE INDEX paper_entries_doi ON paper_entries(doi) WHERE doi != '';
        CREATE INDEX paper_entries_arxiv ON paper_entries(arxiv) WHERE arxiv != '';
        -- One row per author of an entry: author_key is the folded family name and first
        -- initial ("pavlick e"), what shared-author edges join on.
        CREATE TABLE paper_authors (
            paper_id INTEGER NOT NULL REFERENCES paper_entries(paper_id) ON DELETE CASCADE,
            position INTEGER NOT NULL, family TEXT NOT NULL, given TEXT NOT NULL,
            author_key TEXT NOT NULL, PRIMARY KEY (paper_id, position)) WITHOUT ROWID;
        CREATE INDEX paper_authors_key ON paper_authors(author_key);
        """
    )


def _migration_7(db: Script) -> None:
    """How many notes list each inquiry and paper, kept beside the lookups: counting them per
    read took 110-160 ms a note in the 100k-note store (hub inquiries list every note).
    sync_derived adds each chunk's new pairs in one grouped upsert; a deleted pair decrements."""
    db.executescript(
        """
        CREATE TABLE inquiry_counts (inquiry_id INTEGER PRIMARY KEY, notes INTEGER NOT NULL);
        CREATE TABLE paper_counts (paper_id INTEGER PRIMARY KEY, notes INTEGER NOT NULL);
        INSERT INTO inquiry_counts SELECT inquiry_id, count(*) FROM inquiry_notes GROUP BY inquiry_id;
        INSERT INTO paper_counts SELECT paper_id, count(*) FROM paper_notes GROUP BY paper_id;
        CREATE TRIGGER inquiry_notes_uncount AFTER DELETE ON inquiry_notes BEGIN
            UPDATE inquiry_counts SET notes = notes - 1 WHERE inquiry_id = old.inquiry_id;
        END;
        CREATE TRIGGER paper_notes_uncount AFTER DELETE ON paper_notes BEGIN
            UPDATE paper_counts SET notes = notes - 1 WHERE paper_id = old.paper_id;
        END;
        """
    )


def _migration_8(db: Script) -> None:
    """A counter that every write the knowledge graph could see raises, so a graph saved beside
    the database (notesgraph.graph_cache) knows whether it is still the store's. Rows of the
    per-note tables (links, concepts, references, claims) are inserted and deleted only with
    their note's row, whose trigger counts them; their updates (the library resolving a
    citation) count here. Runs are not counted: their rows change while a run progresses, and
    the graph's run nodes are compared on their own. One trigger fire per note, not per link."""
    counted = {"notes": ("INSERT", "UPDATE", "DELETE"), "inquiries": ("INSERT", "UPDATE", "DELETE"),
               "papers": ("INSERT", "UPDATE", "DELETE"), "paper_entries": ("INSERT", "UPDATE", "DELETE"),
               "paper_authors": ("INSERT", "UPDATE", "DELETE"), "note_inquiries": ("UPDATE",),
               "note_papers": ("UPDATE",), "note_concepts": ("UPDATE",), "note_references": ("UPDATE",),
               "claims": ("UPDATE",)}
    triggers = "".join(
        f"CREATE TRIGGER graph_changes_{table}_{event.lower()} AFTER {event} ON {table} BEGIN"
        " UPDATE graph_state SET changes = changes + 1; END;\n"
        for table, events in counted.items() for event in events)
    db.executescript(
        "CREATE TABLE graph_state (id INTEGER PRIMARY KEY CHECK (id = 1), changes INTEGER NOT NULL);\n"
        "INSERT INTO graph_state VALUES (1, 0);\n" + triggers)


MIGRATIONS: tuple[tuple[str, Callable[[Script], None]], ...] = (
    ("notes, sections, references, warnings, files and full-text search", _migration_1),
    ("embedding vectors per passage and model", _migration_2),
    ("quantitative claims per note", _migration_3),
    ("experiment runs, their results, verdicts and claims", _migration_4),
    ("a note is its file: titles may repeat", _migration_5),
    ("the reference library: paper metadata and authors", _migration_6),
    ("note counts per inquiry and paper", _migration_7),
    ("a change counter for the graph saved beside the database", _migration_8),
)
"""Numbered from 1 in order; never edit one that has shipped, append a new one."""
