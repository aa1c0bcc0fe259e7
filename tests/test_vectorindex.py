"""The in-memory vector index against a plain numpy brute force on random unit vectors."""

from __future__ import annotations

import numpy as np
import pytest

from notesgraph.store import Store
from notesgraph.vectorindex import VectorIndex


def random_index(seed: int = 0, items: int = 400, dim: int = 32) -> VectorIndex:
    """Items of four kinds with 1-6 passages each, grouped as the store returns them."""
    rng = np.random.default_rng(seed)
    names = sorted(f"{kind}:{i}" for kind in ("concept", "inquiry", "note", "paper") for i in range(items // 4))
    counts = rng.integers(1, 7, size=len(names))
    matrix = rng.standard_normal((int(counts.sum()), dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    parts = [f"p{j}" for count in counts for j in range(count)]
    return VectorIndex(matrix, names, counts, parts)


def brute_force(index: VectorIndex, queries: np.ndarray, kinds=None, exclude=()) -> list[tuple[str, float]]:
    """Every item's best cosine over (query, passage) pairs, sorted: the obvious way."""
    scores = (index.matrix @ np.atleast_2d(queries).T).max(axis=1)
    best = np.maximum.reduceat(scores, index.starts[:-1])
    ranked = [(item, float(score)) for item, score in zip(index.items, best)
              if item not in exclude and (kinds is None or item.partition(":")[0] in kinds)]
    return sorted(ranked, key=lambda pair: -pair[1])


@pytest.mark.parametrize("seed", range(5))
def test_top_items_is_exact(seed: int) -> None:
    index = random_index(seed)
    rng = np.random.default_rng(100 + seed)
    query = rng.standard_normal(index.matrix.shape[1]).astype(np.float32)
    several = index.matrix[index.rows_of("note:3")]
    for queries, kinds, exclude in [(query, None, ()), (query, ["paper", "note"], ()),
                                    (several, ["inquiry", "concept"], {"inquiry:7"}),
                                    (several, None, {"note:3"})]:
        hits = index.top_items(queries, kinds, k=10, exclude=exclude)
        expected = brute_force(index, queries, kinds, exclude)[:10]
        assert [h.item for h in hits] == [item for item, _ in expected]
        assert np.allclose([h.score for h in hits], [score for _, score in expected], atol=1e-6)


def test_hit_names_the_passages_that_matched() -> None:
    index = random_index(1)
    rows = index.rows_of("note:5")
    hits = index.top_items(index.matrix[rows], ["note"], k=1)
    assert hits[0].item == "note:5" and hits[0].score == pytest.approx(1.0, abs=1e-6)
    assert index.item_of(hits[0].row) == "note:5"
    assert rows.start + hits[0].query_row == hits[0].row  # the passage matched itself


def test_exclusions_and_min_score_still_give_exact_results() -> None:
    index = random_index(2)
    query = index.matrix[0]
    everything = brute_force(index, query)
    exclude = {item for item, _ in everything[:30]}  # more than the first candidate batch
    hits = index.top_items(query, None, k=5, exclude=exclude)
    assert [h.item for h in hits] == [item for item, _ in everything[30:35]]
    floor = everything[3][1]
    assert [h.item for h in index.top_items(query, None, k=10, min_score=floor)] == [i for i, _ in everything[:4]]
    assert index.top_items(query, ["claim"], k=5) == []
    assert index.top_items(query, None, k=0) == []


def test_item_pairs_match_a_brute_force() -> None:
    index = random_index(3, items=80)
    kinds = ["note", "paper"]
    names = [item for item in index.items if item.partition(":")[0] in kinds]
    expected: dict[tuple[str, str], float] = {}
    for name in names:
        ranked = brute_force(index, index.matrix[index.rows_of(name)], kinds, exclude={name})[:3]
        for other, score in ranked:
            expected[tuple(sorted((name, other)))] = score
    pairs = index.item_pairs(kinds, k=3)
    assert {(a, b) for a, b, _ in pairs} == set(expected)
    assert all(score == pytest.approx(expected[(a, b)], abs=1e-5) and a < b for a, b, score in pairs)
    assert [s for _, _, s in pairs] == sorted((s for _, _, s in pairs), reverse=True)
    assert all(s >= 0.5 for _, _, s in index.item_pairs(kinds, k=3, min_score=0.5))


def test_index_loads_from_the_store_grouped_by_item_and_kind(store: Store) -> None:
    rng = np.random.default_rng(4)
    rows = []
    for item, parts in [("paper:2", ["title"]), ("note:10", ["head", "p1", "p2"]), ("note:9", ["head"]),
                        ("concept:a stub", ["head"])]:
        for part in parts:
            vector = rng.standard_normal(8).astype(np.float32)
            rows.append((item, part, f"{item}{part}", (vector / np.linalg.norm(vector)).tobytes()))
    store.save_vectors("m@1", "/m", rows)
    index = VectorIndex.from_store(store, "m@1")
    assert index.items == ["concept:a stub", "note:10", "note:9", "paper:2"]
    assert index.parts[index.rows_of("note:10")] == ["head", "p1", "p2"]
    assert index.kinds == {"concept": (0, 1), "note": (1, 5), "paper": (5, 6)}
    assert len(VectorIndex.from_store(store, "other@1")) == 0
    with pytest.raises(ValueError, match="adjacent"):
        VectorIndex(np.zeros((3, 2), np.float32), ["note:1", "paper:1", "note:2"], [1, 1, 1], ["a", "b", "c"])
