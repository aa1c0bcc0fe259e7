"""Benchmark: the compact graph (numpy arrays) against the networkx graph, side by side in one run.

For each size N a generated corpus (make_corpus.py, seed 0) is indexed into SQLite once (kept in
--workdir; 100k notes take ~25 min and 3 GB), then each side runs in its own fresh process, so
peak RSS is that side's alone:
  baseline  `build_graph` (networkx KnowledgeGraph), as the app and CLI used before;
  compact   `build_compact` (notesgraph.graph_compact), what they use now, built from the rows
            (cache=False), then saved beside the database (notesgraph.graph_cache; `save_s`);
  saved     `build_compact` on the unchanged store again: the saved graph loaded (what the app's
            second start and every later CLI call do).
Each side reports: build seconds and peak RSS (ru_maxrss of its process, after the build and
the walks, before the refresh); a capped
neighbourhood (200 nodes, as before) at depth 1/2/3 around 10 seeded notes, first call and warm
median of 10; a refresh after one note edited in a copy of the store (N <= 10k); and a digest of
every neighbourhood it walked, which must be the same on both sides (asserted).

    python benchmarks/bench_graph.py [--sizes 1000 10000 100000] [--workdir DIR] [--json]
        [--baseline-up-to N]   # skip the networkx side above N (100k needs ~10 GB)
Prints Markdown tables with the ratios, or with --json one JSON document.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus as mc  # noqa: E402

from notesgraph.graph_queries import neighbourhood  # noqa: E402
from notesgraph.indexer import index_folder  # noqa: E402
from notesgraph.model import normalise_title  # noqa: E402
from notesgraph.parsing import parse_file  # noqa: E402
from notesgraph.store import GraphRows, Store  # noqa: E402

CENTRES = 10
REPEATS = 10


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def indexed_store(n: int, workdir: Path) -> Path:
    """A SQLite index of an n-note generated corpus (kept in workdir between runs)."""
    db = workdir / f"graph-{n}.db"
    if db.exists():
        return db
    corpus = workdir / f"corpus-{n}"
    if not corpus.exists():
        mc.write_corpus(n, corpus, seed=0)
    with Store(db) as store:
        report = index_folder(store, corpus)
        assert report.added == n and not report.problems, report.problems[:3]
    return db


def synthetic_rows(n: int, seed: int = 0) -> GraphRows:
    """The rows indexing make_corpus's n notes would give, without writing or parsing text.

    Inquiries, papers and concepts are drawn exactly as make_note_text draws them (same plan,
    same per-note random streams); in-body references are approximated as the corpus has
    them: each resolved concept's title mentioned once and its top paper quoted (this matches
    the indexed 1k corpus: same nodes and source_of, cites and related edges, mentions within 2%).
    """
    plan = mc.build_plan(n, seed)
    inquiry_ids: dict[int, int] = {}
    paper_ids: dict[int, int] = {}
    notes, note_inquiries, note_papers, note_concepts, references = [], [], [], [], []
    for index in range(n):
        rng = mc._note_rng(plan, index)
        chosen = mc.sample_distinct(rng, plan.inquiry_cum, mc._inquiry_count(rng))
        rng.shuffle(chosen)
        count = rng.choices(mc.PAPER_COUNTS, weights=mc.PAPER_WEIGHTS)[0]
        papers = mc.sample_distinct(rng, plan.paper_cum, count)
        concepts = mc._pick_concepts(rng, plan, index)
        note_id = index + 1
        title = plan.titles[index]
        notes.append((note_id, normalise_title(title), f"note {note_id:05d}", title, plan.ledes[index],
                      f"/corpus/note-{note_id:05d}.txt", "export", f"hash{note_id}", "note"))
        for position, q in enumerate(chosen, 1):
            note_inquiries.append((note_id, inquiry_ids.setdefault(q, len(inquiry_ids) + 1), position))
        for rank, p in enumerate(papers, 1):
            note_papers.append((note_id, paper_ids.setdefault(p, len(paper_ids) + 1), rank))
        for position, concept in enumerate(concepts, 1):
            note_concepts.append((note_id, normalise_title(concept.title), concept.title,
                                  concept.description, concept.annotation, position))
            if concept.resolved:
                references.append((note_id, "mention", concept.title, concept.title,
                                   normalise_title(concept.title), 1, position * 100, position * 100 + 40))
        for p in papers[:1]:
            references.append((note_id, "quoted_title", plan.papers[p], plan.papers[p],
                               normalise_title(plan.papers[p]), 2, p, p + 40))
    return GraphRows(
        notes=notes,
        inquiries=[(i, plan.inquiries[q], normalise_title(plan.inquiries[q]))
                   for q, i in sorted(inquiry_ids.items(), key=lambda kv: kv[1])],
        papers=[(i, normalise_title(plan.papers[p]), plan.papers[p])
                for p, i in sorted(paper_ids.items(), key=lambda kv: kv[1])],
        note_inquiries=sorted(note_inquiries), note_papers=sorted(note_papers),
        note_concepts=note_concepts, references=references)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def _builder(side: str):
    if side == "baseline":
        from notesgraph.graph import build_graph

        return build_graph
    from notesgraph.graph_compact_build import build_compact

    if side == "saved":
        def loaded(store: Store):
            graph = build_compact(store)
            assert "loaded_from" in graph.graph, "the compact side saved no graph to load"
            return graph
        return loaded
    return lambda store: build_compact(store, cache=False)


def _save(side: str, graph, store: Store) -> float | None:
    """Seconds to save the compact side's graph beside its database (for the `saved` side)."""
    if side != "compact":
        return None
    from notesgraph import graph_cache

    with store.snapshot():
        key = graph_cache.fingerprint(store)
    path, seconds = timed(graph_cache.save, graph, store, key)
    return seconds if path is not None else None


