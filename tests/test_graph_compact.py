"""The compact graph (numpy arrays) against the networkx graph built the old way: the same
nodes, edges and attributes, the same ranking of every node, and the same neighbourhoods of
random nodes, on the bundled notes, a generated corpus indexed into a real store and rows
generated for 3,000 notes; refreshing, similar edges and run nodes as a rebuild makes them."""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pytest

from conftest import NOTES, REPO, SEED, write
from notesgraph.graph import (
    EDGE_KINDS,
    ItemNotInGraph,
    build_graph,
    graph_from_rows,
    ranking,
    refresh_runs,
    set_similar_edges,
)
from notesgraph import graph_compact
from notesgraph.graph_claims import ClaimBlock, NodeAttrs
from notesgraph.graph_compact import CompactGraph
from notesgraph.graph_compact_build import (
    build_compact,
    compact_from_rows,
    refresh_compact,
    refresh_compact_runs,
    set_similar,
)
from notesgraph.graph_queries import neighbourhood
from notesgraph.indexer import index_folder
from notesgraph.paper_map import citing_notes
from notesgraph.store import Store

sys.path.insert(0, str(REPO / "benchmarks"))
from bench_graph import synthetic_rows  # noqa: E402
from make_corpus import write_corpus  # noqa: E402


def edges_of(graph) -> dict[tuple[str, str, str], dict]:
    """(source, target, kind) -> attributes of every edge, read through the networkx API."""
    return {(u, v, kind): dict(attrs) for u in graph.nodes for v, keyed in graph.succ[u].items()
            for kind, attrs in keyed.items()}


def assert_same_graph(old, new: CompactGraph) -> None:
    assert sorted(new.nodes) == sorted(old.nodes)
    assert all(new.nodes[n] == old.nodes[n] for n in old.nodes)
    assert new.number_of_edges() == old.number_of_edges()
    assert edges_of(new) == edges_of(old)
    for node in old.nodes:
        assert list(ranking(new, node)) == list(ranking(old, node)), node
        assert new.degree(node) == old.degree(node)


def assert_same_walks(old, new: CompactGraph, samples: int, seed: int) -> None:
    """Neighbourhoods of random nodes agree, capped and not, with kind filters."""
    rng = random.Random(seed)
    for node in rng.sample(sorted(old.nodes), min(samples, len(old))):
        for depth in (1, 2, 3):
            for options in ({}, {"max_nodes": 20}, {"max_nodes": None},
                            {"kinds": ["note", "paper"], "edge_kinds": ["related", "cites", "mentions"]},
                            {"edge_kinds": ["source_of"], "max_nodes": 50, "count_limit": 30}):
                if depth == 3 and options.get("max_nodes", 1) is None:
                    continue  # uncapped depth 3 reaches the whole graph: slow, and covered at 1-2
                assert neighbourhood(new, node, depth, **options) == neighbourhood(old, node, depth, **options), \
                    (node, depth, options)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory):
    with Store(tmp_path_factory.mktemp("compact") / "notes.db") as store:
        index_folder(store, NOTES)
        yield store, build_graph(store), build_compact(store)


def test_the_bundled_notes_give_the_same_graph(bundled) -> None:
    _, old, new = bundled
    assert_same_graph(old, new)
    assert new.graph["store"] == old.graph["store"]
    assert new._pages == old._pages and new._inquiries == old._inquiries


def test_the_bundled_notes_give_the_same_neighbourhoods(bundled) -> None:
    _, old, new = bundled
    assert_same_walks(old, new, samples=40, seed=1)
    hub = max(old.nodes, key=old.degree)  # the node with most edges: deepest rankings
    assert neighbourhood(new, hub, 2, max_nodes=200) == neighbourhood(old, hub, 2, max_nodes=200)


