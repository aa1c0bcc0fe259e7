"""Approximate nearest passages: one usearch HNSW graph per item kind, kept beside the database.

Exact search (`notesgraph.vectorindex`) reads every vector per query (about 0.1 s at 1M
vectors) and needs them all in memory; from `APPROXIMATE_FROM` vectors the similarity code
asks this index for candidate items instead and re-scores only those exactly, so a result
differs from exact search only when a true top item is missed by the graph walk (passage
recall@10 0.997 at 1M clustered vectors with 32 links a node, ef 256, in benchmarks/bench_ann.py).

The index lives in the folder `<database>.ann/<model>/`, one `<kind>.usearch` file per kind,
vectors stored as float16. It is a cache of the `vectors` table: each passage's key is a
hash of (item, part, text hash), so `sync` finds what was added, removed or re-embedded by
comparing keys (no vector is read for what is unchanged), patches the graph and saves it
with an atomic rename. A missing, corrupt or other-model file is rebuilt; nothing is lost
because the table stays the source of truth.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from notesgraph.store import Store

APPROXIMATE_FROM = 20_000
"""Stored vectors from which similarity queries use this index (below: exact search, which
takes under 2 ms there and needs no index file)."""
EXPANSION_SEARCH = 256
"""HNSW search breadth (usearch's `expansion_search`), from benchmarks/bench_ann.py on 1M clustered
vectors (README): with CONNECTIVITY 32, 256 gave recall@10 0.997 at 1.9 ms median (512 and
1024 no more, slower); with 16, 512 gave only 0.966 (queries here also over-fetch candidates
and re-score them exactly)."""
CONNECTIVITY = 32
"""Links per node (HNSW's M): at 1M clustered vectors 16 left clusters poorly connected (recall
0.966 at best within 5 ms); 32 costs a larger file (996 MB against 874 MB at 1M) and a longer
first build. A saved graph of another connectivity is built again."""
EXPANSION_ADD = 128
_ADD_CHUNK = 50_000


def in_use(store: Store, model: str) -> bool:
    """Whether `model`'s vectors are many enough for the approximate index (and usearch is
    installed; without it everything stays exact)."""
    if store.vector_count(model) < APPROXIMATE_FROM:
        return False
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


def keep_up_to_date(store: Store, model: str, changed: bool) -> SyncReport | None:
    """After an embedding run that `changed` vectors (or when the index is missing): bring
    it in step, so a query never pays for a big sync, when the store is large enough to use
    it. None when nothing was to do."""
    if not in_use(store, model) or not (changed or not index_folder(store, model).exists()):
        return None
    return ApproximateIndex.open(store, model).report


def passage_key(item: str, part: str, content_hash: str) -> int:
    """A 63-bit key for one embedded text at one place: changes when the text does."""
    digest = hashlib.blake2b(f"{item}\0{part}\0{content_hash}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def index_folder(store: Store, model: str) -> Path:
    """Where the index files of `model` for `store` live (next to the database file)."""
    safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in model)
    return Path(f"{store.path}.ann") / safe


@dataclass
class _KindIndex:
    """One kind's graph plus, sorted by key, the key, rowid and item of each of its passages."""

    graph: Any
    keys: np.ndarray
    rowids: np.ndarray
    item_ids: np.ndarray

    def items_of(self, keys: np.ndarray) -> np.ndarray:
        """Item ids of found keys (-1 for a key no longer in the table, or a padding key)."""
        if not len(self.keys):
            return np.full(len(keys), -1, np.int32)
        at = np.searchsorted(self.keys, keys).clip(0, len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.item_ids[at], -1)


@dataclass(frozen=True)
class SyncReport:
    """What `ApproximateIndex.open` changed: passages added to and removed from the graphs."""

    added: int = 0
    removed: int = 0
    rebuilt: tuple[str, ...] = ()


