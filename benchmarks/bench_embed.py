"""Benchmark: embeddings and similarity search, each against a baseline in the same run.

1. Indexing with embeddings (`index_folder` + `embed_store` into a fresh database) against
   a bare `SentenceTransformer.encode` of exactly the same texts (target: < 15% overhead).
   Also the encoding rate by batch size and torch threads on this machine.
2. Re-indexing an unchanged corpus: `index_folder` alone against `index_folder` plus the
   embedding step (target: 0 texts embedded, < 1 s at 10k notes). The corpus's vectors are
   first filled by a stand-in encoder (seeded random unit vectors): embedding 100k texts with
   the real model would take hours on 2 cores, and the re-index never calls any encoder;
   it is given the real one and the benchmark checks it is never called (nor torch imported).
3. Top-10 search over N stored vectors (random unit vectors, 384-d, items of 1-8
   passages like notes): `VectorIndex.top_items` against a plain numpy brute force (matrix
   product, per-item max, argpartition) on the same matrix and queries (target: within
   1.2x, < 50 ms at 1M). Also: loading 100k vectors from SQLite, and `similar_pairs`-style
   all-pairs at 1k items.

    python benchmarks/bench_embed.py [--notes 30] [--reindex-notes 10000]
                                     [--vectors 100000 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import write_corpus  # noqa: E402

from notesgraph.embeddings import (  # noqa: E402
    Encoder, _load_model, embed_store, plan_embedding, threads_for_this_machine)
from notesgraph.indexer import index_folder  # noqa: E402
from notesgraph.store import Store  # noqa: E402
from notesgraph.vectorindex import VectorIndex  # noqa: E402

DIM = 384


def fresh_db(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def corpus(workdir: Path, n: int) -> Path:
    folder = workdir / f"corpus-{n}"
    if not folder.exists():
        write_corpus(n, folder, seed=0)
    return folder


# -- 1. indexing with embeddings vs a bare encode ---------------------------------------------

def bench_overhead(workdir: Path, notes: int, rounds: int) -> None:
    from sentence_transformers import SentenceTransformer

    folder = corpus(workdir, notes)
    encoder = Encoder()
    model = SentenceTransformer(str(encoder.path), device="cpu", local_files_only=True)  # the bare baseline
    with Store(fresh_db(workdir / "texts.db")) as store:
        index_folder(store, folder)
        texts = [p.text for p in plan_embedding(store, encoder.model_id).todo]
    model.encode(texts[:64], batch_size=64)  # warm up
    bare, ours = [], []
    for _ in range(rounds):  # alternate, so both sides see the same machine load
        started = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        bare.append(time.perf_counter() - started)
        with Store(fresh_db(workdir / "overhead.db")) as store:
            started = time.perf_counter()
            index_folder(store, folder)
            report = embed_store(store, encoder)
            ours.append(time.perf_counter() - started)
            assert report.embedded == len(texts), (report.embedded, len(texts))
    b, o = min(bare), min(ours)
    print(f"\n| notes | texts | bare `model.encode` (baseline) | index + embed | overhead (target < 15%) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    print(f"| {notes} | {len(texts):,} | {b:.1f} s ({len(texts) / b:.0f} texts/s) | {o:.1f} s | "
          f"{(o / b - 1) * 100:+.1f}% |", flush=True)


def bench_threads(workdir: Path) -> None:
    import torch

    encoder = Encoder()
    model = _load_model(encoder.path)
    with Store(fresh_db(workdir / "texts.db")) as store:
        index_folder(store, corpus(workdir, 30))
        todo = plan_embedding(store, encoder.model_id).todo
    paragraphs = [p.text for p in todo if p.part.startswith("p")][:96]
    short = [p.text for p in todo if p.part == "text"][:384]
    default_threads = torch.get_num_threads()
    print("\n| texts | batch | 1 thread | 2 threads |")
    print("| --- | ---: | ---: | ---: |")
    for label, texts in (("body paragraphs (~100 words)", paragraphs), ("inquiries (~12 words)", short)):
        for batch in (16, 64, 128):
            rates = []
            for threads in (1, 2):
                torch.set_num_threads(threads)
                started = time.perf_counter()
                model.encode(texts, batch_size=batch, show_progress_bar=False)
                rates.append(len(texts) / (time.perf_counter() - started))
            print(f"| {label} | {batch} | {rates[0]:.0f}/s | {rates[1]:.0f}/s |", flush=True)
    torch.set_num_threads(default_threads)
    load = os.getloadavg()[0]
    print(f"\n(1-minute load average {load:.1f} on {os.cpu_count()} cores: `Encoder` would now pick "
          f"{threads_for_this_machine()} thread(s))")


# -- 2. re-indexing an unchanged corpus -----------------------------------------------------

class StandInEncoder:
    """Seeded random unit vectors under the real model's id: fills a big corpus's vectors in
    seconds. Only used to prepare part 2; the timed re-index gets the real Encoder."""

    def __init__(self, real: Encoder) -> None:
        self.model_id, self.path = real.model_id, real.path
        self.rng = np.random.default_rng(0)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.rng.standard_normal((len(texts), DIM)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class CountingEncoder(Encoder):
    """The real encoder, counting its calls."""

    calls = 0

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().encode(texts)


def bench_reindex(workdir: Path, notes: int) -> None:
    folder = corpus(workdir, notes)
    real = CountingEncoder()
    torch_before = "torch" in sys.modules
    db = workdir / f"reindex-{notes}.db"
    with Store(db) as store:
        if store.current_vector_model() != (real.model_id, str(real.path)):
            fresh_db(db)
    with Store(db) as store:
        index_folder(store, folder)
        filled = embed_store(store, StandInEncoder(real), chunk_size=8192)  # type: ignore[arg-type]
        plain, full, embedded = [], [], []
        for _ in range(3):
            started = time.perf_counter()
            index_folder(store, folder)
            plain.append(time.perf_counter() - started)
            started = time.perf_counter()
            index_folder(store, folder)
            report = embed_store(store, real)
            full.append(time.perf_counter() - started)
            embedded.append(report.embedded)
        assert real.calls == 0 and max(embedded) == 0, "an unchanged corpus must not embed"
        assert torch_before or "torch" not in sys.modules, "an unchanged corpus must not import torch"
    print("\n| notes | texts with vectors | re-index, no embedding step (baseline) | re-index + embedding step "
          "| texts embedded | target |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    print(f"| {notes:,} | {filled.passages:,} | {statistics.median(plain) * 1000:.0f} ms | "
          f"{statistics.median(full) * 1000:.0f} ms | {max(embedded)} | 0 texts, < 1 s |", flush=True)


# -- 3. exact top-k search -------------------------------------------------------------------

def random_index(n: int, seed: int = 0) -> VectorIndex:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 9, size=n // 4)
    counts = counts[np.cumsum(counts) <= n]
    counts = np.append(counts, n - counts.sum()) if counts.sum() < n else counts
    matrix = rng.standard_normal((n, DIM), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    items = [f"note:{i:07d}" for i in range(len(counts))]
    return VectorIndex(matrix, items, counts, ["p"] * n)


def brute_force(matrix: np.ndarray, starts: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """The plain numpy way: every score, each item's best, then a partial sort."""
    best = np.maximum.reduceat(matrix @ query, starts)
    top = np.argpartition(-best, k)[:k]
    return top[np.argsort(-best[top])]


