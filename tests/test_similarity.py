"""Related items, semantic and hybrid search and paper re-ranking on the embedded bundled notes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from notesgraph.indexer import index_folder
from notesgraph.passages import collect_passages
from notesgraph.similarity import RRF_K, NotEmbedded, Similarity, rank_correlation, similar_pairs
from notesgraph.store import Store

MAIN = "Does instruction tuning teach task understanding or output format?"


def note_item(store: Store, title: str) -> str:
    return f"note:{next(n['id'] for n in store.note_titles() if n['title'] == title)}"


def test_related_returns_ranked_items_of_every_kind_with_why(embedded_store: Store) -> None:
    similarity = Similarity(embedded_store)
    item = note_item(embedded_store, MAIN)
    related = similarity.related(item, k=15)
    assert len(related) == 15 and item not in {m.item for m in related}
    assert [m.score for m in related] == sorted((m.score for m in related), reverse=True)
    assert {"note", "inquiry", "paper"} <= {m.kind for m in related}
    texts = {(p.item, p.part): p.text for p in collect_passages(embedded_store)}
    own = {text for (owner, _), text in texts.items() if owner == item}
    for match in related:
        assert match.why.query_text in own  # a passage of the main note ...
        assert match.why.match_text in {t for (owner, _), t in texts.items() if owner == match.item}  # ... and of the match
        assert match.why.query_part.startswith(("title + lede", "paragraph"))
    only_papers = similarity.related(item, kinds=["paper"], k=3)
    assert [m.kind for m in only_papers] == ["paper"] * 3 and only_papers[0].why.match_part == "title"
    assert all(m.score >= 0.7 for m in similarity.related(item, k=50, min_score=0.7))


def test_related_neighbours_are_sensible(embedded_store: Store) -> None:
    """A note's own related concepts rank above the other notes, on average over the corpus;
    a paper's nearest paper is the obvious one."""
    similarity = Similarity(embedded_store)
    listed_ranks, other_ranks = [], []
    for note in embedded_store.note_titles():
        concepts = {f"note:{c['note_id']}" for c in embedded_store.note(note["id"])["concepts"] if c["note_id"]}
        for rank, match in enumerate(similarity.related(f"note:{note['id']}", kinds=["note"], k=20), 1):
            (listed_ranks if match.item in concepts else other_ranks).append(rank)
    assert np.mean(listed_ranks) < np.mean(other_ranks) - 1
    paper = embedded_store.rows("SELECT id FROM papers WHERE title LIKE 'Chain-of-Thought Prompting Elicits%'")[0]
    nearest = similarity.related(f"paper:{paper['id']}", kinds=["paper"], k=1)[0]
    assert nearest.title == "Automatic Chain of Thought Prompting in Large Language Models"


def test_exclude_linked_leaves_out_what_the_note_links_to(embedded_store: Store) -> None:
    similarity = Similarity(embedded_store)
    item = note_item(embedded_store, MAIN)
    linked = embedded_store.linked_items(item)
    assert any(i.startswith("paper:") for i in linked) and any(i.startswith("note:") for i in linked)
    unfiltered = similarity.related(item, k=30)
    filtered = similarity.related(item, k=30, exclude_linked=True)
    assert any(m.item in linked for m in unfiltered)
    assert filtered and not any(m.item in linked for m in filtered)
    stub = next(i for i in linked if i.startswith("concept:"))
    assert item in {m.item for m in similarity.related(stub, kinds=["note"], k=10)}  # stubs have vectors too


def test_a_resolved_concept_stands_for_its_note(embedded_store: Store) -> None:
    similarity = Similarity(embedded_store)
    key = embedded_store.rows("SELECT key FROM notes WHERE title = ?", [MAIN])[0]["key"]
    assert similarity.related(f"concept:{key}", k=5) == similarity.related(note_item(embedded_store, MAIN), k=5)