class ApproximateIndex:
    """The approximate index of one store and model, in step with its vectors table."""

    def __init__(self, store: Store, model: str, items: list[str], kinds: dict[str, _KindIndex],
                 report: SyncReport) -> None:
        self.store = store
        self.model = model
        self.items = items
        self.kinds = kinds
        self.report = report

    @classmethod
    def open(cls, store: Store, model: str,
             progress: Callable[[int, int], None] | None = None) -> ApproximateIndex:
        """Load the index files of `model` and bring them up to date with the table.

        Costs reading every passage's (rowid, item, part, hash) (~1-2 s per million) plus
        adding what is new: ~2-4 ms a passage on 2 cores (a first build at 1M vectors takes
        minutes; `progress(done, total)` follows it). Raises ImportError without usearch."""
        from usearch.index import Index

        folder = index_folder(store, model)
        for other in folder.parent.glob("*") if folder.parent.exists() else ():
            if other != folder and other.is_dir():  # another model's index: stale
                shutil.rmtree(other, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        items: list[str] = []
        position: dict[str, int] = {}
        by_kind: dict[str, list[tuple[int, int, int]]] = {}
        for rowid, item, part, digest in store.vector_keys(model):
            ident = position.get(item)
            if ident is None:
                ident = position[item] = len(items)
                items.append(item)
            by_kind.setdefault(item.partition(":")[0], []).append((passage_key(item, part, digest), rowid, ident))
        for stale in folder.glob("*.usearch"):
            if stale.stem not in by_kind:
                stale.unlink()
        dim = store.vector_dimension(model)
        todo: dict[str, tuple[Any, np.ndarray, np.ndarray, np.ndarray]] = {}
        kinds: dict[str, _KindIndex] = {}
        rebuilt: list[str] = []
        for kind, rows in by_kind.items():
            table = np.array(rows, dtype=np.int64).reshape(-1, 3)
            order = np.argsort(table[:, 0], kind="stable")
            keys, rowids, item_ids = (table[order, 0].astype(np.uint64), table[order, 1], table[order, 2])
            path = folder / f"{kind}.usearch"
            graph = _load(Index, path, dim)
            if graph is None:
                graph = Index(ndim=dim, metric="ip", dtype="f16", connectivity=CONNECTIVITY,
                              expansion_add=EXPANSION_ADD)
                rebuilt.append(kind)
            present = np.asarray(graph.keys, dtype=np.uint64) if len(graph) else np.zeros(0, np.uint64)
            gone = np.setdiff1d(present, keys, assume_unique=True)
            new = ~np.isin(keys, present, assume_unique=True)
            todo[kind] = (graph, gone, keys[new], rowids[new])
            kinds[kind] = _KindIndex(graph, keys, rowids, item_ids.astype(np.int32))
        total = sum(len(add) for _, _, add, _ in todo.values())
        done = removed = 0
        for kind, (graph, gone, add_keys, add_rowids) in todo.items():
            if len(gone):
                removed += int(graph.remove(gone))
            for start in range(0, len(add_keys), _ADD_CHUNK):
                chunk_rowids = add_rowids[start:start + _ADD_CHUNK]
                blobs = dict(store.vectors_at(chunk_rowids.tolist()))
                vectors = np.frombuffer(b"".join(blobs[int(r)] for r in chunk_rowids), dtype="<f4").reshape(-1, dim)
                graph.add(add_keys[start:start + _ADD_CHUNK], vectors,  # one thread: the same graph every build
                          threads=_threads() if len(add_keys) >= DETERMINISTIC_BELOW else 1)
                done += len(chunk_rowids)
                if progress is not None:
                    progress(done, total)
            if len(gone) or len(add_keys):
                _save(graph, folder / f"{kind}.usearch")
            graph.expansion_search = EXPANSION_SEARCH
        return cls(store, model, items, kinds, SyncReport(done, removed, tuple(rebuilt)))

    def __len__(self) -> int:
        return sum(len(k.keys) for k in self.kinds.values())

    def candidate_items(self, queries: np.ndarray, kinds: Iterable[str] | None, wanted: int,
                        exclude: Iterable[str] = ()) -> list[str]:
        """At least `wanted` distinct items (of `kinds`, not in `exclude`) whose passages are
        nearest to any of `queries` (when that many exist), nearest first, each once: the
        candidates an exact re-scoring then ranks. Widens the graph search until enough
        distinct items turn up (an item's passages may fill the first places)."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        excluded = set(exclude)
        chosen = [self.kinds[k] for k in (self.kinds if kinds is None else dict.fromkeys(kinds)) if k in self.kinds]
        available = sum(len(k.keys) for k in chosen)
        count = min(available, max(4 * wanted, wanted + 4 * len(excluded), 32))
        while True:
            scored: dict[int, float] = {}
            for kind in chosen:
                found = kind.graph.search(queries, min(count, len(kind.keys)), threads=1)
                keys = np.asarray(found.keys, dtype=np.uint64).reshape(len(queries), -1)
                scores = 1.0 - np.asarray(found.distances, dtype=np.float32).reshape(len(queries), -1)
                ids = kind.items_of(keys.ravel())
                for ident, score in zip(ids.tolist(), scores.ravel().tolist()):
                    if ident >= 0 and score > scored.get(ident, -2.0):
                        scored[ident] = score
            ranked = [self.items[i] for i in sorted(scored, key=lambda i: -scored[i])]
            ranked = [item for item in ranked if item not in excluded]
            if len(ranked) >= wanted or count >= available:
                return ranked
            count = min(available, count * 4)

    def neighbour_pairs(self, kinds: Sequence[str], k: int, min_score: float | None = None,
                        chunk: int = 20_000) -> list[tuple[str, str, float]]:
        """Each item's `k` most similar other items among `kinds`, as undirected pairs
        (a, b, score) with a < b, each once, best first; what `VectorIndex.item_pairs` gives,
        from the `per_passage` = 4k nearest passages of each passage instead of all pairs.
        Scores are those of the float16 graph (within ~1e-3 of the float32 cosine). Costs one
        graph search per passage, ~0.5-1 ms each on 2 threads."""
        chosen = [self.kinds[kind] for kind in dict.fromkeys(kinds) if kind in self.kinds]
        if not chosen or k <= 0:
            return []
        per_passage = max(4 * k, 16)
        src_all, dst_all, score_all = [], [], []
        for source in chosen:
            for start in range(0, len(source.keys), chunk):
                rowids = source.rowids[start:start + chunk]
                blobs = dict(self.store.vectors_at(rowids.tolist()))
                dim = source.graph.ndim
                queries = np.frombuffer(b"".join(blobs[int(r)] for r in rowids), dtype="<f4").reshape(-1, dim)
                for target in chosen:
                    count = min(per_passage, len(target.keys))
                    found = target.graph.search(queries, count, threads=_threads())
                    src = np.repeat(source.item_ids[start:start + chunk], count)
                    ids = target.items_of(np.asarray(found.keys, dtype=np.uint64).ravel())
                    scores = 1.0 - np.asarray(found.distances, dtype=np.float32).ravel()
                    keep = (ids >= 0) & (ids != src)
                    src_all.append(src[keep])
                    dst_all.append(ids[keep])
                    score_all.append(scores[keep])
        return self._top_pairs(np.concatenate(src_all), np.concatenate(dst_all), np.concatenate(score_all),
                               k, min_score)

    def _top_pairs(self, src: np.ndarray, dst: np.ndarray, score: np.ndarray, k: int,
                   min_score: float | None) -> list[tuple[str, str, float]]:
        """Best score per (src, dst), each src's k best dst, then undirected pairs."""
        order = np.lexsort((-score, dst, src))
        src, dst, score = src[order], dst[order], score[order]
        first = np.ones(len(src), bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst, score = src[first], dst[first], score[first]  # best per (src, dst)
        order = np.lexsort((-score, src))
        src, dst, score = src[order], dst[order], score[order]
        starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
        rank = np.arange(len(src)) - np.repeat(starts, np.diff(np.r_[starts, len(src)]))
        keep = rank < k
        if min_score is not None:
            keep &= score >= min_score
        best: dict[tuple[str, str], float] = {}
        for a, b, s in zip(src[keep].tolist(), dst[keep].tolist(), score[keep].tolist()):
            x, y = self.items[a], self.items[b]
            key = (x, y) if x < y else (y, x)
            best[key] = max(round(s, 6), best.get(key, -2.0))
        pairs = [(a, b, s) for (a, b), s in best.items()]
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        return pairs


DETERMINISTIC_BELOW = 50_000
"""Fewer new vectors than this are added on one thread: usearch's parallel insertion builds a
different graph each time, so answers near a tie could change from one build to the next."""


def _threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _load(index_class: Any, path: Path, dim: int) -> Any | None:
    """The saved graph in `path`, or None when it is missing, unreadable, of another size or
    built with another connectivity (an older notesgraph's)."""
    if not path.exists():
        return None
    try:
        graph = index_class.restore(str(path))
    except Exception:  # noqa: BLE001 - a torn or foreign file: rebuild it from the table
        return None
    if graph is None or graph.ndim != dim or graph.connectivity != CONNECTIVITY:
        return None
    return graph


def _save(graph: Any, path: Path) -> None:
    """Write the graph beside `path` and rename it over: a kill leaves the old file or the new."""
    partial = path.with_suffix(".partial")
    graph.save(str(partial))
    os.replace(partial, path)
