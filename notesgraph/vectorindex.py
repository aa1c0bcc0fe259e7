"""Exact nearest items over every stored vector, as one float32 matrix in memory.

Rows are unit vectors grouped by item (an item's passages are adjacent) and items grouped by
kind, so restricting a search to some kinds is a slice, not a copy. An item's score for a
query is the best cosine over its passages; the exact top k comes from one matrix-vector
product and a partial sort. At 1M vectors of 384 floats the matrix takes 1.5 GB and one
search reads all of it (about 0.1-0.15 s on the 2-core benchmark machine, memory-bound).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from notesgraph.store import Store


@dataclass(frozen=True)
class Hit:
    """An item found by `top_items`: its score, the row (passage) that scored it and the
    query row that matched that passage best (0 for a single query vector)."""

    item: str
    score: float
    row: int
    query_row: int


class VectorIndex:
    """Every vector of one model: `matrix` (n, d) float32, `parts[row]`, `item_of(row)`."""

    def __init__(self, matrix: np.ndarray, items: Sequence[str], counts: Sequence[int],
                 parts: Sequence[str]) -> None:
        """`items` in row order with `counts` rows each; rows must already be grouped by
        item and items by kind (as `Store.iter_vectors` returns them)."""
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.items = list(items)
        self.parts = list(parts)
        counts_array = np.asarray(counts, dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(counts_array)))
        if self.starts[-1] != len(self.matrix) or len(self.parts) != len(self.matrix):
            raise ValueError("items, counts, parts and matrix rows disagree")
        self.row_item = np.repeat(np.arange(len(self.items), dtype=np.int32), counts_array)
        self.position = {item: i for i, item in enumerate(self.items)}
        if len(self.position) != len(self.items):
            raise ValueError("rows of one item must be adjacent")
        self.kinds: dict[str, tuple[int, int]] = {}
        first = 0
        for kind, group in groupby(range(len(self.items)), key=lambda i: self.items[i].partition(":")[0]):
            last = first + sum(1 for _ in group)
            if kind in self.kinds:
                raise ValueError("items of one kind must be adjacent")
            self.kinds[kind] = (int(self.starts[first]), int(self.starts[last]))
            first = last

    @classmethod
    def from_store(cls, store: Store, model: str) -> VectorIndex:
        """Load every vector of `model`. Costs one pass over the table: ~1 s per 100k vectors."""
        return cls.from_rows(store.iter_vectors(model), model)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, bytes]], model: str = "") -> VectorIndex:
        """An index of (item, part, blob) rows ordered as `Store.iter_vectors` orders them."""
        items: list[str] = []
        counts: list[int] = []
        parts: list[str] = []
        blobs: list[bytes] = []
        for item, part, blob in rows:
            if items and items[-1] == item:
                counts[-1] += 1
            else:
                items.append(item)
                counts.append(1)
            parts.append(part)
            blobs.append(blob)
        if not blobs:
            return cls(np.zeros((0, 0), np.float32), [], [], [])
        dim = len(blobs[0]) // 4
        data = b"".join(blobs)
        if len(data) != dim * 4 * len(blobs):
            raise ValueError(f"vectors of model {model} have mixed sizes; re-embed with `notesgraph index`")
        return cls(np.frombuffer(data, dtype="<f4").reshape(len(blobs), dim), items, counts, parts)

    def __len__(self) -> int:
        return len(self.matrix)

    def rows_of(self, item: str) -> slice:
        """The rows (passages) of `item`; an empty slice when it has no vector."""
        i = self.position.get(item)
        if i is None:
            return slice(0, 0)
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    def item_of(self, row: int) -> str:
        return self.items[int(self.row_item[row])]

    def _ranges(self, kinds: Iterable[str] | None) -> list[tuple[int, int]]:
        """Row ranges of `kinds` (all rows when None), adjacent ranges merged."""
        if kinds is None:
            return [(0, len(self.matrix))] if len(self.matrix) else []
        ranges = sorted(self.kinds[k] for k in set(kinds) if k in self.kinds)
        merged: list[tuple[int, int]] = []
        for start, stop in ranges:
            if merged and merged[-1][1] == start:
                merged[-1] = (merged[-1][0], stop)
            else:
                merged.append((start, stop))
        return merged

    def top_items(self, queries: np.ndarray, kinds: Iterable[str] | None = None, k: int = 10,
                  exclude: Collection[str] = (), min_score: float | None = None) -> list[Hit]:
        """The `k` best items of `kinds` for one query vector (d,) or several (m, d), best
        first, leaving out `exclude`. Score = max cosine over (query vector, passage) pairs.

        Exact: the top passages are walked in order until k distinct items are found; an item
        not reached cannot beat them. Costs one (rows x d x m) product plus O(rows) to select.
        """
        queries = np.asarray(queries, dtype=np.float32)
        ranges = self._ranges(kinds)
        if k <= 0 or not ranges:
            return []
        scores, best_query = [], []
        for start, stop in ranges:
            block = self.matrix[start:stop]
            if queries.ndim == 1:
                scores.append(block @ queries)
            else:
                pairwise = block @ queries.T
                best = pairwise.argmax(axis=1)
                best_query.append(best)
                scores.append(pairwise[np.arange(len(pairwise)), best])
        flat = scores[0] if len(scores) == 1 else np.concatenate(scores)
        query_of = None if not best_query else (best_query[0] if len(best_query) == 1 else np.concatenate(best_query))
        row_of = (lambda pos: ranges[0][0] + pos) if len(ranges) == 1 else self._row_mapper(ranges)
        total = len(flat)
        wanted = min(total, max(4 * k, k + 2 * len(exclude)))
        while True:
            hits, complete = self._walk(flat, wanted, row_of, query_of, k, exclude, min_score)
            if complete or wanted == total:
                return hits
            wanted = min(total, wanted * 4)

    def _walk(self, flat: np.ndarray, wanted: int, row_of, query_of, k: int,
              exclude: Collection[str], min_score: float | None) -> tuple[list[Hit], bool]:
        """Walk the `wanted` best passages in order; (hits, whether they are final)."""
        total = len(flat)
        candidates = np.arange(total) if wanted >= total else np.argpartition(flat, total - wanted)[total - wanted:]
        candidates = candidates[np.argsort(-flat[candidates], kind="stable")]
        hits: list[Hit] = []
        seen: set[int] = set()
        for pos in candidates.tolist():
            score = float(flat[pos])
            if min_score is not None and score < min_score:
                return hits, True
            row = row_of(pos)
            index = int(self.row_item[row])
            if index in seen:
                continue
            seen.add(index)
            if self.items[index] in exclude:
                continue
            hits.append(Hit(self.items[index], score, row, 0 if query_of is None else int(query_of[pos])))
            if len(hits) == k:
                return hits, True
        return hits, False

    @staticmethod
    def _row_mapper(ranges: list[tuple[int, int]]):
        offsets = np.cumsum([0] + [stop - start for start, stop in ranges])

        def row_of(pos: int) -> int:
            i = int(np.searchsorted(offsets, pos, side="right")) - 1
            return ranges[i][0] + pos - int(offsets[i])
        return row_of

    def item_pairs(self, kinds: Iterable[str] | None, k: int,
                   min_score: float | None = None) -> list[tuple[str, str, float]]:
        """Each item's `k` most similar other items among `kinds`, as undirected pairs
        (a, b, score) with a < b, each once, best first. Score as in `top_items`.

        Exact, in blocks of rows against all rows: O(P^2 d) for P passages (1k notes of ~7
        passages: about 1 s on 2 cores; it grows with the square of the corpus).
        """
        ranges = self._ranges(kinds)
        if not ranges or k <= 0:
            return []
        first_items = [int(self.row_item[start]) for start, _ in ranges]
        last_items = [int(self.row_item[stop - 1]) + 1 for _, stop in ranges]
        item_ids = np.concatenate([np.arange(a, b) for a, b in zip(first_items, last_items)])
        matrix = (self.matrix[ranges[0][0]:ranges[0][1]] if len(ranges) == 1
                  else np.concatenate([self.matrix[a:b] for a, b in ranges]))
        counts = self.starts[item_ids + 1] - self.starts[item_ids]
        starts = np.concatenate(([0], np.cumsum(counts)))
        n_items = len(item_ids)
        keep = min(k, n_items - 1)
        if keep <= 0:
            return []
        best: dict[tuple[int, int], float] = {}
        budget = max(1, (1 << 24) // max(len(matrix), 1))  # rows per block: ~64 MB of scores
        first = 0
        while first < n_items:
            last = int(np.searchsorted(starts, starts[first] + budget, side="right")) - 1
            last = min(max(last, first + 1), n_items)
            block = matrix[starts[first]:starts[last]] @ matrix.T
            by_item = np.maximum.reduceat(block, starts[:-1], axis=1)
            by_item = np.maximum.reduceat(by_item, starts[first:last] - starts[first], axis=0)
            by_item[np.arange(last - first), np.arange(first, last)] = -np.inf
            top = np.argpartition(by_item, n_items - keep, axis=1)[:, n_items - keep:]
            for local, others in enumerate(top):
                a = first + local
                for b in others.tolist():
                    score = float(by_item[local, b])
                    if min_score is not None and score < min_score:
                        continue
                    key = (a, b) if a < b else (b, a)
                    best[key] = max(score, best.get(key, -np.inf))
            first = last
        names = [self.items[int(i)] for i in item_ids]
        pairs = [(names[a], names[b], score) for (a, b), score in best.items()]
        pairs = [(a, b, s) if a < b else (b, a, s) for a, b, s in pairs]
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        return pairs
