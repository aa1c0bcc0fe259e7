"""The SQLite store on real database files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REPO, SEED
from notesgraph.claims import extract_claims
from notesgraph.parsing import parse_file, parse_text
from notesgraph.store import MIGRATIONS, Store, StoreError


def test_new_database_is_migrated_and_in_wal_mode(store: Store) -> None:
    assert store.schema_version() == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"notes", "inquiries", "papers", "note_inquiries", "note_concepts", "note_papers",
            "note_references", "parse_warnings", "files", "migrations", "notes_fts"} <= set(store.db.table_names())


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as first:
        first.save_note(parse_file(SEED), "/x/seed.txt", 1, 1)
    with Store(tmp_path / "a.db") as again:
        assert again.db.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
        assert again.stats()["notes"] == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        store.db.execute("INSERT INTO migrations VALUES (99, 'future', 'now')")
    with pytest.raises(StoreError, match="newer than this notesgraph"):
        Store(tmp_path / "a.db")


def test_corrupt_file_gives_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="bad.db"):
        Store(bad)


def test_save_note_stores_every_section(store: Store) -> None:
    note_id = store.save_note(parse_file(SEED), "/x/seed.txt", 10, 20)
    note = store.note(note_id)
    assert note["title"] == "Does instruction tuning teach task understanding or output format?"
    assert len(note["paragraphs"]) == 7
    assert len(note["inquiries"]) == 122
    assert [c["position"] for c in note["concepts"]] == [1, 2, 3, 4, 5]
    assert all(c["note_id"] is None for c in note["concepts"])  # no such notes yet: stubs
    assert [p["rank"] for p in note["papers"]] == list(range(1, 9))
    assert {r["kind"] for r in note["references"]} == {"quoted_title", "arxiv", "author_year", "mention"}
    assert store.integrity_check() == "ok"


def test_concept_resolves_when_its_note_arrives(store: Store) -> None:
    seed_id = store.save_note(parse_file(SEED), "/x/seed.txt", 1, 1)
    other = parse_text("Can models pass tests while missing the actual grammar?\nLede.\n", "/x/grammar.txt")
    other_id = store.save_note(other, "/x/grammar.txt", 1, 1)
    concepts = store.note(seed_id)["concepts"]
    assert concepts[1]["note_id"] == other_id
    assert store.stats()["resolved_concept_links"] == 1
    assert store.stats()["unresolved_stubs"] == 4
    mention = [r for r in store.note(seed_id)["references"] if r["kind"] == "mention"]
    assert {r["note_id"] for r in mention} == {None, other_id}


def test_replacing_a_note_keeps_its_id_and_drops_old_rows(store: Store) -> None:
    first = parse_text("Title?\nLede one.\nInquiring lines that use this note as a source 1\n- Old question?\n",
                       "/x/t.txt", "h1")
    note_id = store.save_note(first, "/x/t.txt", 1, 1)
    second = parse_text("Title?\nLede two.\nInquiring lines that use this note as a source 1\n- New question?\n",
                        "/x/t.txt", "h2")
    assert store.save_note(second, "/x/t.txt", 1, 2) == note_id
    note = store.note(note_id)
    assert note["lede"] == "Lede two." and [q["text"] for q in note["inquiries"]] == ["New question?"]
    store.prune_orphans()
    assert [r["text"] for r in store.rows("SELECT text FROM inquiries")] == ["New question?"]
    assert store.search("one") == [] and store.search("two")[0]["id"] == note_id


def test_full_text_search_ranks_and_escapes(store: Store) -> None:
    store.save_note(parse_file(SEED), "/x/seed.txt", 1, 1)
    hits = store.search("delusive examples")
    assert hits and "[delusive]" in hits[0]["snippet"].lower()
    assert store.search('"unbalanced quote AND OR NOT (') == []  # FTS syntax taken literally
    assert store.search("   ") == []
    assert store.search("mapping")  # porter stemming: "mappings" in the text


def test_remove_files_deletes_the_note(store: Store) -> None:
    store.save_note(parse_file(SEED), "/x/seed.txt", 1, 1)
    assert store.remove_files(["/x/seed.txt"]) == 1
    store.prune_orphans()
    stats = store.stats()
    assert stats["notes"] == stats["inquiries"] == stats["papers"] == stats["files"] == 0
    assert store.db.execute("SELECT count(*) FROM note_inquiries").fetchone()[0] == 0


def test_write_is_atomic(store: Store) -> None:
    note = parse_file(SEED)
    store.save_note(note, "/x/a.txt", 1, 1)
    unwritable = [replace(extract_claims(note)[0], quantities=(object(),))]
    with pytest.raises(TypeError):  # fails after the note's rows were inserted: refused whole
        store.save_note(note, "/x/b.txt", 1, 1, unwritable)
    assert store.stats()["notes"] == 1 and store.stats()["files"] == 1


def test_a_note_is_its_file_so_titles_may_repeat(store: Store) -> None:
    note = parse_file(SEED)
    first = store.save_note(note, "/x/a.txt", 1, 1)
    second = store.save_note(note, "/x/other/a.txt", 1, 1)
    assert first != second and store.stats()["notes"] == 2
    assert [n["path"] for n in store.note_titles()] == ["/x/a.txt", "/x/other/a.txt"]


def fts_ok(store: Store) -> bool:
    try:
        store.db.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


def counts_match(store: Store) -> bool:
    """The kept note counts per inquiry and paper equal a recount of the lookups."""
    for counts, lookup, column in (("inquiry_counts", "inquiry_notes", "inquiry_id"),
                                   ("paper_counts", "paper_notes", "paper_id")):
        kept = dict(store.db.execute(f"SELECT {column}, notes FROM {counts} WHERE notes != 0").fetchall())
        recount = dict(store.db.execute(f"SELECT {column}, count(*) FROM {lookup} GROUP BY {column}").fetchall())
        if kept != recount:
            return False
    return True


def test_note_counts_per_inquiry_and_paper_follow_every_write(store: Store) -> None:
    def note(title: str, questions: list[str], papers: list[str]) -> str:
        lines = "".join(f"- {q}\n" for q in questions)
        listed = "".join(f"{i + 1}. {p} (2021)\n" for i, p in enumerate(papers))
        return (f"{title}\nLede.\nInquiring lines that use this note as a source {len(questions)}\nx\n{lines}"
                f"Related papers\n{listed}")

    store.save_note(parse_text(note("A?", ["Q1?", "Q2?"], ["Paper one", "Paper two"]), "/x/a.txt"), "/x/a.txt", 1, 1)
    b = store.save_note(parse_text(note("B?", ["Q1?", "Q1?"], ["Paper one"]), "/x/b.txt"), "/x/b.txt", 1, 1)
    assert counts_match(store)
    assert {i["text"]: i["notes"] for i in store.note(b)["inquiries"]}["Q1?"] == 2
    assert [p["notes"] for p in store.note(b)["papers"]] == [2]
    store.save_note(parse_text(note("B?", ["Q2?"], []), "/x/b.txt"), "/x/b.txt", 1, 2)  # replaced
    assert counts_match(store) and [(i["text"], i["notes"]) for i in store.inquiry_list()] == [("Q2?", 2), ("Q1?", 1)]
    store.db.execute("UPDATE notes SET synced = 0")  # as an older version left them: synced again, once
    store.sync_derived()
    assert counts_match(store)
    store.remove_files(["/x/a.txt"])
    store.prune_orphans()
    assert counts_match(store) and [(p["title"], p["notes"]) for p in store.paper_list()] == []


def test_derived_lookups_follow_saves_replacements_and_removals(store: Store) -> None:
    shared = "Inquiring lines that use this note as a source 1\nboilerplate\n- Shared question?\n"
    a = store.save_note(parse_text(f"Note A?\nLede A.\n{shared}", "/x/a.txt"), "/x/a.txt", 1, 1)
    store.save_note(parse_text(f"Note B?\nLede B.\n{shared}", "/x/b.txt"), "/x/b.txt", 1, 1)
    assert store.db.execute("SELECT count(*) FROM notes WHERE synced = 0").fetchone()[0] == 0  # synced as saved
    assert store.note(a)["inquiries"][0]["notes"] == 2
    store.save_note(parse_text("Note A?\nLede A, no inquiries now.\n", "/x/a.txt"), "/x/a.txt", 1, 2)
    store.sync_derived()
    assert store.stats()["shared_inquiries"] == 0
    assert sorted(h["title"] for h in store.search("lede")) == ["Note A?", "Note B?"]
    assert store.search("inquiries")[0]["id"] == a
    store.remove_files(["/x/b.txt"])
    store.prune_orphans()
    assert store.stats()["inquiries"] == 0
    assert store.search("Lede B") == []
    assert fts_ok(store) and store.integrity_check() == "ok"


def test_notes_an_older_version_left_pending_are_synced_by_readers(store: Store) -> None:
    store.save_note(parse_text("Note A?\nLede A.\n", "/x/a.txt"), "/x/a.txt", 1, 1)
    # An older notesgraph wrote notes with synced = 0 and synced them once per index run.
    store.db.execute("INSERT INTO notes (key, stem_key, title, lede, body, path, content_hash, format, tags,"
                     " metadata, indexed_at) VALUES ('note c', 'c', 'Note C?', 'Pending lede.', '', '/x/c.txt',"
                     " 'h', 'plaintext', '[]', '{}', 'now')")
    assert store.search("pending") != []  # readers sync first
    assert store.db.execute("SELECT count(*) FROM notes WHERE synced = 0").fetchone()[0] == 0
    assert store.sync_derived() == 0 and fts_ok(store)


def test_id_cache_sees_writes_from_another_connection(tmp_path: Path) -> None:
    def note(title: str, question: str):
        return parse_text(f"{title}\nLede.\nInquiring lines that use this note as a source 1\nx\n- {question}\n",
                          f"/x/{title}.txt")

    with Store(tmp_path / "shared.db") as first, Store(tmp_path / "shared.db") as second:
        first.save_note(note("A", "Question Q?"), "/x/a.txt", 1, 1)  # first caches Q's id
        second.remove_files(["/x/a.txt"])
        second.prune_orphans()
        second.save_note(note("B", "Question R?"), "/x/b.txt", 1, 1)  # R may now reuse Q's old id
        c_id = first.save_note(note("C", "Question Q?"), "/x/c.txt", 1, 1)
        assert [q["text"] for q in first.note(c_id)["inquiries"]] == ["Question Q?"]


def test_item_pages_for_inquiries_papers_and_stubs(store: Store) -> None:
    seed_id = store.save_note(parse_file(SEED), "/x/seed.txt", 1, 1)
    inquiries = store.inquiry_list()
    assert len(inquiries) == 122 and inquiries[0]["notes"] == 1
    inquiry = store.inquiry(inquiries[0]["id"])
    assert inquiry["notes"] == [{"id": seed_id, "title": store.note(seed_id)["title"],
                                 "position": inquiry["notes"][0]["position"]}]
    papers = store.paper_list()
    first = next(p for p in papers if p["title"].startswith("Do Models Really Learn"))
    assert store.paper(first["id"])["notes"][0]["rank"] == 1
    stub = store.note(seed_id)["concepts"][0]
    concept = store.concept(stub["key"])
    assert concept["title"] == stub["title"] and concept["listed_by"][0]["id"] == seed_id
    with pytest.raises(KeyError):
        store.concept("no such concept")


def _as_schema_4(path: Path) -> None:
    """Turn a current database back into schema 4 (notes.key UNIQUE, migration 5 not applied),
    keeping its rows: what a database written before titles could repeat looks like."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        PRAGMA foreign_keys = OFF;
        BEGIN;
        CREATE TABLE notes_old (
            id INTEGER PRIMARY KEY, synced INTEGER NOT NULL DEFAULT 0,
            key TEXT NOT NULL UNIQUE, stem_key TEXT NOT NULL,
            title TEXT NOT NULL, lede TEXT NOT NULL, body TEXT NOT NULL, path TEXT NOT NULL,
            content_hash TEXT NOT NULL, format TEXT NOT NULL, tags TEXT NOT NULL,
            metadata TEXT NOT NULL, indexed_at TEXT NOT NULL);
        INSERT INTO notes_old SELECT * FROM notes;
        DROP TABLE notes;
        ALTER TABLE notes_old RENAME TO notes;
        CREATE INDEX notes_stem_key ON notes(stem_key);
        DELETE FROM migrations WHERE version = 5;
        COMMIT;
        """)
    conn.close()


def test_a_schema_4_database_migrates_keeping_notes_claims_and_runs(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    note = parse_file(SEED)
    with Store(db) as store:
        note_id = store.save_note(note, "/x/seed.txt", 1, 1, extract_claims(note))
        claim_key = store.claim_rows()[0]["key"]
        run_id = store.insert_run("random_baseline", "1", {"tasks": 20}, [0], True,
                                  lambda i: f"/runs/{i}", [(claim_key, "random", note.content_hash)])
        store.finish_run(run_id, "finished", [(claim_key, "two_or_three", "consistent", "inside", True)])
        counts = store.stats()
    _as_schema_4(db)
    with Store(db) as store:
        assert store.schema_version() == len(MIGRATIONS) and store.integrity_check() == "ok"
        assert store.stats() == counts and counts_match(store)
        assert store.note(note_id)["title"] == note.title
        assert [r["key"] for r in store.claim_rows()][0] == claim_key
        assert store.run_verdicts(run_id) == [(claim_key, "two_or_three", "consistent", "inside", True)]
        assert store.search("instruction tuning")[0]["id"] == note_id  # full-text index still valid
        store.save_note(note, "/x/copy/seed.txt", 1, 1)  # and now titles may repeat
        assert store.stats()["notes"] == counts["notes"] + 1
        assert fts_ok(store) and store.db.execute("PRAGMA foreign_key_check").fetchone() is None


# -- consistency under a concurrent writer ------------------------------------------------------

def _linked_note(title: str, question: str):
    text = f"{title}\nLede of {title}.\nInquiring lines that use this note as a source 1\nx\n- {question}\n"
    return parse_text(text, f"/x/{title}.txt")


def _write_between_reads(reader: Store, writer: Store, before: str, write) -> None:
    """Make `writer` commit `write(writer)` just before `reader` runs its first statement that
    mentions `before`: a writer landing between a reader's SELECTs, on cue, every time."""
    state = {"done": False}

    def trace(sql: str) -> None:
        if not state["done"] and before in sql and sql.lstrip().upper().startswith("SELECT"):
            state["done"] = True
            write(writer)

    reader.db.conn.set_trace_callback(trace)


