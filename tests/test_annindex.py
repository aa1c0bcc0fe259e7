"""The approximate index (usearch) against exact search on the embedded bundled notes, and
its upkeep as vectors are added, removed and re-embedded."""

from __future__ import annotations

import numpy as np
import pytest

from notesgraph.annindex import ApproximateIndex, index_folder
from notesgraph.similarity import Similarity, similar_pairs
from notesgraph.store import Store

pytest.importorskip("usearch")


def all_items(store: Store) -> list[str]:
    model = store.current_vector_model()[0]
    return sorted({item for _, item, _, _ in store.vector_keys(model)})


def test_approximate_answers_are_exact_search_answers(embedded_store: Store, encoder) -> None:
    exact = Similarity(embedded_store, approximate=False)
    approximate = Similarity(embedded_store, encoder, approximate=True)
    items = all_items(embedded_store)
    assert len(items) > 100
    for item in items:  # every note, inquiry, paper and concept as the query
        want = exact.related(item, k=10)
        got = approximate.related(item, k=10)
        assert [(m.item, m.why.match_part) for m in got] == [(m.item, m.why.match_part) for m in want], item
        assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-6)
    for kinds in (["paper"], ["note", "inquiry"]):
        item = items[0]
        assert [m.item for m in approximate.related(item, kinds=kinds, k=5, exclude_linked=True)] == \
            [m.item for m in exact.related(item, kinds=kinds, k=5, exclude_linked=True)]
    for query in ("Does instruction tuning teach the task?", "retrieval augmented generation", "scaling laws"):
        assert [m.item for m in approximate.search(query, k=10)] == [m.item for m in Similarity(
            embedded_store, encoder, approximate=False).search(query, k=10)]
    note = int(items[next(i for i, item in enumerate(items) if item.startswith("note:"))].partition(":")[2])
    assert approximate.paper_ranking(note) == exact.paper_ranking(note)


def test_similar_edges_from_nearest_passages_match_all_pairs(embedded_store: Store) -> None:
    for kinds in (("note",), ("note", "paper")):
        want = similar_pairs(embedded_store, kinds, k=3, approximate=False)
        got = similar_pairs(embedded_store, kinds, k=3, approximate=True)
        assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in want] or \
            {(a, b) for a, b, _ in got} == {(a, b) for a, b, _ in want}
        assert dict(((a, b), s) for a, b, s in got) == pytest.approx(
            dict(((a, b), s) for a, b, s in want), abs=2e-3)  # float16 graph scores


def test_the_index_file_follows_the_vectors_table(embedded_store: Store) -> None:
    model = embedded_store.current_vector_model()[0]
    first = ApproximateIndex.open(embedded_store, model)
    total = embedded_store.vector_count(model)
    assert first.report.added == total == len(first) and set(first.report.rebuilt) >= {"note", "paper"}
    folder = index_folder(embedded_store, model)
    assert (folder / "note.usearch").is_file() and folder.parent.name.endswith(".db.ann")
    again = ApproximateIndex.open(embedded_store, model)
    assert (again.report.added, again.report.removed, again.report.rebuilt) == (0, 0, ())

    # remove one paper's vectors, re-embed one note's lede as a new text, add a new item
    paper = next(i for i in all_items(embedded_store) if i.startswith("paper:"))
    note = next(i for i in all_items(embedded_store) if i.startswith("note:"))
    embedded_store.delete_vectors(model, [(paper, "title")])
    rng = np.random.default_rng(0)
    odd = rng.standard_normal((2, 384)).astype(np.float32)
    odd /= np.linalg.norm(odd, axis=1, keepdims=True)
    path = embedded_store.current_vector_model()[1]
    embedded_store.save_vectors(model, path, [(note, "head", "changed-hash", odd[0].astype("<f4").tobytes()),
                                              ("note:999999", "text", "new-hash", odd[1].astype("<f4").tobytes())])
    synced = ApproximateIndex.open(embedded_store, model)
    assert (synced.report.added, synced.report.removed) == (2, 2)  # the old lede went, and the paper
    assert len(synced) == embedded_store.vector_count(model) == total  # one paper out, one note in
    assert sum(len(kind.graph) for kind in synced.kinds.values()) == total
    assert synced.candidate_items(odd[0], ["note"], 1)[0] == note
    assert synced.candidate_items(odd[1], None, 1)[0] == "note:999999"
    assert paper not in synced.candidate_items(odd[0], ["paper"], 10_000)


def test_a_corrupt_index_file_is_rebuilt_from_the_table(embedded_store: Store) -> None:
    model = embedded_store.current_vector_model()[0]
    ApproximateIndex.open(embedded_store, model)
    (index_folder(embedded_store, model) / "note.usearch").write_bytes(b"not an index")
    (index_folder(embedded_store, "old-model@123")).mkdir()
    reopened = ApproximateIndex.open(embedded_store, model)
    assert reopened.report.rebuilt == ("note",) and len(reopened) == embedded_store.vector_count(model)
    assert not index_folder(embedded_store, "old-model@123").exists()


def test_an_index_of_another_connectivity_is_rebuilt(embedded_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older notesgraph's graphs (16 links a node) are built again with today's CONNECTIVITY,
    which the recall measured at 1M vectors needs."""
    from notesgraph import annindex

    model = embedded_store.current_vector_model()[0]
    for folder in index_folder(embedded_store, model).parent.glob("*"):
        for path in folder.glob("*.usearch"):
            path.unlink()
    monkeypatch.setattr(annindex, "CONNECTIVITY", 16)
    old = ApproximateIndex.open(embedded_store, model)
    assert all(kind.graph.connectivity == 16 for kind in old.kinds.values())
    monkeypatch.setattr(annindex, "CONNECTIVITY", 32)
    reopened = ApproximateIndex.open(embedded_store, model)
    assert set(reopened.report.rebuilt) == set(old.kinds) and len(reopened) == embedded_store.vector_count(model)
    assert all(kind.graph.connectivity == 32 for kind in reopened.kinds.values())
    assert ApproximateIndex.open(embedded_store, model).report.rebuilt == ()


def test_embedding_keeps_the_index_in_step_and_large_stores_use_it(embedded_store: Store, encoder,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from notesgraph import annindex
    from notesgraph.embeddings import embed_store

    model = embedded_store.current_vector_model()[0]
    assert not Similarity(embedded_store).approximate  # 200-odd vectors: exact
    monkeypatch.setattr(annindex, "APPROXIMATE_FROM", 100)
    note = next(i for i in all_items(embedded_store) if i.startswith("note:"))
    embedded_store.delete_vectors(model, [(note, "head")], [note])
    report = embed_store(embedded_store, encoder)
    assert report.embedded == 1
    folder = index_folder(embedded_store, model)
    assert (folder / "note.usearch").is_file()
    synced = ApproximateIndex.open(embedded_store, model)
    assert (synced.report.added, synced.report.removed) == (0, 0)  # embed_store already synced it
    similarity = Similarity(embedded_store)
    assert similarity.approximate
    assert [m.item for m in similarity.related(note, k=10)] == \
        [m.item for m in Similarity(embedded_store, approximate=False).related(note, k=10)]