def bench_search(n: int, queries: int = 20, k: int = 10) -> None:
    index = random_index(n)
    rng = np.random.default_rng(1)
    probes = rng.standard_normal((queries, DIM), dtype=np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    starts = index.starts[:-1]
    base, ours = [], []
    for query in probes:  # alternate, same queries
        started = time.perf_counter()
        expected = brute_force(index.matrix, starts, query, k)
        base.append(time.perf_counter() - started)
        started = time.perf_counter()
        hits = index.top_items(query, k=k)
        ours.append(time.perf_counter() - started)
        assert [h.item for h in hits] == [index.items[i] for i in expected]
    b, o = statistics.median(base) * 1000, statistics.median(ours) * 1000
    print(f"| {n:,} | {len(index.items):,} | {b:.1f} ms | {o:.1f} ms | {o / b:.2f}x |", flush=True)


def bench_load(workdir: Path, n: int) -> None:
    rng = np.random.default_rng(2)
    with Store(fresh_db(workdir / "load.db")) as store:
        for start in range(0, n, 10_000):
            vectors = rng.standard_normal((10_000, DIM), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.save_vectors("random@0", "-", [(f"note:{(start + i) // 7:07d}", f"p{(start + i) % 7}", "h", v.tobytes())
                                                 for i, v in enumerate(vectors)])
        started = time.perf_counter()
        index = VectorIndex.from_store(store, "random@0")
        seconds = time.perf_counter() - started
    print(f"\nLoading {len(index):,} vectors from SQLite into the matrix: {seconds:.2f} s")


def bench_pairs(items: int) -> None:
    index = random_index(items * 7)
    started = time.perf_counter()
    pairs = index.item_pairs(None, k=5)
    seconds = time.perf_counter() - started
    print(f"All-pairs `similar` edges, {len(index.items):,} items / {len(index):,} passages, k=5: "
          f"{seconds:.2f} s ({len(pairs):,} pairs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=30, help="notes for the overhead run (default 30)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reindex-notes", type=int, default=10000)
    parser.add_argument("--vectors", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--skip", nargs="*", default=[], choices=["overhead", "threads", "reindex", "search"])
    parser.add_argument("--workdir", type=Path, default=None, help="keep corpora and databases here between runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if "reindex" not in args.skip:  # first: it also checks that torch is never imported
            bench_reindex(workdir, args.reindex_notes)
        if "search" not in args.skip:
            print("\n| vectors | items | numpy brute force (baseline) | `top_items` | ratio (target <= 1.2x; < 50 ms at 1M) |")
            print("| ---: | ---: | ---: | ---: | ---: |")
            for n in args.vectors:
                bench_search(n)
            bench_load(workdir, min(args.vectors))
            bench_pairs(1000)
        if "overhead" not in args.skip:
            bench_overhead(workdir, args.notes, args.rounds)
        if "threads" not in args.skip:
            bench_threads(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
