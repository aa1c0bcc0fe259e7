"""The knowledge graph: building from a real store, refreshing it, and its queries, checked
against the store's own SQL answers on the bundled notes and the seed note."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from conftest import NOTES, REPO, SEED, write
from notesgraph.graph import (
    EDGE_KINDS,
    ItemNotInGraph,
    KnowledgeGraph,
    _ranking_from_adjacency,
    build_graph,
    edge_strength,
    node_of_item,
    node_of_note,
    ranking,
    refresh_graph,
    set_similar_edges,
)
from notesgraph.graph_queries import NoPath, explain_step, neighbourhood, path, trace
from notesgraph.indexer import index_folder
from notesgraph.lookup import find_inquiry_id, find_note_id
from notesgraph.store import Store

sys.path.insert(0, str(REPO / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402

MAIN = "Does instruction tuning teach task understanding or output format?"
COT = "Why do chain-of-thought examples fail across different conditions?"


@pytest.fixture
def corpus(bundled_graph):
    return bundled_graph


@pytest.fixture
def seed(tmp_path: Path):
    folder = tmp_path / "seed"
    write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    with Store(tmp_path / "seed.db") as store:
        index_folder(store, folder)
        yield store, build_graph(store)


def note(store: Store, title: str) -> str:
    return f"note:{find_note_id(store, title)}"


def kinds_of(graph: nx.MultiDiGraph, nodes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in nodes:
        counts[graph.nodes[node]["kind"]] = counts.get(graph.nodes[node]["kind"], 0) + 1
    return counts


def assert_rankings_consistent(graph: KnowledgeGraph) -> None:
    """Every cached ranking equals the one sorted from scratch from the adjacency."""
    for node, flat in graph._ranked.items():
        assert flat == _ranking_from_adjacency(graph, node), node


# -- building ---------------------------------------------------------------------------------


def test_the_graph_builds_while_notesgraph_index_writes(tmp_path: Path) -> None:
    """A real `notesgraph index` commits batches while the graph is read again and again:
    every read is one state (link rows name only notes and items the same read has)."""
    corpus, db = tmp_path / "corpus", tmp_path / "busy.db"
    write_corpus(600, corpus, seed=7)
    Store(db).close()  # migrated before the race starts
    index = subprocess.Popen([sys.executable, "-m", "notesgraph", "--db", str(db), "index", str(corpus),
                              "--no-embed"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             cwd=REPO)
    reads = 0
    with Store(db) as store:
        while index.poll() is None or reads < 3:
            rows = store.graph_rows()
            notes, inquiries = {r[0] for r in rows.notes}, {r[0] for r in rows.inquiries}
            assert {r[0] for r in rows.note_inquiries} <= notes and {r[1] for r in rows.note_inquiries} <= inquiries
            assert {r[0] for r in rows.references} | {r[0] for r in rows.note_concepts} <= notes
            build_graph(store)  # the KeyError in _add_rows came from here
            reads += 1
    assert index.wait(timeout=120) == 0, index.stderr.read()


def test_the_bundled_graph_matches_the_store(corpus) -> None:
    store, graph = corpus
    stats = store.stats()
    counts = kinds_of(graph, graph)
    assert counts["note"] == stats["notes"]
    merged = len(graph._inquiries)  # inquiries whose text is a note's title: that note's node
    assert merged == 2 and counts["inquiry"] + merged == stats["inquiries"] and counts["paper"] == stats["papers"]
    assert counts["concept"] >= stats["unresolved_stubs"]
    edges = {kind: 0 for kind in EDGE_KINDS}
    for _, _, kind in graph.edges(keys=True):
        edges[kind] += 1
    links = store.rows("SELECT (SELECT count(*) FROM note_inquiries) AS q, (SELECT count(*) FROM note_papers) AS p")
    assert edges["source_of"] == links[0]["q"] and edges["cites"] == links[0]["p"]
    assert edges["related"] == stats["concept_links"]  # no note lists itself here
    assert edges["mentions"] > 0 and edges["similar"] == 0
    assert_rankings_consistent(graph)


def test_nodes_and_edges_carry_their_kind_label_and_attributes(corpus) -> None:
    store, graph = corpus
    main = note(store, MAIN)
    attrs = graph.nodes[main]
    assert attrs["kind"] == "note" and attrs["label"] == MAIN and attrs["path"].endswith(".txt")
    related = {graph.nodes[v]["label"]: d for _, v, k, d in graph.out_edges(main, keys=True, data=True)
               if k == "related"}
    stored = {c["title"]: c for c in store.note(int(main[5:]))["concepts"]}
    assert set(related) == set(stored)
    for title, data in related.items():
        assert data["order"] == stored[title]["position"] and data["annotation"] == stored[title]["annotation"]
    ranks = [d["rank"] for _, _, k, d in graph.out_edges(main, keys=True, data=True) if k == "cites"]
    assert sorted(ranks) == list(range(1, 9))


def test_stubs_resolve_to_notes_and_unresolved_ones_stay_stubs(corpus) -> None:
    store, graph = corpus
    for row in store.rows("SELECT c.note_id, c.concept_key, n.id AS target FROM note_concepts c"
                          " LEFT JOIN notes n ON n.key = c.concept_key"):
        expected = f"note:{row['target']}" if row["target"] else f"concept:{row['concept_key']}"
        assert graph.has_edge(f"note:{row['note_id']}", expected, key="related")
        if not row["target"]:
            assert graph.nodes[expected]["kind"] == "concept"


def test_a_wiki_link_is_one_mention_not_two(tmp_path: Path) -> None:
    write(tmp_path / "n", "a.md", "# Alpha note title\n\nLede.\n\nSee [[Beta note title]] here.\n\n"
                                  "## Related concepts\n- [[Beta note title]] — because\n")
    write(tmp_path / "n", "b.md", "# Beta note title\n\nLede.\n")
    with Store(tmp_path / "w.db") as store:
        index_folder(store, tmp_path / "n")
        graph = build_graph(store)
        a, b = note(store, "Alpha note title"), note(store, "Beta note title")
        assert graph.edges[a, b, "mentions"]["count"] == 1
        assert graph.has_edge(a, b, key="related")


def test_strength_tiers_never_overlap() -> None:
    def span(kind: str, field: str) -> tuple[float, float]:
        values = [edge_strength(kind, {field: n}) for n in range(1, 500)]
        return min(values), max(values)

    tiers = [span("related", "order"), span("mentions", "count"), span("cites", "rank"),
             span("source_of", "position"), (edge_strength("similar", {"weight": 0.0}),
                                             edge_strength("similar", {"weight": 1.0}))]
    for stronger, weaker in zip(tiers, tiers[1:]):
        assert stronger[0] > weaker[1]


def test_similar_edges_are_their_own_kind(corpus) -> None:
    store, graph = corpus
    graph = build_graph(store)  # a private copy: this test changes it
    main, cot = note(store, MAIN), note(store, COT)
    assert graph.has_edge(main, cot, key="related")
    added = set_similar_edges(graph, [(main, cot, 0.8), (cot, main, 0.9), (main, "note:999", 0.5),
                                      (main, main, 1.0)])
    assert added == 1
    similar = [(u, v, d) for u, v, k, d in graph.edges(keys=True, data=True) if k == "similar"]
    assert len(similar) == 1 and similar[0][2]["weight"] == 0.9
    assert graph.has_edge(main, cot, key="related")  # the explicit link is untouched
    assert_rankings_consistent(graph)
    set_similar_edges(graph, [])
    assert not any(k == "similar" for _, _, k in graph.edges(keys=True))
    assert_rankings_consistent(graph)


def test_networkx_changes_drop_the_ranking_and_it_comes_back(corpus) -> None:
    store, graph = corpus
    graph = build_graph(store)
    main = note(store, MAIN)
    graph.add_edge(main, "paper:1", key="cites", rank=99)
    assert graph._ranked == {}
    assert ranking(graph, main) == _ranking_from_adjacency(graph, main)
    view = graph.subgraph(list(graph)[:20])
    assert ranking(view, next(iter(view))) is not None  # a view ranks from its own adjacency


# -- refreshing -------------------------------------------------------------------------------


def test_refresh_equals_a_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    shutil.copytree(NOTES, folder)
    with Store(tmp_path / "r.db") as store:
        index_folder(store, folder)
        graph = build_graph(store)
        for node in list(graph)[::3]:
            ranking(graph, node)
        cot_file = Path(store.rows("SELECT path FROM notes WHERE title = ?", [COT])[0]["path"])
        # 1. a note goes: the notes listing it now point at a stub
        cot_file.unlink()
        index_folder(store, folder)
        change = refresh_graph(graph, store)
        assert (change.removed, change.added) == (1, 0) and change.relinked >= 1
        assert_same(graph, build_graph(store))
        # 2. it comes back: the stub resolves to the note again
        shutil.copy(NOTES / cot_file.name, cot_file)
        index_folder(store, folder)
        change = refresh_graph(graph, store)
        assert change.added == 1
        assert_same(graph, build_graph(store))
        # 3. a note is edited: a new inquiry, and its last paper dropped
        main_file = folder / "instruction-tuning-format.txt"
        lines = main_file.read_text(encoding="utf-8").splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("Inquiring lines"))
        lines.insert(header + 2, "- A brand new inquiry nobody else asks?")
        papers = next(i for i, line in enumerate(lines) if line.startswith("Related papers"))
        last_paper = max(i for i, line in enumerate(lines) if i > papers and line.startswith("- "))
        del lines[last_paper]
        main_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        index_folder(store, folder)
        change = refresh_graph(graph, store)
        assert change.updated == 1
        assert_same(graph, build_graph(store))
        assert refresh_graph(graph, store).changed is False
        assert_rankings_consistent(graph)


def assert_same(graph: nx.MultiDiGraph, rebuilt: nx.MultiDiGraph) -> None:
    assert dict(graph.nodes(data=True)) == dict(rebuilt.nodes(data=True))
    assert sorted((u, v, k, sorted(d.items())) for u, v, k, d in graph.edges(keys=True, data=True)) == \
        sorted((u, v, k, sorted(d.items())) for u, v, k, d in rebuilt.edges(keys=True, data=True))


# -- neighbourhood ----------------------------------------------------------------------------


def test_depth_one_is_what_the_store_links(corpus) -> None:
    store, graph = corpus
    for title in (MAIN, COT):
        centre = note(store, title)
        hood = neighbourhood(graph, centre, 1, max_nodes=None)
        assert set(hood.nodes) - {centre} == {node_of_item(graph, i) for i in store.linked_items(centre)} - {centre}
        assert hood.left_out == 0


def test_uncapped_neighbourhoods_equal_ego_graph(corpus) -> None:
    store, graph = corpus
    centre = note(store, MAIN)
    for depth in (0, 1, 2, 3):
        hood = neighbourhood(graph, centre, depth, max_nodes=None)
        assert set(hood.nodes) == set(nx.ego_graph(graph, centre, depth, undirected=True))
        for hit in hood.hits:
            assert hit.depth == nx.shortest_path_length(graph.to_undirected(as_view=True), centre, hit.node)


def test_the_cap_keeps_the_nearest_and_strongest_and_counts_the_rest(corpus) -> None:
    store, graph = corpus
    centre = note(store, MAIN)
    full = neighbourhood(graph, centre, 2, max_nodes=None)
    capped = neighbourhood(graph, centre, 2, max_nodes=12)
    assert len(capped.hits) == 12 and capped.hits[0].node == centre
    assert capped.left_out == len(full.hits) - 12 and capped.left_out_exact
    assert "more within depth 2 not shown" in capped.describe_left_out()
    # Nearest first, then strongest: depths never decrease, strengths within a depth never rise.
    for before, after in zip(capped.hits[1:], capped.hits[2:]):
        assert (before.depth, -before.strength) <= (after.depth, -after.strength)
    # The first neighbours are the related notes, the strongest tier.
    assert {capped.hit(n).edge for n in capped.nodes[1:7]} == {"related"}
    counted = neighbourhood(graph, centre, 2, max_nodes=12, count_limit=5)
    assert counted.left_out == 5 and not counted.left_out_exact
    assert "5+ more" in counted.describe_left_out()


def test_kind_and_edge_filters(corpus) -> None:
    store, graph = corpus
    centre = note(store, MAIN)
    notes_only = neighbourhood(graph, centre, 3, kinds=["note"], max_nodes=None)
    assert kinds_of(graph, notes_only.nodes) == {"note": len(notes_only.nodes)}
    related_only = neighbourhood(graph, centre, 1, edge_kinds=["related"], max_nodes=None)
    assert {h.edge for h in related_only.hits[1:]} == {"related"}
    assert len(related_only.hits) - 1 == len({v for v in nx.all_neighbors(graph, centre)
                                              if graph.has_edge(centre, v, "related")
                                              or graph.has_edge(v, centre, "related")})
    sub = related_only.subgraph(graph)
    assert {k for _, _, k in sub.edges(keys=True)} == {"related"}
    with pytest.raises(ValueError, match="unknown edge kind"):
        neighbourhood(graph, centre, 1, edge_kinds=["likes"])
    with pytest.raises(ItemNotInGraph):
        neighbourhood(graph, "note:424242", 1)


def test_the_same_graph_gives_the_same_neighbourhood(corpus) -> None:
    store, graph = corpus
    centre = note(store, MAIN)
    again = build_graph(store)
    for node in list(again)[::2]:
        again._ranked.pop(node)  # half the rankings rebuilt lazily: same order
    assert neighbourhood(graph, centre, 3, max_nodes=60).hits == neighbourhood(again, centre, 3, max_nodes=60).hits


def test_seed_neighbourhood(seed) -> None:
    store, graph = seed
    centre = note(store, MAIN)
    hood = neighbourhood(graph, centre, 1, max_nodes=None)
    assert kinds_of(graph, hood.nodes[1:]) == {"inquiry": 122, "paper": 8, "concept": 5, "claim": 6}
    capped = neighbourhood(graph, centre, 1, max_nodes=11)
    assert kinds_of(graph, capped.nodes[1:]) == {"concept": 5, "paper": 5}
    assert capped.left_out == 131  # 122 inquiries, 3 papers and the note's 6 claims
    # The stubs come in the note's order.
    orders = [graph.edges[centre, n, "related"]["order"] for n in capped.nodes[1:6]]
    assert orders == [1, 2, 3, 4, 5]


# -- trace ------------------------------------------------------------------------------------


def test_trace_finds_every_source_and_their_papers(corpus) -> None:
    store, graph = corpus
    for inquiry in store.inquiry_list()[:15]:
        result = trace(graph, node_of_item(graph, f"inquiry:{inquiry['id']}"))
        expected = store.inquiry(inquiry["id"])["notes"]
        assert [s.title for s in result.sources] == sorted((n["title"] for n in expected), key=str.casefold)
        assert [s.position for s in result.sources] == [
            next(n["position"] for n in expected if n["title"] == s.title) for s in result.sources]
        for source in result.sources:
            listed = store.note(int(source.node[5:]))["papers"]
            assert [(p.title, p.rank) for p in source.papers] == [(p["title"], p["rank"]) for p in listed]
        pooled = {p.node: p.cited_by for p in result.papers}
        for source in result.sources:
            for paper in source.papers:
                assert pooled[paper.node] >= 1
        assert [p.cited_by for p in result.papers] == sorted((p.cited_by for p in result.papers), reverse=True)


def test_trace_of_a_shared_inquiry(corpus) -> None:
    store, graph = corpus
    result = trace(graph, f"inquiry:{find_inquiry_id(store, 'What makes a good in-context learning example')}")
    assert len(result.sources) == 3 and MAIN in {s.title for s in result.sources}
    top = result.papers[0]
    assert top.cited_by == 2 and top.title.startswith("Rethinking the Role of Demonstrations")


def test_trace_on_the_seed(seed) -> None:
    store, graph = seed
    inquiry = f"inquiry:{find_inquiry_id(store, 'Can format adaptation alone explain')}"
    result = trace(graph, inquiry)
    assert [s.title for s in result.sources] == [MAIN]
    assert [p.rank for p in result.sources[0].papers] == list(range(1, 9))
    assert result.sources[0].papers[0].title == ("Do Models Really Learn to Follow Instructions? "
                                                 "An Empirical Study of Instruction Tuning")
    with pytest.raises(ValueError, match="not an inquiry"):
        trace(graph, note(store, MAIN))


# -- path -------------------------------------------------------------------------------------


def test_paths_are_shortest_and_explained(corpus) -> None:
    store, graph = corpus
    undirected = graph.to_undirected(as_view=True)
    notes = [f"note:{n['id']}" for n in store.note_titles()]
    for a in notes[:4]:
        for b in notes:
            steps = path(graph, a, b)
            assert len(steps) == nx.shortest_path_length(undirected, a, b)
            walk = [a]
            for step in steps:
                assert graph.has_edge(step.source, step.target, key=step.kind)
                walk.append(step.target if step.forward else step.source)
            assert walk[-1] == b
    main, cot = note(store, MAIN), note(store, COT)
    (step,) = path(graph, main, cot)
    assert step.kind == "related"  # a related link beats a mention between the same two notes
    assert explain_step(graph, step).startswith(f'"{MAIN}" lists "{COT}" as related concept #')


def test_path_through_an_inquiry_and_no_path(seed) -> None:
    store, graph = seed
    first = f"inquiry:{find_inquiry_id(store, 'Can format adaptation alone explain')}"
    paper = next(v for _, v, k in graph.out_edges(note(store, MAIN), keys=True) if k == "cites")
    steps = path(graph, first, paper)
    assert [s.kind for s in steps] == ["source_of", "mentions"] or [s.kind for s in steps] == ["source_of", "cites"]
    assert "is a source for the inquiry" in explain_step(graph, steps[0])
    with pytest.raises(NoPath):
        path(graph, first, paper, edge_kinds=["related"])


# -- replication runs as nodes ------------------------------------------------------------------


def test_runs_are_nodes_linked_from_their_claim_and_follow_the_store(seed, tmp_path: Path) -> None:
    from notesgraph.claims import stored_claims
    from notesgraph.experiments.runner import create_run
    from notesgraph.graph import refresh_runs

    store, graph = seed
    claim = next(c for c in stored_claims(store) if any(q.value == 42.6 for q in c.claim.quantities))
    assert not any(kind == "run" for _, kind in graph.nodes(data="kind"))
    first = create_run(store, "random_baseline", quick=True, claim_id=claim.id)
    second = create_run(store, "random_baseline", quick=True, claim_id=claim.id)
    assert refresh_runs(graph, store) == 2
    for run_id in (first, second):
        node = f"run:{run_id}"
        assert graph.nodes[node]["kind"] == "run"
        assert graph.nodes[node]["label"] == f"random_baseline (quick) · queued · run {run_id}"
        assert graph.has_edge(claim.item, node, key="replicated_by")
    # The claim's newest run ranks first among its runs; rankings stay consistent.
    runs = [other for other in ranking(graph, claim.item)[0::2] if other.startswith("run:")]
    assert runs == [f"run:{second}", f"run:{first}"]
    assert_rankings_consistent(graph)
    hood = neighbourhood(graph, note(store, MAIN), 2)
    assert f"run:{first}" in hood.nodes
    # A finished run changes its label; a fresh build sees the same nodes.
    store.finish_run(first, "done")
    refresh_runs(graph, store)
    assert "· done ·" in graph.nodes[f"run:{first}"]["label"]
    rebuilt = build_graph(store)
    assert {n for n in rebuilt if n.startswith("run:")} == {f"run:{first}", f"run:{second}"}
    assert_rankings_consistent(rebuilt)
    # The note goes: its claims go, and the runs with them.
    (Path(store.note(int(note(store, MAIN)[5:]))["path"])).unlink()
    index_folder(store, tmp_path / "seed")
    refresh_graph(graph, store)
    assert not any(n.startswith(("run:", "claim:")) for n in graph)
    assert_rankings_consistent(graph)


def test_an_inquiry_whose_text_is_a_notes_title_is_that_note(corpus) -> None:
    store, graph = corpus
    title = "Does fine-tuning actually change model capabilities or only output distribution?"
    [inquiry] = [q["id"] for q in store.inquiry_list() if q["text"] == title]
    node = node_of_item(graph, f"inquiry:{inquiry}")
    assert node.startswith("note:") and graph.nodes[node]["title"] == title and f"inquiry:{inquiry}" not in graph
    assert len([n for n in graph if graph.nodes[n].get("label") == title]) == 1  # one node, both roles
    sources = trace(graph, node).sources
    assert len(sources) >= 2 and all(s.node.startswith("note:") for s in sources)


def test_a_note_and_an_inquiry_of_the_same_words_merge_and_part_as_notes_change(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    listing = "Note L?\nLede.\nInquiring lines that use this note as a source 1\nx\n- Is it one node?\n"
    write(folder, "l.txt", listing)
    write(folder, "m.txt", "Something else?\nLede of M.\n")
    index_folder(store, folder)
    graph = build_graph(store)

    def check(merged: bool) -> None:
        index_folder(store, folder)
        refresh_graph(graph, store)
        full = build_graph(store)
        for g in (graph, full):
            named = [n for n in g if g.nodes[n].get("label") == "Is it one node?" or g.nodes[n].get("title") == "Is it one node?"]
            assert len(named) == 1 and named[0].startswith("note:" if merged else "inquiry:"), (merged, named)
        assert sorted(graph.edges(keys=True)) == sorted(full.edges(keys=True))
        assert dict(graph.nodes(data="kind")) == dict(full.nodes(data="kind"))
        assert_rankings_consistent(graph)

    write(folder, "m.txt", "Is it one node?\nLede of M.\n")  # the note takes the inquiry's words
    check(merged=True)
    write(folder, "m.txt", "Not any more?\nLede of M.\n")  # and gives them up
    check(merged=False)
    write(folder, "m.txt", "Is it one node?\nLede of M.\n")
    check(merged=True)
    (folder / "m.txt").unlink()  # the note goes: the inquiry stays, listed by L
    check(merged=False)