def _refresh(side: str, graph, store: Store):
    if side == "baseline":
        from notesgraph.graph import refresh_graph

        return refresh_graph(graph, store)
    from notesgraph.graph_compact_build import refresh_compact

    return refresh_compact(graph, store)[1]


def bench_refresh(side: str, db: Path, workdir: Path) -> float:
    """Seconds the side's refresh takes after one note of a copy of `db` was edited."""
    copy = workdir / f"refresh-{side}-{db.name}"
    shutil.copyfile(db, copy)
    try:
        with Store(copy) as store:
            graph = _builder(side)(store)
            row = store.rows("SELECT path FROM notes ORDER BY id LIMIT 1 OFFSET 41")[0]
            note = parse_file(Path(row["path"]))
            edited = dataclasses.replace(note, lede=note.lede + " (edited)", content_hash="edited",
                                         inquiries=note.inquiries[1:])
            store.save_note(edited, row["path"], 1, 1)
            change, seconds = timed(_refresh, side, graph, store)
            assert change.updated == 1
            return seconds
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def bench_walks(graph, n: int) -> tuple[list[dict], str]:
    """Capped neighbourhoods at depth 1-3 around 10 seeded notes: timings, and a digest of
    every walk (the same on both sides when they agree)."""
    notes = sorted(node for node, kind in graph.nodes(data="kind") if kind == "note")
    centres = random.Random(f"bench-graph:{n}").sample(notes, min(CENTRES, len(notes)))
    digest = hashlib.sha256()
    rows = []
    for depth in (1, 2, 3):
        first, warm, sizes = [], [], []
        for centre in centres:
            hood, seconds = timed(neighbourhood, graph, centre, depth, max_nodes=200)
            first.append(seconds)
            for _ in range(REPEATS):
                warm.append(timed(neighbourhood, graph, centre, depth, max_nodes=200)[1])
            sizes.append(len(hood.hits) + hood.left_out)
            digest.update(repr((hood.hits, hood.left_out, hood.left_out_exact)).encode())
        rows.append({"depth": depth, "capped_first_ms": statistics.median(first) * 1e3,
                     "capped_ms": statistics.median(warm) * 1e3, "capped_min_ms": min(warm) * 1e3,
                     "reach": statistics.median(sizes)})
    return rows, digest.hexdigest()


def _from_rows(side: str):
    if side == "baseline":
        from notesgraph.graph import graph_from_rows

        return graph_from_rows
    from notesgraph.graph_compact_build import compact_from_rows

    return compact_from_rows


def run_side(side: str, n: int, db: Path | None, workdir: Path) -> dict:
    """One side at one size, in this process (run by main in a fresh one); without `db`,
    from generated rows (`synthetic_rows`, timed apart from the build)."""
    rss_before = rss_gb()
    cpu = time.process_time()
    if db is None:
        rows, generated = timed(synthetic_rows, n)
        graph, seconds = timed(_from_rows(side), rows)
        del rows
        save = None
    else:
        with Store(db) as store:
            graph, seconds = timed(_builder(side), store)
            cpu = time.process_time() - cpu  # the build's CPU seconds: what a shared machine slows least
            walks, digest = bench_walks(graph, n)
            peak = rss_gb()  # the build and the walks; the refresh below builds two graphs more
            save = _save(side, graph, store)
    if db is None:
        cpu = time.process_time() - cpu
        walks, digest = bench_walks(graph, n)
        peak = rss_gb()
    nodes, edges = graph.number_of_nodes(), graph.number_of_edges()
    del graph
    gc.collect()
    refresh = bench_refresh(side, db, workdir) if db is not None and n <= 10_000 and side != "saved" else None
    return {"side": side, "n": n, "source": "indexed store" if db else "generated rows", "nodes": nodes, "edges": edges,
            "build_s": seconds, "build_cpu_s": cpu, "peak_rss_gb": peak, "rss_before_build_gb": rss_before,
            "save_s": save,
            "refresh_s": refresh, "walks": walks, "walk_digest": digest}


