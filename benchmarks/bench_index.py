"""Benchmark: parse + store a generated corpus against parse-only, in the same run.

For each size N: write N synthetic notes (make_corpus.py), then time
  1. baseline: read and parse every file (no database),
  2. index: `index_folder` into a fresh SQLite file (read, parse, store, FTS),
  3. re-index: `index_folder` again on the unchanged folder.
Prints a Markdown table with the ratio index / baseline (issue 18 target: <= 2x at 1k and
10k) and the re-index time (target < 1 s at 10k); `--json` adds one JSON object. Indexing
parses and extracts claims in forked worker processes while this one stores (notesgraph/
indexer.py `_forked`); the baseline parses in one process, as before.

    python benchmarks/bench_index.py [--sizes 1000 10000] [--workdir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import write_corpus  # noqa: E402

from notesgraph.indexer import index_folder  # noqa: E402
from notesgraph.parsing import NOTE_SUFFIXES, parse_file  # noqa: E402
from notesgraph.store import Store  # noqa: E402


def parse_only(folder: Path) -> float:
    """Seconds to read and parse every note file under `folder` (the baseline)."""
    started = time.perf_counter()
    for path in sorted(folder.rglob("*")):
        if path.suffix in NOTE_SUFFIXES:
            parse_file(path)
    return time.perf_counter() - started


def bench_size(n: int, workdir: Path) -> dict[str, float]:
    corpus = workdir / f"corpus-{n}"
    if not corpus.exists():
        write_corpus(n, corpus, seed=0)
    parse_only(corpus)  # warm the page cache so both sides read from memory
    before = parse_only(corpus)
    db = workdir / f"bench-{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with Store(db) as store:
        started = time.perf_counter()
        report = index_folder(store, corpus)
        full = time.perf_counter() - started
        assert report.added == n and not report.problems, report.problems[:3]
        started = time.perf_counter()
        again = index_folder(store, corpus)
        reindex = time.perf_counter() - started
        assert again.unchanged == n
    # The mean of a baseline before and after the index run cancels slow drifts in load.
    baseline = (before + parse_only(corpus)) / 2
    return {"n": n, "baseline": round(baseline, 3), "index": round(full, 3), "ratio": round(full / baseline, 3),
            "reindex": round(reindex, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workdir", type=Path, default=None, help="keep corpora here between runs")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print("| notes | parse only (baseline) | parse + store | ratio (target <= 2x) | re-index unchanged (target < 1 s) |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        rows = []
        for n in args.sizes:
            r = bench_size(n, workdir)
            rows.append(r)
            print(f"| {n:,} | {r['baseline']:.2f} s | {r['index']:.2f} s | {r['ratio']:.2f}x | "
                  f"{r['reindex'] * 1000:.0f} ms |", flush=True)
    if args.json:
        print(json.dumps({"benchmark": "bench_index", "cores": os.cpu_count(), "load_average": os.getloadavg()[0],
                          "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                          "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
