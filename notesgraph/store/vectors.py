"""Embedding vectors per passage and model, and the item reads the passages and similarity use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from notesgraph.store.connection import StoreConnection, _id_filter, _now


class VectorTables(StoreConnection):
    """Embedding vectors per passage and model (migration 2). The passage texts are built by
    notesgraph.passages from the rows below; the vectors are made by notesgraph.embeddings
    and searched by notesgraph.vectorindex / notesgraph.similarity."""

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
        """(id, title) of papers; with its library abstract after a line break when it has one,
        so a paper's vector reads the abstract too (a new text: its vector is made again)."""
        where, params = _id_filter("id", ids)
        return self.db.execute("SELECT id, title || coalesce(char(10) || nullif((SELECT abstract FROM paper_entries e"
                               f" WHERE e.paper_id = papers.id), ''), '') FROM papers {where} ORDER BY id",
                               params).fetchall()

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
