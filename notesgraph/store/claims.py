"""Quantitative claims per note: written with their note (insert_claims), read back as rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from notesgraph.model import Claim, normalise_title
from notesgraph.store.connection import StoreConnection, _id_filter


def insert_claims(conn: sqlite3.Connection, note_id: int, claims: Sequence[Claim]) -> None:
    """Write a note's claims (in the note's transaction, see NoteTables.save_note)."""
    if not claims:
        return
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


class ClaimTables(StoreConnection):
    """Quantitative claims per note (migration 3), extracted by notesgraph.claims at index time and
    written by save_note in the note's transaction. Evidence status is not stored: it is derived
    from replication runs (notesgraph.claims.evidence_status; see notesgraph.store.runs)."""

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
