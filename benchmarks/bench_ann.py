"""Benchmark: approximate nearest-neighbour libraries against exact search, in the same run.

For N vectors (384-d unit float32) and held-out queries of the same distribution, each
candidate (usearch HNSW, hnswlib HNSW, faiss IVF-Flat, faiss HNSW) is built with 2 threads
and searched one query at a time on 1 thread; recall@10 is measured against the exact top 10
(numpy matrix-vector product + argpartition, the same scan `VectorIndex.top_items` does),
whose median latency is the baseline.

Data (`--data`):
  clustered  real-ish: a shared mean direction (MiniLM vectors are anisotropic: unrelated
             texts still have cosine ~0.1-0.2), 1 topic per ~2,000 vectors, 20 sub-topics per
             topic, points spread around their sub-topic (nearest-neighbour cosines ~0.6-0.8,
             like paragraphs of related notes); queries drawn the same way, not indexed.
  random     uniform random unit vectors: the pessimistic stand-in (no structure to exploit).

    python benchmarks/bench_ann.py --n 200000 --data clustered --json
    python benchmarks/bench_ann.py --n 1000000 --only usearch --json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
K = 10


def unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def clustered(n: int, seed: int) -> np.ndarray:
    """n unit vectors with topic / sub-topic structure and a shared direction (see module doc).
    Built in blocks to keep peak memory at the result plus ~100 MB."""
    rng = np.random.default_rng(seed)
    mean = unit(rng.standard_normal((1, DIM), dtype=np.float32))[0]
    topics = max(1, n // 2000)
    topic_centres = unit(rng.standard_normal((topics, DIM), dtype=np.float32) + 2.0 * mean)
    sub = unit(np.repeat(topic_centres, 20, axis=0) * 1.0
               + rng.standard_normal((topics * 20, DIM), dtype=np.float32) * 0.06)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        which = rng.integers(0, len(sub), m)
        out[start:start + m] = unit(sub[which] + rng.standard_normal((m, DIM), dtype=np.float32) * 0.045)
    return out


def random_unit(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        out[start:start + m] = unit(rng.standard_normal((m, DIM), dtype=np.float32))
    return out


def make_data(kind: str, n: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """(base, queries): queries come from the same distribution and are not in base."""
    both = (clustered if kind == "clustered" else random_unit)(n + queries, seed=0)
    rng = np.random.default_rng(1)
    pick = np.zeros(n + queries, bool)
    pick[rng.choice(n + queries, queries, replace=False)] = True
    base = np.ascontiguousarray(both[~pick])
    probes = np.ascontiguousarray(both[pick])
    del both
    return base, probes


def exact(base: np.ndarray, probes: np.ndarray) -> tuple[np.ndarray, float]:
    """The exact top K of each probe and the median seconds per probe (the baseline)."""
    truth = np.empty((len(probes), K), np.int64)
    times = []
    for i, q in enumerate(probes):
        started = time.perf_counter()
        scores = base @ q
        top = np.argpartition(-scores, K)[:K]
        truth[i] = top[np.argsort(-scores[top])]
        times.append(time.perf_counter() - started)
    return truth, statistics.median(times)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / K for f, t in zip(found, truth)]))


def timed_search(search, probes: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(labels, median ms, p95 ms), one probe at a time."""
    found = np.empty((len(probes), K), np.int64)
    times = []
    for i, q in enumerate(probes):
        started = time.perf_counter()
        found[i] = search(q)
        times.append(time.perf_counter() - started)
    return found, statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000


def file_mb(path: Path) -> float:
    return round(os.path.getsize(path) / 2**20, 1)


# -- candidates: each yields result dicts, one per search setting --------------------------------

