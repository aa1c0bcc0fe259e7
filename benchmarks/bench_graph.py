"""Benchmark: the knowledge graph on generated corpora, each side against a baseline in one run.

For each size N:
  1. build: the graph from the store (1k, 10k: corpora written by make_corpus.py and indexed
     into SQLite; 100k: rows generated straight from make_corpus's plan and sampling, with
     the same inquiry/paper/concept distributions, because writing and indexing 100k files
     takes ~10 min and ~1.7 GB);
  2. neighbourhood at depth 1/2/3 around 10 seeded notes: ours capped at 200 nodes (what the
     app asks for), ours uncapped (the same node set as ego_graph, asserted), and
     `nx.ego_graph(undirected=True)` (1k and 10k only: it copies the whole graph per call,
     ~30 s and a second ~1 GB at 10k; at 100k that is ~10 GB more);
  3. HTML export of 10k nodes / 30k edges (from the 10k corpus): ours (selection, layout,
     page) against pyvis `Network.from_nx` + `generate_html` on the same nodes and edges.
  4. refresh (1k, 10k): one note edited in a copy of the store, then `refresh_graph`, against
     the full rebuild of step 1.
Prints Markdown tables with the ratios.

    python benchmarks/bench_graph.py [--sizes 1000 10000 100000] [--workdir DIR] [--no-pyvis]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus as mc  # noqa: E402

from notesgraph.export import html_page, select_all  # noqa: E402
from notesgraph.graph import build_graph, graph_from_rows, refresh_graph  # noqa: E402
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
                      f"/corpus/note-{note_id:05d}.txt", "export", f"hash{note_id}"))
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
        inquiries=[(i, plan.inquiries[q]) for q, i in sorted(inquiry_ids.items(), key=lambda kv: kv[1])],
        papers=[(i, normalise_title(plan.papers[p]), plan.papers[p])
                for p, i in sorted(paper_ids.items(), key=lambda kv: kv[1])],
        note_inquiries=sorted(note_inquiries), note_papers=sorted(note_papers),
        note_concepts=note_concepts, references=references)


def bench_refresh(db: Path, workdir: Path) -> float:
    """Seconds `refresh_graph` takes after one note of a copy of `db` was edited."""
    copy = workdir / f"refresh-{db.name}"
    shutil.copyfile(db, copy)
    try:
        with Store(copy) as store:
            graph = build_graph(store)
            row = store.rows("SELECT path FROM notes ORDER BY id LIMIT 1 OFFSET 41")[0]
            note = parse_file(Path(row["path"]))
            edited = dataclasses.replace(note, lede=note.lede + " (edited)", content_hash="edited",
                                         inquiries=note.inquiries[1:])
            store.save_note(edited, row["path"], 1, 1)
            change, seconds = timed(refresh_graph, graph, store)
            assert change.updated == 1
            return seconds
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def bench_neighbourhoods(graph: nx.MultiDiGraph, n: int, run_ego: bool) -> list[dict]:
    notes = sorted(node for node, kind in graph.nodes(data="kind") if kind == "note")
    centres = random.Random(f"bench-graph:{n}").sample(notes, min(CENTRES, len(notes)))
    rows = []
    for depth in (1, 2, 3):
        first, warm, sizes = [], [], []
        for centre in centres:
            hood, seconds = timed(neighbourhood, graph, centre, depth, max_nodes=200)
            first.append(seconds)
            for _ in range(REPEATS):
                warm.append(timed(neighbourhood, graph, centre, depth, max_nodes=200)[1])
            sizes.append(len(hood.hits) + hood.left_out)
        row = {"n": n, "depth": depth, "capped_first": statistics.median(first),
               "capped": statistics.median(warm), "reach": statistics.median(sizes)}
        if run_ego:
            centre = centres[0]
            hood, ours = timed(neighbourhood, graph, centre, depth, max_nodes=None)
            gc.collect()
            ego, theirs = timed(nx.ego_graph, graph, centre, depth, undirected=True)
            assert set(ego) == set(hood.nodes), "uncapped neighbourhood differs from ego_graph"
            row.update(uncapped=ours, ego=theirs, nodes=len(hood.hits))
            del ego
            gc.collect()
        rows.append(row)
        print(f"  depth {depth}: {row}", file=sys.stderr, flush=True)
    return rows


def bench_export(graph: nx.MultiDiGraph, run_pyvis: bool) -> dict:
    started = time.perf_counter()
    selection = select_all(graph, max_nodes=10_000, max_edges=30_000)
    selected = time.perf_counter() - started
    page = html_page(graph, selection)
    ours = time.perf_counter() - started
    result = {"nodes": len(selection.nodes), "edges": len(selection.edges), "select": selected,
              "ours": ours, "bytes": len(page)}
    if run_pyvis:
        from pyvis.network import Network

        same = nx.MultiDiGraph()
        same.add_nodes_from((node, dict(graph.nodes[node])) for node in selection.nodes)
        same.add_edges_from((u, v, k, {"title": k}) for u, v, k in selection.edges)
        started = time.perf_counter()
        network = Network(cdn_resources="in_line")
        network.from_nx(same)
        network.generate_html()
        result["pyvis"] = time.perf_counter() - started
    print(f"  export: {result}", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--workdir", type=Path, default=None, help="keep corpora and indexes here between runs")
    parser.add_argument("--no-pyvis", action="store_true", help="skip the (slow) pyvis from_nx baseline")
    args = parser.parse_args(argv)
    builds, hoods, export = [], [], None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            print(f"{n} notes", file=sys.stderr, flush=True)
            refresh = None
            if n <= 10_000:
                db = indexed_store(n, workdir)
                refresh = bench_refresh(db, workdir)
                gc.collect()
                with Store(db) as store:
                    graph, seconds = timed(build_graph, store)
                source = "indexed SQLite store"
            else:
                rows, generated = timed(synthetic_rows, n)
                print(f"  rows generated in {generated:.1f} s", file=sys.stderr, flush=True)
                graph, seconds = timed(graph_from_rows, rows)
                del rows
                source = "generated rows"
            builds.append({"n": n, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                           "build": seconds, "rss": rss_gb(), "source": source, "refresh": refresh})
            print(f"  build: {builds[-1]}", file=sys.stderr, flush=True)
            hoods += bench_neighbourhoods(graph, n, run_ego=n <= 10_000)
            if n == 10_000:
                export = bench_export(graph, not args.no_pyvis)
            del graph
            gc.collect()

    print("| notes | built from | nodes | edges | build | peak RSS | refresh after one edited note |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for b in builds:
        refresh = f"{b['refresh'] * 1e3:.0f} ms" if b["refresh"] is not None else "—"
        print(f"| {b['n']:,} | {b['source']} | {b['nodes']:,} | {b['edges']:,} | {b['build']:.1f} s "
              f"| {b['rss']:.1f} GB | {refresh} |")
    print()
    print("| notes | depth | reach (median) | ours, cap 200 (first call) | ours, cap 200 | ours, uncapped "
          "| nx.ego_graph | ego / ours uncapped |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for h in hoods:
        if "ego" in h:
            tail = f"{h['uncapped'] * 1e3:,.1f} ms | {h['ego'] * 1e3:,.0f} ms | {h['ego'] / h['uncapped']:,.0f}x"
        else:
            tail = "— | — | —"
        reach = f"{h['reach']:,.0f}" + ("+" if h["reach"] >= 1200 else "")
        print(f"| {h['n']:,} | {h['depth']} | {reach} | {h['capped_first'] * 1e3:.2f} ms | {h['capped'] * 1e3:.2f} ms | {tail} |")
    if export:
        print()
        print("| export (10k-note graph) | nodes | edges | ours (select + layout + page) | pyvis from_nx + generate_html | ratio |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        pyvis = f"{export['pyvis']:.1f} s | {export['pyvis'] / export['ours']:.0f}x" if "pyvis" in export else "— | —"
        print(f"| HTML | {export['nodes']:,} | {export['edges']:,} | {export['ours']:.2f} s | {pyvis} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