def test_a_generated_corpus_gives_the_same_graph(tmp_path: Path) -> None:
    """Notes written by make_corpus and indexed into a real store (claims, mentions, the
    link arrays read from SQLite)."""
    write_corpus(60, tmp_path / "corpus", seed=3)
    with Store(tmp_path / "gen.db") as store:
        index_folder(store, tmp_path / "corpus")
        old, new = build_graph(store), build_compact(store)
        # co-citations counted in numpy from the link arrays = SQLite's self-join
        by_numpy = store.paper_edge_rows(note_papers=store.graph_link_arrays()["note_papers"])
        assert by_numpy == store.paper_edge_rows() and any(k == "cocited" for _, _, k, _ in by_numpy)
    assert_same_graph(old, new)
    # claims are held as the block's arrays, not a dict each
    assert len(new._node.claims) > 100 and not any(n.startswith("claim:") for n in new._node.plain)
    assert_same_walks(old, new, samples=10, seed=2)
    papers = [n for n in old.nodes if n.startswith("paper:")]
    assert papers and [citing_notes(new, p) for p in papers] == [citing_notes(old, p) for p in papers]
    assert max(citing_notes(new, p) for p in papers) > 1


@pytest.mark.parametrize("block", [4_000_000, 5_000])
def test_generated_rows_give_the_same_rankings_and_walks(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,500 notes of make_corpus's plan as rows (the benchmark's 100k source, smaller): hub
    inquiries with hundreds of sources. Ranked in one block, and in many (as at 100k notes)."""
    monkeypatch.setattr(graph_compact, "_RANK_BLOCK", block)
    rows = synthetic_rows(1500, seed=5)
    old, new = graph_from_rows(rows), compact_from_rows(rows)
    assert sorted(new.nodes) == sorted(old.nodes)
    rng = random.Random(3)
    sample = rng.sample(sorted(old.nodes), 300) + sorted(old.nodes, key=old.degree)[-5:]
    for node in sample:
        assert list(ranking(new, node)) == list(ranking(old, node)), node
    assert_same_walks(old, new, samples=6, seed=4)


def test_unknown_nodes_and_kinds_fail_the_same_way(bundled) -> None:
    _, _, new = bundled
    with pytest.raises(ItemNotInGraph):
        neighbourhood(new, "note:999999")
    with pytest.raises(ItemNotInGraph):
        ranking(new, "paper:999999")
    with pytest.raises(ValueError, match="unknown edge kind"):
        neighbourhood(new, next(iter(new.nodes)), edge_kinds=["cited_by"])


def test_similar_edges_are_set_as_on_the_networkx_graph(bundled) -> None:
    store, _, _ = bundled
    old, new = build_graph(store), build_compact(store)
    notes = sorted(n for n, kind in old.nodes(data="kind") if kind == "note")[:6]
    pairs = [(notes[0], notes[1], 0.8), (notes[1], notes[0], 0.9), (notes[2], notes[3], 0.5),
             (notes[4], "note:999999", 0.7), (notes[5], notes[5], 1.0), (notes[3], notes[4], 0.61)]
    assert set_similar(new, pairs) == set_similar_edges(old, pairs) == 3
    assert_same_graph(old, new)
    assert set_similar(new, []) == set_similar_edges(old, []) == 0
    assert "similar" not in new.tables
    assert_same_graph(old, new)


def test_runs_are_refreshed_as_on_the_networkx_graph(tmp_path: Path) -> None:
    from notesgraph.claims import stored_claims
    from notesgraph.experiments.runner import create_run

    write(tmp_path / "seed", "seed.txt", SEED.read_text(encoding="utf-8"))
    with Store(tmp_path / "runs.db") as store:
        index_folder(store, tmp_path / "seed")
        old, new = build_graph(store), build_compact(store)
        claim = next(c for c in stored_claims(store) if any(q.value == 42.6 for q in c.claim.quantities))
        first = create_run(store, "random_baseline", quick=True, claim_id=claim.id)
        create_run(store, "random_baseline", quick=True, claim_id=claim.id)
        assert refresh_compact_runs(new, store) == refresh_runs(old, store) == 2
        assert_same_graph(old, new)
        store.finish_run(first, "done")
        assert refresh_compact_runs(new, store) == refresh_runs(old, store) == 2
        assert new.nodes[f"run:{first}"]["status"] == "done"
        assert_same_graph(build_graph(store), new)


def test_refresh_equals_a_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    shutil.copytree(NOTES, folder)
    with Store(tmp_path / "refresh.db") as store:
        index_folder(store, folder)
        graph = build_compact(store)
        same, change = refresh_compact(graph, store)
        assert same is graph and not change.changed
        first = sorted(folder.glob("*.md"))[0]
        first.write_text(first.read_text(encoding="utf-8") + "\n\nSee [[A note added later]].\n", encoding="utf-8")
        write(folder, "A note added later.md", "# A note added later\n\nIt mentions nothing.\n")
        index_folder(store, folder)
        fresh, change = refresh_compact(graph, store)
        assert (change.added, change.updated, change.removed) == (1, 1, 0)
        assert_same_graph(build_graph(store), fresh)


def test_subgraph_is_a_networkx_graph_of_the_chosen_nodes(bundled) -> None:
    _, old, new = bundled
    hood = neighbourhood(new, max(old.nodes, key=old.degree), 1, max_nodes=30)
    sub = new.subgraph(hood.nodes, kinds=EDGE_KINDS)
    assert sorted(sub.nodes) == sorted(hood.nodes)
    expected = {(u, v, k) for u, v, k in old.subgraph(hood.nodes).edges(keys=True)}
    assert set(sub.edges(keys=True)) == expected
    assert all(sub.edges[u, v, k] == old.edges[u, v, k] for u, v, k in expected)


def test_claim_block_holds_claims_as_arrays_and_their_sentences_as_utf8() -> None:
    rows = [(12, 3, 2, "Accuracy rose to 43% — ±0.5 (n=5).", None), (7, 3, 1, "Zürich: 42.6% EM", 4),
            (30, 4, 1, "", 9)]
    block = ClaimBlock.from_rows(rows)
    assert block.ids.tolist() == [7, 12, 30] and block.papers.tolist() == [4, -1, 9]
    assert [block.label(k) for k in range(3)] == ["Zürich: 42.6% EM", "Accuracy rose to 43% — ±0.5 (n=5).", ""]
    assert [block.find(n) for n in ("claim:12", "claim:13", "claim:x", "note:12", 12)] == [1, -1, -1, -1, -1]
    with pytest.raises(ValueError, match="sorted by id"):
        ClaimBlock(block.ids[::-1].copy(), block.notes, block.positions, block.papers, block.text, block.offsets)
    nodes = NodeAttrs({"note:3": {"kind": "note", "label": "N"}}, block)
    assert nodes["claim:7"] == {"kind": "claim", "label": "Zürich: 42.6% EM"}
    assert "claim:30" in nodes and "claim:8" not in nodes and len(nodes) == 4
    assert list(nodes) == ["note:3", "claim:7", "claim:12", "claim:30"]
    nodes["run:1"] = {"kind": "run"}
    assert "run:1" in nodes.plain and nodes.pop("run:1") == {"kind": "run"}
    with pytest.raises(KeyError):
        del nodes["claim:7"]
    with pytest.raises(KeyError):
        nodes["claim:8"]



def test_the_build_profile_names_its_phases(bundled, capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/profile_graph_build.py, the source of the README's breakdown of the build."""
    import json

    from profile_graph_build import main

    store, _, _ = bundled
    assert main([store.path, "--json"]) == 0
    seconds = json.loads(capsys.readouterr().out)["seconds"]
    assert {"whole build", "_add_rows: nodes, links resolved", "ranking (set_tables)", "claim block"} <= set(seconds)
    assert all(0 <= s <= seconds["whole build"] for s in seconds.values())