def sweep(library: str, config: str, build: float, path: Path, label: str, values, set_value, search,
          probes, truth, rescore_from=None, remove: bool = True):
    """Rows for each search setting of one built index (saved at `path`, removed unless not `remove`).
    With `rescore_from` (the base vectors), each setting also gets a row like what notesgraph
    does (`annindex.ApproximateIndex.candidate_items`, then exact scores): RESCORE_CANDIDATES
    nearest asked of the graph, re-scored exactly in float32, the best K kept."""
    size = file_mb(path)
    if remove:
        path.unlink()
    for value in values:
        set_value(value)
        modes = [("", search)]
        if rescore_from is not None:
            modes.append((f", {RESCORE_CANDIDATES} re-scored", rescored(search, rescore_from)))
        for suffix, run in modes:
            found, med, p95 = timed_search(run, probes)
            yield {"library": library, "config": config, "search_param": f"{label}={value}{suffix}",
                   "build_s": round(build, 1), "file_mb": size, "ms_median": round(med, 3), "ms_p95": round(p95, 3),
                   "recall_at_10": round(recall(found, truth), 4)}


RESCORE_CANDIDATES = 40
"""Passages asked of the graph for a re-scored top 10 (notesgraph asks for more: `Similarity`
wants k + 10 items and `candidate_items` 4 passages an item, 80 for a top 10)."""


def rescored(search, base: np.ndarray):
    """`search` widened to RESCORE_CANDIDATES and re-ranked by exact float32 scores."""
    def run(q: np.ndarray) -> np.ndarray:
        candidates = search(q, RESCORE_CANDIDATES)
        candidates = candidates[candidates >= 0]
        scores = base[candidates] @ q
        return candidates[np.argsort(-scores, kind="stable")[:K]]
    return run


def add_in_chunks(add, base: np.ndarray) -> float:
    """Seconds to add `base` 100k rows at a time (as the store adds vectors, incrementally)."""
    started = time.perf_counter()
    for start in range(0, len(base), 100_000):
        add(start, base[start:start + 100_000])
    return time.perf_counter() - started


def run_usearch(base, probes, truth, workdir: Path, dtype: str = "f16", connectivity: int = 16,
                expansion_add: int = 128, ef_values=(32, 64, 128, 256), keep: Path | None = None):
    """usearch's HNSW; with `keep`, the built index is kept there (and loaded from there when
    a run with the same data and settings saved it), so more search settings cost no build."""
    from usearch.index import Index

    config = f"HNSW M={connectivity} efC={expansion_add} {dtype}"
    index = Index(ndim=DIM, metric="ip", dtype=dtype, connectivity=connectivity, expansion_add=expansion_add)
    kept = keep / f"usearch-n{len(base)}-M{connectivity}-efC{expansion_add}-{dtype}.usearch" if keep else None
    if kept is not None and kept.exists():
        index.load(str(kept))
        build = float(json.loads(kept.with_suffix(".json").read_text())["build_s"])
    else:
        build = add_in_chunks(lambda start, rows: index.add(np.arange(start, start + len(rows), dtype=np.uint64),
                                                            rows, threads=2), base)
        if kept is not None:
            index.save(str(kept))
            kept.with_suffix(".json").write_text(json.dumps({"build_s": build, "config": config}))
    if kept is None:
        index.save(str(workdir / "u.usearch"))

    def search(q: np.ndarray, k: int = K) -> np.ndarray:
        return index.search(q, k, threads=1).keys.astype(np.int64)

    yield from sweep("usearch", config, build, kept or workdir / "u.usearch", "ef", ef_values,
                     lambda ef: setattr(index, "expansion_search", ef), search, probes, truth, rescore_from=base,
                     remove=kept is None)


def run_hnswlib(base, probes, truth, workdir: Path, m: int = 16, ef_construction: int = 128,
                ef_values=(32, 64, 128, 256)):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=len(base), M=m, ef_construction=ef_construction, random_seed=0,
                     allow_replace_deleted=True)
    index.set_num_threads(2)
    build = add_in_chunks(lambda start, rows: index.add_items(rows, np.arange(start, start + len(rows))), base)
    index.save_index(str(workdir / "h.bin"))
    index.set_num_threads(1)
    yield from sweep("hnswlib", f"HNSW M={m} efC={ef_construction} f32", build, workdir / "h.bin", "ef",
                     ef_values, index.set_ef, lambda q: index.knn_query(q, k=K)[0][0], probes, truth)