def test_semantic_search_finds_meaning_not_words(embedded_store: Store, encoder) -> None:
    similarity = Similarity(embedded_store, encoder)
    hits = similarity.search("do chain of thought demonstrations break when their order changes", k=5)
    assert hits[0].title == "Why do chain-of-thought examples fail across different conditions?"
    assert "Does exemplar order matter more than exemplar content?" in {h.title for h in hits}  # a stub
    assert all(h.why.query_text.startswith("do chain of thought") for h in hits)
    papers = similarity.search("teaching language models with human preference feedback", kinds=["paper"], k=1)
    assert papers[0].title == "Training language models to follow instructions with human feedback"
    assert similarity.search("   ") == []


def test_hybrid_search_fuses_full_text_and_meaning(embedded_store: Store, encoder) -> None:
    similarity = Similarity(embedded_store, encoder)
    fused = similarity.hybrid_search("delusive examples", k=10)
    text_hits = embedded_store.search("delusive examples")
    assert {f"note:{h['id']}" for h in text_hits} <= {f.item for f in fused}
    both = [f for f in fused if f.text_rank and f.semantic_rank]
    assert both and all(f.score == pytest.approx(1 / (RRF_K + f.text_rank) + 1 / (RRF_K + f.semantic_rank))
                        for f in both)
    assert any(f.text_rank is None and f.kind != "note" for f in fused)  # found by meaning only
    assert [f.score for f in fused] == sorted((f.score for f in fused), reverse=True)
    assert all(f.text_rank is None for f in similarity.hybrid_search("delusive examples", kinds=["paper"]))


def test_paper_ranking_beside_the_notes_own_order(embedded_store: Store) -> None:
    similarity = Similarity(embedded_store)
    note_id = int(note_item(embedded_store, MAIN).split(":")[1])
    ranking = similarity.paper_ranking(note_id)
    assert [p.given_rank for p in ranking.papers] == list(range(1, 9))
    assert sorted(p.our_rank for p in ranking.papers) == list(range(1, 9))
    by_ours = sorted(ranking.papers, key=lambda p: p.our_rank)
    assert [p.score for p in by_ours] == sorted((p.score for p in by_ours), reverse=True)
    assert ranking.spearman == rank_correlation([p.given_rank for p in ranking.papers],
                                                [p.our_rank for p in ranking.papers])
    assert ranking.spearman > 0.3  # the note's order was itself made by embedding similarity
    assert all(p.why.match_part == "title" and p.why.match_text == p.title for p in ranking.papers)


def test_rank_correlation() -> None:
    assert rank_correlation([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert rank_correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert rank_correlation([1], [1]) is None and rank_correlation([1, 2], [3, 3]) is None


def test_similar_pairs_for_the_graph(embedded_store: Store) -> None:
    pairs = similar_pairs(embedded_store, k=3)
    notes = {f"note:{n['id']}" for n in embedded_store.note_titles()}
    assert pairs and all(a in notes and b in notes and a < b for a, b, _ in pairs)
    assert len({(a, b) for a, b, _ in pairs}) == len(pairs)
    similarity = Similarity(embedded_store)
    a, b, score = pairs[0]
    assert similarity.related(a, kinds=["note"], k=1)[0].score == pytest.approx(score, abs=1e-5)
    assert all(s >= 0.8 for _, _, s in similar_pairs(embedded_store, k=3, min_score=0.8))
    mixed = similar_pairs(embedded_store, kinds=("note", "paper"), k=2)
    assert any(a.startswith("paper:") or b.startswith("paper:") for a, b, _ in mixed)


def test_nothing_embedded_means_no_pairs_and_a_clear_error(store: Store) -> None:
    index_folder(store, REPO / "notes")
    assert similar_pairs(store) == []
    with pytest.raises(NotEmbedded, match="run `notesgraph index`"):
        Similarity(store).related("note:1")


def test_similar_pairs_and_related_never_import_torch(embedded_notes_db: Path, tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from notesgraph.store import Store\n"
        "from notesgraph.similarity import Similarity, similar_pairs\n"
        f"empty = Store({str(tmp_path / 'empty.db')!r})\n"
        "assert similar_pairs(empty) == []\n"
        f"store = Store({str(embedded_notes_db)!r})\n"
        "assert similar_pairs(store) and Similarity(store).related('note:1')\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