def side_in_subprocess(side: str, n: int, db: Path | None, workdir: Path) -> dict:
    where = ["--db", str(db)] if db is not None else []
    done = subprocess.run([sys.executable, __file__, "--side", side, "--sizes", str(n), *where,
                           "--workdir", str(workdir)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def markdown(results: list[dict]) -> str:
    lines = ["| notes | built from | side | nodes | edges | build (saved: load) | peak RSS | save | refresh after one edited note |",
             "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        refresh = f"{r['refresh_s'] * 1e3:,.0f} ms" if r.get("refresh_s") is not None else "—"
        save = f"{r['save_s']:.1f} s" if r.get("save_s") is not None else "—"
        lines.append(f"| {r['n']:,} | {r['source']} | {r['side']} | {r['nodes']:,} | {r['edges']:,} | {r['build_s']:.1f} s "
                     f"| {r['peak_rss_gb']:.2f} GB | {save} | {refresh} |")
    lines += ["", "| notes | depth | reach (median) | side | cap 200, first call | cap 200, warm |",
              "| ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in results:
        for w in r["walks"]:
            reach = f"{w['reach']:,.0f}" + ("+" if w["reach"] >= 1200 else "")
            lines.append(f"| {r['n']:,} | {w['depth']} | {reach} | {r['side']} | {w['capped_first_ms']:.2f} ms "
                         f"| {w['capped_ms']:.2f} ms |")
    return "\n".join(lines)


def ratios(results: list[dict]) -> list[dict]:
    """baseline / compact for each size both sides ran at (above 1: compact is better)."""
    out = []
    by = {(r["n"], r["side"]): r for r in results}
    for n in sorted({r["n"] for r in results}):
        new, saved = by.get((n, "compact")), by.get((n, "saved"))
        if new and saved:
            assert new["walk_digest"] == saved["walk_digest"], f"{n} notes: the saved graph walked differently"
            out.append({"n": n, "build_over_load": new["build_s"] / saved["build_s"], "walks_agree": True})
        old = by.get((n, "baseline"))
        if old and new:
            assert old["walk_digest"] == new["walk_digest"], f"{n} notes: the two sides walked differently"
            out.append({"n": n, "build": old["build_s"] / new["build_s"], "peak_rss": old["peak_rss_gb"] / new["peak_rss_gb"],
                        "walk_depth2_warm": old["walks"][1]["capped_ms"] / new["walks"][1]["capped_ms"],
                        "walks_agree": True})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--workdir", type=Path, default=None, help="keep corpora and indexes here between runs")
    parser.add_argument("--baseline-up-to", type=int, default=100_000,
                        help="run the networkx side only up to this many notes (default 100000)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument("--generated-rows", type=int, nargs="*", default=[],
                        help="sizes built from rows generated with make_corpus's plan (no claims) instead of a store")
    parser.add_argument("--side", choices=["baseline", "compact", "saved"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:  # a child: one side, one size
        print(json.dumps(run_side(args.side, args.sizes[0], args.db, args.workdir)))
        return 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            db = None if n in args.generated_rows else indexed_store(n, workdir)
            for side in ("compact", "saved", "baseline"):
                if (side == "baseline" and n > args.baseline_up_to) or (side == "saved" and results[-1]["save_s"] is None):
                    continue  # (a graph below graph_cache.SAVE_FROM_EDGES is not saved)
                print(f"{n} notes, {side}", file=sys.stderr, flush=True)
                results.append(side_in_subprocess(side, n, db, workdir))
                print(f"  {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    summary = {"benchmark": "bench_graph", "sizes": args.sizes, "results": results, "ratios": ratios(results),
               "source": "make_corpus.py seed 0, indexed into SQLite by notesgraph.indexer"}
    print(json.dumps(summary, indent=1) if args.json else markdown(results) + "\n\n" + json.dumps(summary["ratios"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