def run_faiss_ivf(base, probes, truth, workdir: Path, nprobe_values=(16, 32, 64, 128)):
    import faiss

    faiss.omp_set_num_threads(2)
    nlist = int(4 * np.sqrt(len(base)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    index.train(base[np.random.default_rng(2).choice(len(base), min(len(base), 40 * nlist), replace=False)])
    build = time.perf_counter() - started + add_in_chunks(lambda start, rows: index.add(rows), base)
    faiss.write_index(index, str(workdir / "f.ivf"))
    faiss.omp_set_num_threads(1)
    yield from sweep("faiss-cpu", f"IVF{nlist},Flat", build, workdir / "f.ivf", "nprobe", nprobe_values,
                     lambda n: setattr(index, "nprobe", n), lambda q: index.search(q[None], K)[1][0], probes, truth)


def run_faiss_hnsw(base, probes, truth, workdir: Path, m: int = 16, ef_values=(32, 64, 128, 256)):
    import faiss

    faiss.omp_set_num_threads(2)
    index = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 128
    build = add_in_chunks(lambda start, rows: index.add(rows), base)
    faiss.write_index(index, str(workdir / "f.hnsw"))
    faiss.omp_set_num_threads(1)
    yield from sweep("faiss-cpu", f"HNSW{m},Flat efC=128", build, workdir / "f.hnsw", "ef", ef_values,
                     lambda ef: setattr(index.hnsw, "efSearch", ef), lambda q: index.search(q[None], K)[1][0],
                     probes, truth)


CANDIDATES = {"usearch": run_usearch, "usearch-f32": lambda *a, **o: run_usearch(*a, dtype="f32", **o),
              "hnswlib": run_hnswlib, "faiss-ivf": run_faiss_ivf, "faiss-hnsw": run_faiss_hnsw}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data", choices=["clustered", "random"], default="clustered")
    parser.add_argument("--only", nargs="*", choices=list(CANDIDATES), default=None)
    parser.add_argument("--ef", type=int, nargs="*", default=None,
                        help="HNSW search breadths to try (default 32 64 128 256)")
    parser.add_argument("--connectivity", type=int, default=16, help="usearch HNSW M (default 16)")
    parser.add_argument("--expansion-add", type=int, default=128, help="usearch build breadth (default 128)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep built usearch indexes in this folder, and reuse them (same n, data, settings)")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    base, probes = make_data(args.data, args.n, args.queries)
    made = time.perf_counter() - started
    truth, exact_s = exact(base, probes)
    nn_cos = float(np.median([base[t[0]] @ q for t, q in zip(truth, probes)]))
    result = {"benchmark": "bench_ann", "n": args.n, "dim": DIM, "data": args.data, "queries": args.queries,
              "k": K, "data_seconds": round(made, 1), "median_nearest_cosine": round(nn_cos, 3),
              "baseline_exact_ms_median": round(exact_s * 1000, 2), "threads_build": 2, "threads_search": 1,
              "load_average_start": round(os.getloadavg()[0], 2), "rows": []}
    print(f"{args.n:,} {args.data} vectors ({made:.0f} s to make; nearest-neighbour cosine {nn_cos:.2f}); "
          f"exact top-{K}: {exact_s * 1000:.1f} ms a query", flush=True)
    print("| library | config | search | build | file | median | p95 | recall@10 | vs exact |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(CANDIDATES):
            extra = {"ef_values": tuple(args.ef)} if args.ef and name != "faiss-ivf" else {}
            if name.startswith("usearch"):
                keep = args.keep / args.data if args.keep else None
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                extra.update(connectivity=args.connectivity, expansion_add=args.expansion_add, keep=keep)
            for row in CANDIDATES[name](base, probes, truth, Path(tmp), **extra):
                row["speedup_vs_exact"] = round(exact_s * 1000 / row["ms_median"], 1)
                result["rows"].append(row)
                print(f"| {row['library']} | {row['config']} | {row['search_param']} | {row['build_s']} s | "
                      f"{row['file_mb']} MB | {row['ms_median']} ms | {row['ms_p95']} ms | "
                      f"{row['recall_at_10']} | {row['speedup_vs_exact']}x |", flush=True)
            gc.collect()
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
