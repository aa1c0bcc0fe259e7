"""The SQLite store: the only package that speaks SQL.

One file holds notes, their sections, in-body references, parse warnings and the state of
every indexed file, plus vectors, claims and experiment runs. Schema changes go through
numbered migrations recorded in `migrations`. Each note file is written in one transaction
(WAL mode), so a crash or kill between files leaves a database that opens, passes
`PRAGMA integrity_check` and finishes on the next run.

connection: opening, transactions, migrating; migrations: the numbered DDL; then one module
per table family (notes, vectors, claims, runs), each a class that `Store` here composes,
with the graph's bulk read that spans them all.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from notesgraph.graph_claims import ClaimBlock
from notesgraph.store.claims import ClaimTables
from notesgraph.store.connection import StoreConnection, StoreError
from notesgraph.store.library import LibraryTables
from notesgraph.store.migrations import MIGRATIONS
from notesgraph.store.notes import PAGE_KEYS, FileRecord, NoteTables
from notesgraph.store.runs import RunTables
from notesgraph.store.vectors import VectorTables

__all__ = ["MIGRATIONS", "FileRecord", "GraphRows", "Store", "StoreConnection", "StoreError"]


@dataclass(frozen=True)
class GraphRows:
    """Everything the knowledge graph is built from, as plain tuples (Store.graph_rows)."""

    notes: list[tuple[int, str, str, str, str, str, str, str, str]]
    """id, key, stem_key, title, lede, path, format, content_hash, page kind (note, synthesis, hub,
    inquiry, paper, drawing: an inquiry's or a paper's page is shown as that item)"""
    inquiries: list[tuple[int, str, str]]
    """id, text, key (normalise_title(text), as stored)"""
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


_CLAIM_ROWS = ("SELECT c.id, c.note_id, c.position, {text}, p.id FROM claims c"
               " LEFT JOIN papers p ON c.paper_key != '' AND p.key = c.paper_key")
"""Each claim with the row id of the paper its key names (None: no such paper)."""


def _chunked(db: Any, params: dict[str, Any]) -> Callable[[str], Any]:
    """sql -> an iterator over its rows, executed now and fetched 8,192 at a time."""
    def many(sql: str) -> Any:
        cursor = db.execute(sql, params)
        return itertools.chain.from_iterable(iter(lambda: cursor.fetchmany(8192), []))
    return many


class Store(NoteTables, VectorTables, ClaimTables, RunTables, LibraryTables):
    """A notesgraph database. Use as a context manager, or call close()."""

    # -- graph reads ---------------------------------------------------------------------------
    # Bulk reads for notesgraph.graph: one query per table for the whole store, or for a set of
    # notes when the graph is refreshed; never one query per note.

    def graph_rows(self, note_ids: Iterable[int] | None = None, links: bool = True,
                   claims: bool = True, stream: bool = False) -> GraphRows:
        """The rows the knowledge graph is built from: every note, or only `note_ids` with the
        inquiries and papers they list (and the runs testing their claims). Nine queries in one
        read transaction (a snapshot: an index writing meanwhile cannot mix two states, which
        left link rows naming notes the notes rows lacked); O(rows), ~1.4 s for the 1.2M
        inquiry links of 10k generated notes. links=False leaves note_inquiries and
        note_papers empty (read them as arrays with `graph_link_arrays`); claims=False leaves
        claims empty (read them as a `ClaimBlock` with `graph_claim_block`). stream=True gives
        note_concepts and references (the most rows after the links: ~1.2M at 100k notes,
        ~0.85 GB as tuples) as iterators that fetch in chunks: read them once, inside the
        caller's own `snapshot`."""
        ids = None if note_ids is None else sorted({int(i) for i in note_ids})
        if ids is None:
            where, also, params = "", "", {}
        else:
            where = " WHERE note_id IN (SELECT value FROM json_each(:ids))"
            also = " AND note_id IN (SELECT value FROM json_each(:ids))"
            params = {"ids": json.dumps(ids)}
        run = lambda sql: self.db.execute(sql, params).fetchall()  # noqa: E731
        many = _chunked(self.db, params) if stream else run
        with self.snapshot():  # one state: an index writing meanwhile must not mix in
            return GraphRows(
                notes=run("SELECT id, key, stem_key, title, lede, path, format, content_hash,"
                          " coalesce(json_extract(metadata, '$.page_kind'), 'note') FROM notes"
                          + where.replace("note_id", "id") + " ORDER BY id"),
                inquiries=run("SELECT id, text, key FROM inquiries" + (
                    f" WHERE id IN (SELECT inquiry_id FROM note_inquiries{where})"
                    f" OR key IN ({PAGE_KEYS.format(kind='inquiry')}{also.replace('note_id', 'id')})"
                    if where else "") + " ORDER BY id"),
                papers=run("SELECT id, key, title FROM papers" + (
                    f" WHERE id IN (SELECT paper_id FROM note_papers{where})"
                    f" OR key IN ({PAGE_KEYS.format(kind='paper')}{also.replace('note_id', 'id')})"
                    if where else "") + " ORDER BY id"),
                note_inquiries=run(f"SELECT note_id, inquiry_id, position FROM note_inquiries{where}") if links else [],
                note_papers=run(f"SELECT note_id, paper_id, rank FROM note_papers{where}") if links else [],
                note_concepts=many("SELECT note_id, concept_key, title, description, annotation, position"
                                  f" FROM note_concepts{where} ORDER BY note_id, position"),
                references=many(
                    "SELECT note_id, kind, text, target, target_key, paragraph, start, \"end\""
                    " FROM note_references WHERE target != ''"
                    f" AND kind IN ('quoted_title', 'wiki_link', 'md_link', 'embed', 'mention'){also}"
                    " ORDER BY note_id, paragraph, start"),
                claims=run(_CLAIM_ROWS.format(text="c.text") + where.replace("note_id", "c.note_id")
                           + " ORDER BY c.note_id, c.position") if claims else [],
                runs=self.run_graph_rows(ids),
            )

    def graph_claim_block(self) -> ClaimBlock:
        """Every claim as a `ClaimBlock` (arrays and one text buffer, not a tuple per claim).
        Call inside the caller's `snapshot` to match `graph_rows`."""
        return ClaimBlock.from_cursor(self.db.execute(_CLAIM_ROWS.format(text="CAST(c.text AS BLOB)") + " ORDER BY c.id"))

    def graph_link_arrays(self) -> dict[str, np.ndarray]:
        """note_inquiries and note_papers as int32 arrays of shape (rows, 3): (note_id,
        inquiry_id, position) and (note_id, paper_id, rank), in key order. The bulk of the
        graph (~120 inquiry links a note): one row per note comes back, its ids and
        positions concatenated by SQLite and parsed by numpy (2.5x faster than a tuple per
        link). Call inside the caller's `snapshot` to match `graph_rows`."""
        out = {}
        for name, item, order in (("note_inquiries", "inquiry_id", "position"), ("note_papers", "paper_id", "rank")):
            rows = self.db.execute(f"SELECT note_id, count(*), group_concat({item}), group_concat({order})"
                                   f" FROM {name} GROUP BY note_id ORDER BY note_id").fetchall()
            notes = np.repeat(np.array([r[0] for r in rows], dtype=np.int32),
                              np.array([r[1] for r in rows], dtype=np.int64))
            items, orders = (np.fromstring(",".join(r[k] for r in rows), dtype=np.int32, sep=",")  # noqa: NPY201
                             if rows else np.zeros(0, dtype=np.int32) for k in (2, 3))
            out[name] = np.vstack([notes, items, orders]).T  # (rows, 3), each column contiguous
        return out

    def graph_changes(self) -> int:
        """How many writes the knowledge graph could see the database has had (a counter its
        triggers raise; see migration 8): equal counts, the same graph. One row read."""
        return int(self.db.execute("SELECT changes FROM graph_state").fetchone()[0])

    def note_versions(self) -> dict[int, str]:
        """note id -> content hash of every note: what a graph refresh compares. One query."""
        return dict(self.db.execute("SELECT id, content_hash FROM notes").fetchall())