def test_graph_rows_see_one_state_while_another_connection_writes(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with Store(db) as reader, Store(db) as writer:
        reader.save_note(_linked_note("A", "Question one?"), "/x/a.txt", 1, 1)
        _write_between_reads(reader, writer, "FROM note_inquiries",
                             lambda w: w.save_note(_linked_note("B", "Question two?"), "/x/b.txt", 1, 1))
        rows = reader.graph_rows()
        reader.db.conn.set_trace_callback(None)
        notes = {row[0] for row in rows.notes}
        inquiries = {row[0] for row in rows.inquiries}
        assert {n for n, _, _ in rows.note_inquiries} <= notes
        assert {i for _, i, _ in rows.note_inquiries} <= inquiries
        assert len(notes) == 1  # the state before B was written, whole
        assert len(reader.graph_rows().notes) == 2  # and the next read sees B


def test_note_and_stats_see_one_state_while_another_connection_writes(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with Store(db) as reader, Store(db) as writer:
        a = reader.save_note(_linked_note("A", "Question one?"), "/x/a.txt", 1, 1)
        _write_between_reads(reader, writer, "FROM note_inquiries",
                             lambda w: w.save_note(_linked_note("A", "Question two?"), "/x/a.txt", 1, 2))
        note = reader.note(a)
        assert note["lede"] == "Lede of A." and [q["text"] for q in note["inquiries"]] == ["Question one?"]
        _write_between_reads(reader, writer, "FROM papers",
                             lambda w: w.save_note(_linked_note("C", "Question three?"), "/x/c.txt", 1, 1))
        stats = reader.stats()
        assert (stats["notes"], stats["files"]) == (1, 1)


OPENER = """
import sys, time
from pathlib import Path
from notesgraph.store import Store
folder, start, rounds = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for i in range(rounds):
    while time.time() < start + i * 0.4:  # every opener starts round i at the same moment
        time.sleep(0.0005)
    try:
        with Store(folder / f"fresh-{i}.db") as store:
            store.stats()
    except Exception as error:
        print(f"round {i}: {type(error).__name__}: {error}", flush=True)
"""


def test_processes_opening_one_fresh_database_at_once_all_succeed(tmp_path: Path) -> None:
    """Four processes open the same new database at the same moment, ten times over: one
    migrates, the others wait for it and find nothing left to do (no 'already exists')."""
    rounds, start = 10, time.time() + 3  # time to import notesgraph first
    openers = [subprocess.Popen([sys.executable, "-c", OPENER, str(tmp_path), str(start), str(rounds)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
               for _ in range(4)]
    outputs = [opener.communicate(timeout=120) for opener in openers]
    assert all(opener.returncode == 0 for opener in openers), outputs
    assert [out for out, _ in outputs] == [""] * 4, outputs
    for i in range(rounds):
        with Store(tmp_path / f"fresh-{i}.db") as store:
            assert store.db.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
            assert store.integrity_check() == "ok"


def _leave_pending(store: Store, count: int) -> None:
    """What an older notesgraph left: `count` notes written, not yet in full-text search."""
    store.db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO notes (key, stem_key, title, lede, body, path, content_hash, format, tags, metadata,"
        " indexed_at) SELECT 'old ' || i, 'old ' || i, 'Old note ' || i || '?', 'A pending lede.',"
        " 'Body of an old note.', '/x/old-' || i || '.txt', 'h', 'plaintext', '[]', '{}', 'then' FROM n",
        [count])


def test_a_long_pending_sync_holds_the_write_lock_in_short_transactions(store: Store) -> None:
    from notesgraph.store.notes import SYNC_CHUNK

    pending = lambda: store.db.execute("SELECT count(*) FROM notes WHERE synced = 0").fetchone()[0]  # noqa: E731
    _leave_pending(store, 2 * SYNC_CHUNK + 7)
    store.save_note(parse_text("Fresh note?\nA fresh lede.\n", "/x/fresh.txt"), "/x/fresh.txt", 1, 1)
    assert pending() == 2 * SYNC_CHUNK + 7  # a batch write syncs its own notes, not every old one
    assert store.db.execute("SELECT synced FROM notes WHERE path = '/x/fresh.txt'").fetchone()[0] == 1
    commits: list[str] = []
    store.db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    assert store.sync_derived() == 2 * SYNC_CHUNK + 7
    store.db.conn.set_trace_callback(None)
    assert len(commits) == 3  # one short transaction per chunk: writers in between wait little
    assert pending() == 0 and len(store.search("pending lede", limit=5000)) == 2 * SYNC_CHUNK + 7
    assert fts_ok(store)
